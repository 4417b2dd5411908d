#pragma once
// Discord REST rate limits as pure state: buckets learned from response headers (bucket
// hash + major parameter), the 50 requests/second global gate, 429 handling (retry_after
// from the body preferred, fractional seconds), interaction callbacks exempt, and a count
// of invalid responses (401/403/429) kept far below 10,000 per 10 minutes.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpath::discord {

struct rest_response_info {
  int status = 0;
  // X-RateLimit-* headers ("" when absent)
  std::string bucket;
  std::string limit;
  std::string remaining;
  std::string reset_after;  // fractional seconds
  std::string global;
  std::string scope;        // user, global, shared
  std::string retry_after_header;
  std::string body;         // for 429 bodies and error codes
};

struct rest_error {
  int code = 0;            // Discord's JSON error code (50007, 10062, ...); 0 if none
  std::string message;
  std::optional<double> retry_after;  // 429 body, seconds
  bool global = false;
};
rest_error parse_rest_error(std::string_view body);

// The route key for rate limiting: method + path with ids replaced except the major
// parameter (channel, guild, webhook id + token), e.g. "POST /channels/123/messages".
// The path may carry the API prefix (/api/v10) and a query; both are dropped. Tokens never
// appear in a key (keys are safe to log and to use as metric labels): a webhook token is
// replaced by "~" + a 64-bit hash of it, and an interaction callback is always
// "POST /interactions/:id/:token/callback". Ids are whole segments of digits; everything
// after /reactions/ is one ":reaction".
std::string route_key(std::string_view method, std::string_view path);

// The route is an interaction callback: not bound to the global limit and answered within
// 3 s, so it is never delayed by the limiter (a 429 on it is retried by the caller with
// parse_rest_error's retry_after).
bool is_interaction_callback(std::string_view route);

// Not thread-safe: one limiter per REST client, used from its thread. Every reserve()
// should be followed by one update() for that request (status 0 when no response came:
// timeout, connection error), because the limiter counts requests in flight against what
// Discord reports; a reservation never answered is forgotten after `inflight_timeout`.
class rest_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // Global gate: one request per 21 ms (~47/s, under Discord's 50/s in any one-second
  // window, with room for network jitter). Spacing rather than a burst window: a burst of
  // 50 followed by the steady rate would put up to ~100 requests in the first second.
  static constexpr std::chrono::microseconds global_spacing{21000};
  // Added to every reset time: Discord's clock, our clock and the network disagree a little.
  static constexpr std::chrono::milliseconds reset_margin{50};
  static constexpr std::chrono::minutes invalid_window{10};
  static constexpr std::chrono::minutes inflight_timeout{2};

  // When may a request on `route` go out (now or later)? Reserves the slot.
  // Interaction callbacks (POST /interactions/{id}/{token}/callback) skip the global gate.
  clock::time_point reserve(const std::string& route, clock::time_point now);
  // Learn from a response (headers, 429s); counts invalid responses.
  void update(const std::string& route, const rest_response_info& r, clock::time_point now);
  // Invalid responses (401, 403, 429 other than shared scope) in the last 10 minutes.
  int invalid_recent(clock::time_point now) const;

  // A 401 was seen: the token is not valid, and every further request is another invalid
  // response towards Cloudflare's ban. The client should stop.
  bool unauthorized() const { return unauthorized_; }
  // Until when a global 429 holds every request (interaction callbacks excepted).
  clock::time_point global_blocked_until() const { return global_blocked_until_; }
  // The bucket state a route uses: "hash:<X-RateLimit-Bucket>/<major>" once learned,
  // "route:<route>" before. For tests and logs.
  std::string bucket_of(const std::string& route) const;

 private:
  struct bucket_state {
    int limit = -1;                 // -1: not known yet (no headers seen)
    int remaining = 0;              // Discord's count minus our requests in flight
    clock::time_point reset_at{};   // when Discord refills the bucket
    clock::duration window{};       // the last Reset-After: length of a window
    clock::time_point blocked_until{};  // a 429 on this bucket
    std::vector<clock::time_point> inflight;  // send times of requests not answered yet, sorted
    clock::time_point last_used{};
  };

  bucket_state& state_for(const std::string& key, clock::time_point now);
  static int inflight_count(bucket_state& st, clock::time_point now);
  clock::time_point global_slot(clock::time_point t);
  void sweep(clock::time_point now);

  // "METHOD template" (major parameter replaced) -> X-RateLimit-Bucket hash.
  std::map<std::string, std::string> route_bucket_;
  std::map<std::string, bucket_state> buckets_;
  std::vector<clock::time_point> global_slots_;  // sorted; the recent and reserved global sends
  clock::time_point global_blocked_until_{};
  std::vector<clock::time_point> invalid_;       // sorted times of invalid responses
  bool unauthorized_ = false;
  clock::time_point last_sweep_{};
};

}  // namespace mlpath::discord
