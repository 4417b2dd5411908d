#include "bot/schedule/checkin_planner.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <sstream>

#include "bot/schedule/tz_calendar.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath {

namespace {

const date::time_zone* zone_of(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw schedule_error("unknown time zone \"" + name + "\" (use an IANA name such as Europe/Berlin)");
  }
}

}  // namespace

unsigned parse_weekday(const std::string& s) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  static const char* full[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  std::string l = dialogs::to_lower(s);
  for (unsigned i = 0; i < 7; ++i)
    if (l == names[i] || l == full[i]) return i;
  throw schedule_error("unknown weekday \"" + s + "\" (use mon, tue, wed, thu, fri, sat or sun)");
}

void parse_clock(const std::string& s, int& hour, int& minute) {
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) || !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4])))
    throw schedule_error("time must be HH:MM (24-hour), not \"" + s + "\"");
  hour = (s[0] - '0') * 10 + (s[1] - '0');
  minute = (s[3] - '0') * 10 + (s[4] - '0');
  if (hour > 23 || minute > 59) throw schedule_error("time must be HH:MM (24-hour), not \"" + s + "\"");
}

std::chrono::sys_seconds parse_instant(const std::string& iso) {
  for (const char* fmt : {"%FT%TZ", "%FT%T%Ez", "%FT%H:%MZ", "%FT%H:%M%Ez", "%F %T%Ez", "%F %TZ"}) {
    std::istringstream in(iso);
    date::sys_seconds t;
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) return t;
  }
  throw schedule_error("\"" + iso + "\" is not an ISO 8601 instant such as 2026-03-01T09:00:00Z");
}

std::vector<std::chrono::sys_seconds> next_checkins(const weekly_time& when, std::chrono::sys_seconds from,
                                                    int count) {
  zone_of(when.zone);  // a clear error for an unknown zone
  dialogs::weekly_slot slot{static_cast<int>(when.weekday), when.hour, when.minute, when.zone};
  std::vector<std::chrono::sys_seconds> out;
  for (auto t = from; static_cast<int>(out.size()) < count;) {
    t = system_calendar().next_after(slot, t);
    out.push_back(t);
  }
  return out;
}

std::string format_utc(std::chrono::sys_seconds t) { return date::format("%FT%TZ", t); }

std::string format_local(std::chrono::sys_seconds t, const std::string& zone) {
  date::zoned_seconds z{zone_of(zone), t};
  return date::format("%FT%T%Ez %Z", z);
}

}  // namespace mlpath
