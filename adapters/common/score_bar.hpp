#pragma once
// A role's 0-100 score as a bar of ten cells, the same on every surface; each surface
// picks its glyphs (chat apps ▰▱, the terminal plain ASCII).

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace mlpath::adapters {

inline std::string score_bar(int score, std::string_view full = "\xE2\x96\xB0", std::string_view empty = "\xE2\x96\xB1") {
  int filled = std::clamp(static_cast<int>(std::lround(score / 10.0)), 0, 10);
  std::string bar;
  for (int i = 0; i < 10; ++i) bar += i < filled ? full : empty;
  return bar;
}

}  // namespace mlpath::adapters
