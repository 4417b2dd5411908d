#include "bot/schedule/tz_calendar.hpp"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <string>
#include <utility>
#include <vector>

namespace mlpath {
namespace {

using namespace std::chrono;
using dialogs::timestamp;

const date::time_zone* find_zone(std::string_view name) {
  // Thousands of people share a handful of zones: the last few lookups are kept per thread
  // (zone objects live as long as the process).
  thread_local std::vector<std::pair<std::string, const date::time_zone*>> recent;
  for (const auto& [n, z] : recent)
    if (n == name) return z;
  const date::time_zone* z = nullptr;
  try {
    z = date::locate_zone(std::string(name));
  } catch (const std::exception&) {
    return nullptr;
  }
  if (recent.size() >= 16) recent.erase(recent.begin());
  recent.emplace_back(std::string(name), z);
  return z;
}

const date::time_zone* zone_or_utc(std::string_view name) {
  const date::time_zone* z = find_zone(name);
  return z ? z : date::locate_zone("UTC");
}

// The instant a local wall time happens in `tz`: in a gap (jump forward) the first valid
// minute after it, when repeated (jump back) the first time.
timestamp instant_of(const date::time_zone* tz, date::local_seconds lt) {
  date::local_info info = tz->get_info(lt);
  switch (info.result) {
    case date::local_info::nonexistent: return date::floor<seconds>(info.second.begin);
    case date::local_info::ambiguous:
    case date::local_info::unique:
    default: return timestamp(lt.time_since_epoch()) - info.first.offset;
  }
}

// The slot's instant in the local week (Sunday to Saturday) of local day `day`.
timestamp slot_in_week_of(const date::time_zone* tz, const dialogs::weekly_slot& s, date::local_days day) {
  date::weekday wd{day};
  int back = (static_cast<int>(wd.c_encoding()) - s.weekday + 7) % 7;
  date::local_days slot_day = day - date::days(back);
  return instant_of(tz, slot_day + hours(s.hour) + minutes(s.minute));
}

}  // namespace

bool tz_calendar::known_zone(std::string_view zone) const { return !zone.empty() && find_zone(zone) != nullptr; }

timestamp tz_calendar::next_after(const dialogs::weekly_slot& s, timestamp t) const {
  const date::time_zone* tz = zone_or_utc(s.zone);
  date::local_days day = date::floor<date::days>(tz->to_local(t));
  // This local week's slot, then the following weeks' until one lies after t.
  for (int week = 0; week < 3; ++week) {
    timestamp due = slot_in_week_of(tz, s, day + date::days(7 * week));
    if (due > t) return due;
  }
  return slot_in_week_of(tz, s, day + date::days(21));
}

timestamp tz_calendar::latest_at_or_before(const dialogs::weekly_slot& s, timestamp t) const {
  const date::time_zone* tz = zone_or_utc(s.zone);
  date::local_days day = date::floor<date::days>(tz->to_local(t));
  for (int week = 0; week < 3; ++week) {
    timestamp due = slot_in_week_of(tz, s, day - date::days(7 * week));
    if (due <= t) return due;
  }
  return slot_in_week_of(tz, s, day - date::days(21));
}

std::string tz_calendar::iso_week(timestamp t, std::string_view zone) const {
  const date::time_zone* tz = zone_or_utc(zone);
  date::local_days day = date::floor<date::days>(tz->to_local(t));
  iso_week::year_weeknum_weekday w{date::sys_days(day.time_since_epoch())};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-W%02u", static_cast<int>(w.year()), static_cast<unsigned>(w.weeknum()));
  return buf;
}

std::string tz_calendar::local_text(timestamp t, std::string_view zone) const {
  date::zoned_seconds z{zone_or_utc(zone), t};
  std::string s = date::format("%a %d %b %H:%M", z);
  if (s.size() > 4 && s[4] == '0') s.erase(4, 1);  // "Sat 05 Dec" -> "Sat 5 Dec"
  return s;
}

std::optional<timestamp> tz_calendar::start_of_day(int year, unsigned month, unsigned day, std::string_view zone) const {
  date::year_month_day ymd{date::year{year}, date::month{month}, date::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return instant_of(zone_or_utc(zone), date::local_days{ymd} + seconds(0));
}

const tz_calendar& system_calendar() {
  static const tz_calendar c;
  return c;
}

}  // namespace mlpath
