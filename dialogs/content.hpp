#pragma once
// The content model: plain structs the loader fills from dialogs/content/*.json.
// Immutable after loading; shared read-only by every conversation (thread-safe to read).

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlpath::dialogs {

enum class question_kind { single, multi, text };

struct option {
  std::string id;
  std::string label;
  bool exclusive = false;             // cannot be combined with other options in a multi answer
  std::vector<std::string> aliases;   // other words people type for it ("cv", "k8s", "go")
  std::string reason;                 // in the person's terms ("you write SQL"), when it explains a role
  bool weakness = false;              // rusty maths, none yet, not sure, no domain: never a reason
};

struct question {
  std::string id;
  question_kind kind = question_kind::single;
  bool optional = false;
  int max = 0;           // multi: most options one answer may hold; 0 = any number
  int max_length = 500;  // text: longest stored answer, in characters
  std::string title;     // short name for summaries
  std::string prompt;
  std::string hint;
  std::vector<option> options;
  // Changes when the kind, options, maximum or optionality change (not the wording):
  // an answer given under another fingerprint is stale and asked again.
  std::string fingerprint;

  const option* find_option(std::string_view option_id) const;
  int max_choices() const { return kind == question_kind::multi ? (max > 0 ? max : static_cast<int>(options.size())) : 1; }
};

struct flow {
  std::string id;
  int version = 0;
  std::vector<question> questions;

  const question* find(std::string_view question_id) const;
  int index_of(std::string_view question_id) const;  // -1 when absent
};

struct role {
  std::string id;
  std::string name;
  std::string summary;
  std::vector<std::string> responsibilities;
  std::vector<std::string> key_skills;
  std::string suits;
};

struct question_weights {
  std::string question;
  double multiplier = 1;
  double cap = 0;  // multi questions: most one role collects from one answer; 0 = no cap
  // option id -> weight per role, indexed like content::roles
  std::map<std::string, std::vector<double>, std::less<>> options;
};

struct thresholds {
  double co_primary = 5;         // points: two roles this close share the top
  double secondary_window = 25;  // points below the primary a secondary may be
  double flat_spread = 12;       // points between best and worst below which a profile is flat
  double high_gap = 12;          // points between primary and the next role for "high"
  double min_answered = 0.5;     // weighted share answered below which confidence is insufficient
  double high_answered = 0.85;   // weighted share answered needed for "high"
};

struct weights {
  int version = 0;
  std::vector<question_weights> questions;
  thresholds limits;

  const question_weights* find(std::string_view question_id) const;
};

struct resource {
  std::string id;
  std::string title;
  std::string url;
  std::string kind;
  bool free = true;
};

// A person's answer named in content: "question:option".
struct answer_ref {
  std::string question;
  std::string option;
};

// Something the answers can show a person already has (Python, SQL, container skills),
// which makes plan steps unnecessary or shorter.
struct capability {
  std::string id;
  std::vector<answer_ref> answers;  // any one of them is enough
  std::string because;              // "you already use Python"
};

enum class step_kind { onramp, foundation, skill, tool, project, later, community, portfolio, interview };
const char* to_string(step_kind k);

// A shorter version of a step for someone who has `has` (all of them).
struct step_shortcut {
  std::vector<std::string> has;
  double hours = 0;
  std::string title;   // "" = the step's own
  std::string detail;  // "" = the step's own
};

struct plan_step {
  std::string id;
  step_kind kind = step_kind::skill;
  std::string title;
  std::string teaches;   // what it teaches, in a line
  std::string detail;    // the advice
  std::string resource;  // resource id
  double hours = 0;
  std::map<std::string, int, std::less<>> roles;  // role id -> position in that role's path (1 = first)
  std::vector<std::string> provides;  // capabilities it gives (on-ramps are added to give them)
  std::vector<std::string> needs;     // capabilities it needs first (an on-ramp is added when missing)
  std::vector<std::string> after;     // step ids that come first when both are in a plan
  std::vector<std::string> skip_if;   // capabilities that make it unnecessary
  std::vector<step_shortcut> shorten_if;
  std::vector<std::string> subfields;  // projects fitted to these subfield options
  std::vector<std::string> domains;    // projects fitted to these domain options
  std::vector<std::string> fits;       // roles a subfield or domain project suits
};

struct tip {
  std::string title;
  std::string detail;
  std::string resource;
};

struct pace {
  double hours_per_week = 0;
  std::string label;
};

struct plan_material {
  std::map<std::string, pace, std::less<>> pace_by_hours;  // weekly_hours option -> pace
  int milestone_weeks = 12;       // the first milestone is reachable within this many weeks
  int core_weeks = 26;            // the plan's core; later steps become pointers
  int subfield_project_after = 4;  // path position after which a subfield project fits
  int domain_project_after = 6;    // ... and a domain project
  std::vector<capability> has;
  std::map<std::string, std::string, std::less<>> milestones;  // role id -> project step id
  std::vector<plan_step> steps;
  std::map<std::string, tip, std::less<>> tips;  // worry option -> tip

  const plan_step* find_step(std::string_view id) const;
  const capability* find_capability(std::string_view id) const;
};

// The weekly check-in's questions (checkin_progress, checkin_moved, checkin_next_step) and
// those that set the schedule up (checkin_day, checkin_time, checkin_zone), the zones
// behind checkin_zone's options, and the reply to each checkin_progress answer.
struct checkin_material {
  std::vector<question> questions;
  std::map<std::string, std::string, std::less<>> zones;    // checkin_zone option -> IANA zone
  std::map<std::string, std::string, std::less<>> replies;  // checkin_progress option -> reply

  const question* find(std::string_view id) const;
};

struct content {
  flow questions;
  checkin_material checkins;
  std::vector<role> roles;
  weights scoring;
  std::vector<resource> resources;
  plan_material plan;

  const role* find_role(std::string_view id) const;
  int role_index(std::string_view id) const;  // -1 when absent
  const resource* find_resource(std::string_view id) const;
};

}  // namespace mlpath::dialogs
