#pragma once
// One user's conversation with the reflection flow. A plain value: the engine returns a
// new one each step and storage persists it after every turn.

#include <string>

#include "dialogs/answer.hpp"
#include "dialogs/checkin.hpp"

namespace mlpath::dialogs {

enum class stage {
  fresh,    // never started (or erased)
  asking,   // a question is open: `current`
  summary,  // every question answered; waiting for confirm or an edit
  done,     // result delivered
  expired,  // left unfinished for too long
};

enum class pending {
  none,
  restart,      // "start over?" awaits a yes
  erase_data,   // "delete everything?" awaits a yes
};

const char* to_string(stage s);
const char* to_string(pending p);
stage stage_from(std::string_view s);      // unknown text -> fresh
pending pending_from(std::string_view s);  // unknown text -> none

struct conversation {
  std::string flow_id;
  int flow_version = 0;   // the flow version this run started on
  stage at = stage::fresh;
  std::string current;    // asking: the open question
  bool editing = false;   // asking: a change made from the summary, which returns there
  pending confirm = pending::none;
  int round = 0;          // bumped on every (re)start, so buttons of an earlier run are stale
  int misses = 0;         // unmatched inputs on the current question
  timestamp started{};
  timestamp last_activity{};
  bool nudged = false;    // the one "still there?" nudge of this silence was sent
  answer_list answers;    // at most one per question, in flow order
  checkin_book checkins;  // weekly check-ins: schedule, the one being answered, history

  bool operator==(const conversation&) const = default;
};

}  // namespace mlpath::dialogs
