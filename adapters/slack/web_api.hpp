#pragma once
// The Web API's protocol state, without the network: reading responses (ok:false into
// typed errors, Retry-After), which methods share which rate limit, and a per
// (workspace, method) rate limiter driven by an injected clock.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace mlpath::slack {

// Every chat.postMessage carries the outbox id in its message metadata under this event
// type, so a post whose outcome is unknown can be found in the channel's history.
inline constexpr std::string_view outbox_event_type = "mlpath_outbox";

// One message of a conversations.history page, as far as reconciliation needs it.
struct history_message {
  std::string ts;
  std::string event_type;  // metadata.event_type ("" without metadata)
  std::string outbox_id;   // metadata.event_payload.id (string or number)
};

struct api_response {
  int http_status = 0;
  bool ok = false;
  // ok:false details
  std::string error;     // e.g. channel_not_found, ratelimited, invalid_auth
  std::string needed;    // missing_scope: the scope needed
  std::string provided;
  std::string warning;   // ok:true may carry warnings too
  std::vector<std::string> messages;  // response_metadata.messages
  std::optional<std::chrono::seconds> retry_after;  // from a 429's Retry-After header
  // Fields of successful responses we use.
  std::string ts;          // chat.postMessage, chat.update
  std::string channel_id;  // chat.postMessage (channel), conversations.open (channel.id)
  std::string user_id;     // auth.test user_id; oauth.v2.access authed_user.id (the installer)
  std::string bot_id;      // auth.test bot_id
  std::string team_id;     // auth.test team_id; oauth.v2.access team.id ("" for an org-wide install: team is null)
  std::string enterprise_id;           // auth.test enterprise_id; oauth.v2.access enterprise.id
  bool is_enterprise_install = false;  // auth.test, oauth.v2.access: installed org-wide
  std::string app_id;      // oauth.v2.access app_id
  std::string bot_user_id; // oauth.v2.access bot_user_id
  std::string access_token;// oauth.v2.access access_token
  std::string scope;       // oauth.v2.access scope
  std::string token_type;  // oauth.v2.access token_type (bot)
  // oauth.v2.access with token rotation on: the single-use refresh token and the access
  // token's lifetime in seconds (0 = it does not expire).
  std::string refresh_token;
  std::int64_t expires_in = 0;
  std::string tz;          // users.info user.tz
  std::string url;         // apps.connections.open url
  std::vector<history_message> history;  // conversations.history messages, newest first
  std::string next_cursor;               // response_metadata.next_cursor ("" = last page)

  // No HTTP answer at all (http_status 0): why, in one word for metrics (connect,
  // timeout, closed, truncated), and whether the request may still have reached Slack.
  std::string transport_failure;
  bool maybe_delivered = false;

  // Worth retrying: no answer (connection refused or reset, timeout, truncated body), 429,
  // 5xx, or a transient error such as internal_error / fatal_error.
  bool transient() const;
  // The label for mlpath_outbound_retries_total: rate_limited, server_error, or the
  // transport failure.
  std::string retry_reason() const;
};

// chat.postMessage's `metadata` argument for the outbox message `outbox_id`.
boost::json::object outbox_metadata(std::int64_t outbox_id);
// The ts of the post carrying `outbox_id` on this conversations.history page, if any.
std::optional<std::string> find_outbox_post(const api_response& history, std::int64_t outbox_id);

// Never throws: a body that is not JSON gives ok=false, error="invalid_response".
api_response parse_api_response(int http_status, std::string_view retry_after_header, std::string_view body);

// Slack's rate-limit tiers (requests per minute): 1 = 1+, 2 = 20+, 3 = 50+, 4 = 100+.
// chat.postMessage is "special": about one message per second per channel.
int tier_of(std::string_view method);

// Not synchronised: one limiter is owned by the thread that sends (the outbox dispatcher).
class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // Reserves the next slot for a call and returns when it may be sent (now or later).
  // `channel` only matters for chat.postMessage-like methods.
  clock::time_point reserve(std::string_view team, std::string_view method, std::string_view channel,
                            clock::time_point now);
  // A 429: nothing for this (team, method) until now + retry_after.
  void blocked(std::string_view team, std::string_view method, std::chrono::seconds retry_after, clock::time_point now);

 private:
  struct bucket {
    clock::time_point next{};        // earliest time the next call may go
    clock::time_point blocked_until{};
  };
  std::map<std::tuple<std::string, std::string, std::string>, bucket, std::less<>> buckets_;
  std::size_t prune_at_ = 4096;  // sweep idle buckets when the map grows past this
};

}  // namespace mlpath::slack
