#pragma once
// The words every surface uses for a result, so Slack, Discord and the terminal say the
// same thing: why a role fits, and when a plan step happens.

#include <string>
#include <vector>

#include "dialogs/plan_builder.hpp"
#include "dialogs/scoring.hpp"

namespace mlpath::adapters {

// "You enjoy building things hands-on in code, you write SQL and you know statistics."
// "" when there is no reason to give.
std::string reasons_sentence(const std::vector<dialogs::contribution>& why);

// "week 3", "weeks 3-5"; "" for a step off the timeline.
std::string weeks_text(const dialogs::plan_entry& e);

// "First milestone: Ship a demo (by week 9)."; "" without one.
std::string milestone_text(const dialogs::learning_plan& p);

}  // namespace mlpath::adapters
