#pragma once
// The `:`-separated tokens interactive elements carry (DESIGN.md §3):
//   q:<question>:<option>[:r<round>]   an answer button
//   q:<question>                       a select / checkbox group (options come separately)
//   cmd:<word>[:<arg>...][:r<round>]   a control: cmd:skip:worry:r3, cmd:edit:domain:r3
// A trailing r<digits> token is the run (round) the element belongs to.

#include <optional>
#include <string>
#include <string_view>

#include "dialogs/input.hpp"

namespace mlpath::dialogs {

std::string answer_token(std::string_view question, std::string_view option, int round);
std::string group_token(std::string_view question);
std::string command_token(std::string_view word, std::string_view arg, int round);

// The input a pressed token stands for (from_button set), or nullopt when it is not ours.
std::optional<input> parse_action_token(std::string_view token);

}  // namespace mlpath::dialogs
