#pragma once
// Weekly check-in due times: a weekday and a wall-clock time in the person's zone,
// turned into UTC instants, DST-correct. Pure apart from reading the OS time-zone data.

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlpath {

struct weekly_time {
  std::string zone;  // IANA name, e.g. Europe/Berlin
  unsigned weekday;  // 0 = Sunday ... 6 = Saturday
  int hour;
  int minute;
};

class schedule_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "mon".."sun" (or full names), "HH:MM"; throw schedule_error on bad input.
unsigned parse_weekday(const std::string& s);
void parse_clock(const std::string& s, int& hour, int& minute);
std::chrono::sys_seconds parse_instant(const std::string& iso8601);

// The next `count` due instants strictly after `from`. A wall time that a DST jump skips
// moves to the first valid minute after the gap; one that happens twice is taken the
// first time (tz_calendar).
std::vector<std::chrono::sys_seconds> next_checkins(const weekly_time& when, std::chrono::sys_seconds from, int count);

std::string format_utc(std::chrono::sys_seconds t);
std::string format_local(std::chrono::sys_seconds t, const std::string& zone);  // ISO 8601 with offset and abbreviation

}  // namespace mlpath
