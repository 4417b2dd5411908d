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
  bool exclusive = false;  // cannot be combined with other options in a multi answer
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

struct plan_step {
  std::string title;
  std::string detail;
  std::string resource;  // resource id
  double hours = 0;
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

using step_list = std::vector<plan_step>;
using step_map = std::map<std::string, step_list, std::less<>>;

struct plan_material {
  std::map<std::string, pace, std::less<>> pace_by_hours;  // weekly_hours option -> pace
  step_map foundations;                                    // math_comfort option -> steps
  step_list ml_basics;
  step_map tools;                // role id -> steps
  step_map projects_by_subfield; // subfields option -> steps
  step_map projects_by_domain;   // domain option -> steps
  step_list general_projects;
  step_list communities;
  step_list portfolio;
  step_map interview;            // role id -> steps
  std::map<std::string, tip, std::less<>> tips;  // worry option -> tip
};

struct content {
  flow questions;
  std::vector<role> roles;
  weights scoring;
  std::vector<resource> resources;
  plan_material plan;

  const role* find_role(std::string_view id) const;
  int role_index(std::string_view id) const;  // -1 when absent
  const resource* find_resource(std::string_view id) const;
};

}  // namespace mlpath::dialogs
