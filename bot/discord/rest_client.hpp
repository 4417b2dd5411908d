#pragma once
// Calls Discord's REST API: Authorization: Bot, the DiscordBot User-Agent, per-bucket
// rate limits learned from headers, the global gate, 429s honoured (fractional
// retry_after), bounded retries with backoff, a timeout on every call. Base URL from
// DISCORD_API_URL.
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <string>

#include "adapters/common/backoff.hpp"
#include "adapters/discord/rest_limits.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"

namespace mlpath {

struct discord_result {
  int status = 0;  // 0: no response (see transport_error)
  std::string body;
  discord::rest_error error;  // parsed for non-2xx
  std::string transport_error;
  std::string transport_failure;  // status 0: connect, timeout, closed, truncated
  bool maybe_delivered = false;   // status 0 after the request was written
  bool ok() const { return status >= 200 && status < 300; }
  bool transient() const { return status == 0 || status == 429 || status >= 500; }
  std::string retry_reason() const {
    return status == 0 ? transport_failure : status == 429 ? "rate_limited" : "server_error";
  }
};

class discord_rest {
 public:
  using done_fn = std::function<void(const discord_result&)>;
  using steady_clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  discord_rest(net::event_loop& loop, net::http_client& http, std::string api_base, std::string bot_token, metrics& m,
               steady_clock_fn clock = {});

  // `path` starts with '/', e.g. /channels/123/messages. `body` is JSON ("" for none).
  void call(std::string method, std::string path, std::string body, done_fn done);

  int max_attempts = 4;
  std::chrono::milliseconds timeout{10000};
  adapters::backoff_policy backoff{std::chrono::milliseconds(250), std::chrono::seconds(4)};

 private:
  struct call_state;
  void attempt(std::shared_ptr<call_state> c);
  void send(std::shared_ptr<call_state> c);
  void finish(std::shared_ptr<call_state> c, net::client_response res);

  net::event_loop& loop_;
  net::http_client& http_;
  std::string base_;
  std::string token_;
  metrics& metrics_;
  steady_clock_fn clock_;
  discord::rest_limiter limiter_;
};

}  // namespace mlpath
