#pragma once
// A person's home page (Slack's App Home tab): where they are in the reflection, their
// latest match with its reasons, the plan's next steps, their check-in schedule, and the
// controls that go on from there (start or resume, see the plan, set up or change
// check-ins). Pure: the page is a function of the conversation.

#include <optional>
#include <string>
#include <vector>

#include "dialogs/conversation.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::dialogs {

class engine;

struct home_reply {
  std::string greeting;                 // the first visit only: one welcome
  std::string where;                    // where the person is in the reflection
  std::optional<result_reply> result;   // the match and plan, once the reflection is done
  std::vector<std::string> earlier_primary;  // an earlier run's best roles (by name) while a new one is under way
  std::vector<option> next_steps;       // the plan's next steps (not yet reported in a check-in)
  std::string checkins;                 // the schedule, or what check-ins are and how to start them
  std::vector<action> actions;
};

// `earlier_primary`: role ids of the last stored result, shown while a later run is not
// finished. `first_visit` adds the greeting.
home_reply home_for(const engine& e, const conversation& c, bool first_visit,
                    const std::vector<std::string>& earlier_primary = {});

}  // namespace mlpath::dialogs
