#pragma once
// Calls Slack's Web API: Bearer token, JSON (or form) bodies, per (workspace, method)
// rate limiting, 429 Retry-After honoured, bounded retries with backoff, a timeout on
// every call. Base URL from SLACK_API_URL.
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/common/backoff.hpp"
#include "adapters/slack/web_api.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"

namespace mlpath {

class slack_web_client {
 public:
  using done_fn = std::function<void(const slack::api_response&)>;
  using steady_clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  struct options {
    int max_attempts = 4;                         // first try plus retries
    std::chrono::milliseconds timeout{10000};     // per attempt
    adapters::backoff_policy backoff{std::chrono::milliseconds(250), std::chrono::seconds(4)};
    std::chrono::seconds longest_wait{60};        // a Retry-After longer than this is not waited out here
  };

  slack_web_client(net::event_loop& loop, net::http_client& http, std::string api_base, metrics& m,
                   options o, steady_clock_fn clock = {});

  // `rate_key` is the channel for per-channel limits (chat.postMessage), else "".
  void call_json(std::string team, std::string token, std::string method, std::string json_body, done_fn done,
                 std::string rate_key = {});
  void call_form(std::string team, std::string token, std::string method,
                 std::vector<std::pair<std::string, std::string>> fields, done_fn done);

 private:
  struct call;
  void attempt(std::shared_ptr<call> c);  // waits for the rate limiter, then sends
  void send(std::shared_ptr<call> c);
  void finish(std::shared_ptr<call> c, net::client_response res);

  net::event_loop& loop_;
  net::http_client& http_;
  std::string base_;
  metrics& metrics_;
  options options_;
  steady_clock_fn clock_;
  slack::rate_limiter limiter_;
};

}  // namespace mlpath
