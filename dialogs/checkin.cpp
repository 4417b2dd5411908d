#include "dialogs/checkin.hpp"

#include <charconv>

namespace mlpath::dialogs {

checkin_entry* checkin_book::find(std::string_view week) {
  for (auto& e : history)
    if (e.week == week) return &e;
  return nullptr;
}

const checkin_entry* checkin_book::find(std::string_view week) const {
  for (const auto& e : history)
    if (e.week == week) return &e;
  return nullptr;
}

namespace {

bool made_progress(const checkin_entry& e) { return e.progress == "made_progress" || e.progress == "a_little"; }

}  // namespace

int streak_of(const std::vector<checkin_entry>& history, std::string_view open_week) {
  int streak = 0;
  bool grace_used = false;
  for (const auto& e : history) {
    if (e.week == open_week && !e.answered) continue;  // still being answered: not counted either way
    if (made_progress(e)) {
      ++streak;
      grace_used = false;
      continue;
    }
    // One quiet week (before or between weeks with progress) is forgiven; two in a row end it.
    if (grace_used) break;
    grace_used = true;
  }
  return streak;
}

int round_of_week(std::string_view week) {
  // "2026-W49" -> 202649
  int year = 0, number = 0;
  if (week.size() < 8) return 0;
  if (std::from_chars(week.data(), week.data() + 4, year).ec != std::errc()) return 0;
  if (std::from_chars(week.data() + 6, week.data() + week.size(), number).ec != std::errc()) return 0;
  return year * 100 + number;
}

}  // namespace mlpath::dialogs
