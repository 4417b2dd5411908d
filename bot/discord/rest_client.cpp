#include "bot/discord/rest_client.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

namespace mlpath {

struct discord_rest::call_state {
  std::string method;
  std::string path;
  std::string route;
  std::string body;
  done_fn done;
  int attempts = 0;
};

discord_rest::discord_rest(net::event_loop& loop, net::http_client& http, std::string api_base, std::string bot_token,
                           metrics& m, steady_clock_fn clock)
    : loop_(loop), http_(http), base_(std::move(api_base)), token_(std::move(bot_token)), metrics_(m), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void discord_rest::call(std::string method, std::string path, std::string body, done_fn done) {
  auto c = std::make_shared<call_state>();
  c->route = discord::route_key(method, path);
  c->method = std::move(method);
  c->path = std::move(path);
  c->body = std::move(body);
  c->done = std::move(done);
  attempt(std::move(c));
}

void discord_rest::attempt(std::shared_ptr<call_state> c) {
  auto now = clock_();
  loop_.run_at(limiter_.reserve(c->route, now), now, [this, c] { send(c); });
}

void discord_rest::send(std::shared_ptr<call_state> c) {
  ++c->attempts;
  net::client_request req;
  req.method = c->method;
  req.url = base_ + c->path;
  req.timeout = timeout;
  req.headers = {{"User-Agent", "DiscordBot (https://github.com/mlpath/mlpath, 0.1)"}};
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bot " + token_);
  if (!c->body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = c->body;
  }
  http_.send(std::move(req), [this, c](net::client_response res) { finish(c, std::move(res)); });
}

void discord_rest::finish(std::shared_ptr<call_state> c, net::client_response res) {
  discord::rest_response_info info;
  info.status = res.status;
  info.bucket = res.header("X-RateLimit-Bucket");
  info.limit = res.header("X-RateLimit-Limit");
  info.remaining = res.header("X-RateLimit-Remaining");
  info.reset_after = res.header("X-RateLimit-Reset-After");
  info.global = res.header("X-RateLimit-Global");
  info.scope = res.header("X-RateLimit-Scope");
  info.retry_after_header = res.header("Retry-After");
  info.body = res.body;
  auto now = clock_();
  limiter_.update(c->route, info, now);  // also for failures: the limiter counts calls in flight
  metrics_.count("mlpath_outbound_requests_total",
                 "platform=\"discord\",method=\"" + c->route.substr(0, c->route.find(' ')) + "\",status=\"" +
                     std::to_string(res.status) + "\"");
  discord_result r;
  r.status = res.status;
  r.transport_error = res.error;
  r.transport_failure = net::to_string(res.failure);
  r.maybe_delivered = res.maybe_delivered;
  if (!r.ok() && res.status != 0) r.error = discord::parse_rest_error(res.body);
  r.body = std::move(res.body);
  if (res.status == 429) {
    metrics_.count("mlpath_outbound_429_total", "platform=\"discord\"");
    double wait = r.error.retry_after.value_or(1.0);
    // Long waits go back to the caller (the outbox waits durably); short ones are waited out here.
    if (wait <= 60 && c->attempts < max_attempts) {
      metrics_.count("mlpath_outbound_retries_total", "platform=\"discord\",reason=\"rate_limited\"");
      attempt(c);  // the limiter now holds the route until retry_after has passed
      return;
    }
  } else if (r.transient() && c->attempts < max_attempts) {
    metrics_.count("mlpath_outbound_retries_total", "platform=\"discord\",reason=\"" + r.retry_reason() + "\"");
    loop_.after(backoff.delay(c->attempts), [this, c] { attempt(c); });
    return;
  }
  if (limiter_.invalid_recent(now) > 1000)
    spdlog::warn("discord: {} invalid responses in 10 minutes (Discord bans at 10,000)", limiter_.invalid_recent(now));
  c->done(r);
}

}  // namespace mlpath
