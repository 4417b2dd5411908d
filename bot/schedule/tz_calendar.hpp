#pragma once
// dialogs::calendar over Howard Hinnant's date/tz and the OS time-zone database
// (tzdata): DST-correct weekly instants, ISO weeks and local wording.
//
// Thread-safe: stateless apart from date/tz's own zone database.

#include "dialogs/calendar.hpp"

namespace mlpath {

class tz_calendar final : public dialogs::calendar {
 public:
  bool known_zone(std::string_view zone) const override;
  dialogs::timestamp next_after(const dialogs::weekly_slot& s, dialogs::timestamp t) const override;
  dialogs::timestamp latest_at_or_before(const dialogs::weekly_slot& s, dialogs::timestamp t) const override;
  std::string iso_week(dialogs::timestamp t, std::string_view zone) const override;
  std::string local_text(dialogs::timestamp t, std::string_view zone) const override;
  std::optional<dialogs::timestamp> start_of_day(int year, unsigned month, unsigned day,
                                                 std::string_view zone) const override;
};

// One calendar for the process.
const tz_calendar& system_calendar();

}  // namespace mlpath
