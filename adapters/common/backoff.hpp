#pragma once
// The one backoff rule for everything mlpath retries (outbound calls, the outbox,
// reconnects): exponential from `first`, capped at `cap`, with jitter so that many
// clients that failed together do not retry together — full (a uniform draw in
// [0, delay]) or equal (half the delay plus a draw in [0, delay/2], never near zero).
// Pure: the random draw is a parameter.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace mlpath::adapters {

struct backoff_policy {
  std::chrono::milliseconds first{250};
  std::chrono::milliseconds cap{std::chrono::seconds(30)};
  enum class jitter { none, full, equal };
  jitter spread = jitter::none;

  // The wait after `failures` consecutive failures (1 = the first), given a uniform
  // random number in [0, 1) (ignored without jitter).
  std::chrono::milliseconds delay(int failures, double random01 = 0.0) const {
    int doublings = std::clamp(failures - 1, 0, 30);
    auto d = first.count() * (std::int64_t{1} << std::min(doublings, 20));
    d = std::min<std::int64_t>(d, cap.count());
    double r = std::clamp(random01, 0.0, 1.0);
    if (spread == jitter::full) d = static_cast<std::int64_t>(static_cast<double>(d) * r);
    if (spread == jitter::equal) d = d / 2 + static_cast<std::int64_t>(static_cast<double>(d / 2) * r);
    return std::chrono::milliseconds(d);
  }
};

}  // namespace mlpath::adapters
