#pragma once
// A community's aggregate numbers (a Discord server, a Slack workspace), as every
// platform shows them: never individual data, and any count below 5 shown as "<5" so a
// small group cannot be told apart person by person.

#include <string>
#include <utility>
#include <vector>

namespace mlpath::adapters {

struct community_stats {
  long long started = 0;
  long long finished = 0;
  long long active_checkins = 0;
  std::vector<std::pair<std::string, long long>> primary_roles;  // role display name -> people
};

constexpr long long smallest_shown_group = 5;

inline std::string count_text(long long n) { return n < smallest_shown_group ? std::string("<5") : std::to_string(n); }

}  // namespace mlpath::adapters
