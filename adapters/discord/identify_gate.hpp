#pragma once
// The guard in front of every gateway Identify (DESIGN.md §7 "a guard against identify
// loops"). Discord allows `max_concurrency` identifies per 5 seconds, one per rate-limit
// bucket (shard_id % max_concurrency), and a daily budget (session_start_limit: 1000 for
// most bots). Hitting the daily limit terminates every session and resets the bot token,
// so the gate refuses before that and counts identifies itself between refreshes.
//
// Pure state; the clock is a parameter. Not thread-safe: one gate per process, used from
// the gateway runner's thread.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mlpath::discord {

struct session_start_limit {
  int total = 1000;
  int remaining = 1000;
  std::chrono::milliseconds reset_after{0};  // until `remaining` is back to `total`
  int max_concurrency = 1;
};

// GET /gateway/bot.
struct gateway_bot_info {
  std::string url;  // e.g. wss://gateway.discord.gg/
  int shards = 1;   // recommended shard count
  session_start_limit limit;
};
// nullopt when the body is not JSON or has no url. Never throws.
std::optional<gateway_bot_info> parse_gateway_bot(std::string_view body);

class identify_gate {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds spacing{5};  // per bucket
  // Discord's budget window, assumed for the next window when a reset passes unseen.
  static constexpr std::chrono::hours day{24};

  identify_gate(session_start_limit limit, clock::time_point now);

  // A fresh GET /gateway/bot: Discord's counts replace the local ones.
  void refresh(const session_start_limit& limit, clock::time_point now);

  int bucket_of(int shard_id) const;
  // The earliest time shard `shard_id` may identify (== now when it may at once).
  clock::time_point next_allowed(int shard_id, clock::time_point now) const;
  // Takes the slot when the shard may identify now, counting one identify; false: wait
  // until next_allowed().
  bool try_acquire(int shard_id, clock::time_point now);

  // Identifies left in the current window (after any reset that has passed).
  int remaining(clock::time_point now) const;

 private:
  void roll(clock::time_point now);

  session_start_limit limit_;
  int remaining_ = 0;
  clock::time_point reset_at_;
  std::map<int, clock::time_point> bucket_free_at_;
};

}  // namespace mlpath::discord
