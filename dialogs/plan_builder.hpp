#pragma once
// The learning plan: foundations, tools, projects, communities, portfolio, interview
// preparation and a tip, chosen from the answers and the match, paced by weekly hours.

#include <optional>
#include <string>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/content.hpp"
#include "dialogs/scoring.hpp"

namespace mlpath::dialogs {

struct plan_entry {
  std::string title;
  std::string detail;
  resource link;
  double hours = 0;
  int week_from = 1;  // 1-based week this step starts in, at the chosen pace
  int week_to = 1;
};

struct plan_section {
  std::string id;  // foundations, ml_basics, tools, projects, communities, portfolio, interview
  std::string title;
  std::vector<plan_entry> steps;
};

struct plan_tip {
  std::string worry;
  std::string title;
  std::string detail;
  resource link;
};

struct learning_plan {
  std::string weekly_hours;  // the answer it was paced by ("" = unanswered, default pace)
  std::string pace_label;
  double hours_per_week = 0;
  int total_weeks = 0;
  std::vector<plan_section> sections;
  std::optional<plan_tip> tip;
};

learning_plan build_plan(const content& c, const answer_list& answers, const match_result& match);

}  // namespace mlpath::dialogs
