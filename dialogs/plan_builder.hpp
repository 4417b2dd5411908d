#pragma once
// The learning plan: the primary role's path (and the co-primary's where it differs) made
// personal. Steps the answers show the person already has are dropped or shortened,
// on-ramps are added for what the path needs and they lack, everything is ordered by
// prerequisites with the first milestone pulled within reach, paced by weekly hours, and
// cut to a core of about six months with pointers for after that. It ends with
// communities, portfolio advice, interview preparation for the role and a tip for the
// stated worry.

#include <optional>
#include <string>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/content.hpp"
#include "dialogs/scoring.hpp"

namespace mlpath::dialogs {

struct plan_entry {
  std::string id;  // the step's id (stable: check-ins offer steps by it)
  step_kind kind = step_kind::skill;
  std::string title;
  std::string teaches;
  std::string detail;
  resource link;
  double hours = 0;
  int week_from = 0;  // 1-based weeks at the chosen pace; 0 for steps off the timeline
  int week_to = 0;
  bool milestone = false;
  std::string shortened_because;  // a shortcut applied: "you already work with containers ..."
};

struct plan_section {
  std::string id;  // path, later, community, portfolio, interview
  std::string title;
  std::vector<plan_entry> steps;
};

struct plan_tip {
  std::string worry;
  std::string title;
  std::string detail;
  resource link;
};

// A step left out because the person already has what it teaches.
struct skipped_step {
  std::string id;
  std::string title;
  std::string because;
};

struct plan_milestone {
  std::string id;
  std::string title;
  int week = 0;  // the week it is done by, at the chosen pace
};

struct learning_plan {
  std::string weekly_hours;  // the answer it was paced by ("" = unanswered, default pace)
  std::string pace_label;
  double hours_per_week = 0;
  int total_weeks = 0;             // weeks of the timed path
  std::vector<std::string> roles;  // whose paths it follows (the primary, and a co-primary)
  std::vector<plan_section> sections;
  std::optional<plan_milestone> milestone;
  std::vector<skipped_step> skipped;
  std::optional<plan_tip> tip;

  const plan_section* section(std::string_view id) const;
};

learning_plan build_plan(const content& c, const answer_list& answers, const match_result& match);

// The steps someone works through, in order: the timed path, then the pointers for later.
std::vector<const plan_entry*> plan_steps(const learning_plan& p);

}  // namespace mlpath::dialogs
