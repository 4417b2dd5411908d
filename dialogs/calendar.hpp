#pragma once
// Weekly times in a person's time zone, as the check-in dialog needs them. The engine is
// handed a calendar (bot/schedule/tz_calendar reads the OS time-zone database); it never
// reads a clock or a zone file itself, so its steps stay pure functions of their inputs.

#include <optional>
#include <string>
#include <string_view>

#include "dialogs/answer.hpp"

namespace mlpath::dialogs {

// "Saturdays 22:27 in Asia/Kathmandu". weekday: 0 = Sunday ... 6 = Saturday.
struct weekly_slot {
  int weekday = 1;
  int hour = 9;
  int minute = 0;
  std::string zone;  // IANA name

  bool operator==(const weekly_slot&) const = default;
};

class calendar {
 public:
  virtual ~calendar() = default;

  virtual bool known_zone(std::string_view zone) const = 0;
  // The slot's first instant strictly after `t`. A wall time that a jump forward skips
  // moves to the first valid minute after the gap; one that happens twice is taken the
  // first time; no week is skipped or doubled.
  virtual timestamp next_after(const weekly_slot& s, timestamp t) const = 0;
  // The slot's latest instant at or before `t`.
  virtual timestamp latest_at_or_before(const weekly_slot& s, timestamp t) const = 0;
  // The ISO 8601 week `t` falls in, in `zone`: "2026-W49".
  virtual std::string iso_week(timestamp t, std::string_view zone) const = 0;
  // "Sat 12 Dec 22:27" in `zone`.
  virtual std::string local_text(timestamp t, std::string_view zone) const = 0;
  // When a local date starts (its first valid minute) in `zone`; nullopt for no such date.
  virtual std::optional<timestamp> start_of_day(int year, unsigned month, unsigned day, std::string_view zone) const = 0;
};

}  // namespace mlpath::dialogs
