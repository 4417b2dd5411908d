#pragma once
// Weekly check-ins (DESIGN §6): a person's schedule, the check-in or set-up being
// answered, and recent history. A plain value carried in the conversation: the engine
// changes it, storage keeps it (schedule and dialog in one row, history one row a week).

#include <optional>
#include <string>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/calendar.hpp"

namespace mlpath::dialogs {

// One week's check-in. (person, week) is unique: a week is never sent twice.
struct checkin_entry {
  std::string week;  // ISO week of the due instant in the person's zone, e.g. 2026-W49
  timestamp due{};   // the slot it was for
  timestamp sent{};
  std::optional<timestamp> reminded;
  std::optional<timestamp> answered;
  bool late = false;     // sent more than an hour after it was due
  bool skipped = false;  // "skip this week"
  std::string progress;  // a checkin_progress option id
  std::vector<std::string> moved;  // plan step ids worked on
  std::string moved_text;          // or in the person's words
  std::string next_step;
  bool changed = false;  // touched by this turn: storage writes it (not part of equality)

  bool operator==(const checkin_entry& o) const {
    return week == o.week && due == o.due && sent == o.sent && reminded == o.reminded && answered == o.answered &&
           late == o.late && skipped == o.skipped && progress == o.progress && moved == o.moved &&
           moved_text == o.moved_text && next_step == o.next_step;
  }
};

struct checkin_book {
  // The schedule.
  bool scheduled = false;  // a day and time were chosen
  weekly_slot slot;
  bool active = false;     // false: never set up, or turned off ("checkin off", "stop")
  bool paused = false;     // paused until `paused_until`, or until "checkin" again when unset
  std::optional<timestamp> paused_until;
  std::string paused_reason;  // e.g. the platform could not deliver ("cannot be messaged (50007)")
  bool reason_shown = true;   // the person has been told why they were paused
  std::optional<timestamp> next_due;  // when the next one is sent (UTC); none while off or paused indefinitely
  std::string next_week;              // the week a snoozed check-in belongs to ("" = the due instant's)
  std::string zone_hint;              // a zone learned from the platform profile or chosen before
  bool zone_chosen = false;           // the person chose it (a profile zone never overrides that)

  // The dialog in progress: a check-in's questions, or setting the schedule up.
  std::string open_week;  // the check-in being answered
  std::string asking;     // checkin_progress / checkin_moved / checkin_next_step / checkin_day / checkin_time /
                          // checkin_time_text / checkin_zone, or ""
  timestamp asked_at{};   // when that question was asked (typed text answers whichever came last)
  int round = 0;          // stale buttons are recognised by it
  int setup_weekday = -1;
  int setup_minute_of_day = -1;
  std::vector<std::string> done_steps;  // plan steps already reported, so the next ones are offered

  std::vector<checkin_entry> history;  // newest first, as much as storage loaded (a year or so)

  bool operator==(const checkin_book&) const = default;
  checkin_entry* find(std::string_view week);
  const checkin_entry* find(std::string_view week) const;
};

// Streak: weeks with progress ("made_progress" or "a_little"), counted back from the
// newest, where one week without progress does not end it (the grace week) and two in a
// row do. The check-in still being answered (`open_week`) counts neither way.
int streak_of(const std::vector<checkin_entry>& history_newest_first, std::string_view open_week = {});

// The round a week's check-in buttons carry: 202649 for 2026-W49.
int round_of_week(std::string_view week);

}  // namespace mlpath::dialogs
