#include "adapters/common/result_words.hpp"

#include <cctype>

namespace mlpath::adapters {

std::string reasons_sentence(const std::vector<dialogs::contribution>& why) {
  std::vector<std::string> parts;
  for (const auto& c : why)
    if (!c.reason.empty()) parts.push_back(c.reason);
  if (parts.empty()) return {};
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += i + 1 == parts.size() ? " and " : ", ";
    s += parts[i];
  }
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s + ".";
}

std::string weeks_text(const dialogs::plan_entry& e) {
  if (e.week_from <= 0) return {};
  if (e.week_to <= e.week_from) return "week " + std::to_string(e.week_from);
  return "weeks " + std::to_string(e.week_from) + "-" + std::to_string(e.week_to);
}

std::string milestone_text(const dialogs::learning_plan& p) {
  if (!p.milestone) return {};
  return "First milestone: " + p.milestone->title + " (by week " + std::to_string(p.milestone->week) + ").";
}

}  // namespace mlpath::adapters
