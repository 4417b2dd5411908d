#include "bot/slack/web_client.hpp"

#include <boost/url/url.hpp>

namespace mlpath {

struct slack_web_client::call {
  std::string team;
  std::string method;
  std::string rate_key;
  net::client_request request;
  done_fn done;
  int attempts = 0;
};

slack_web_client::slack_web_client(net::event_loop& loop, net::http_client& http, std::string api_base, metrics& m,
                                   options o, steady_clock_fn clock)
    : loop_(loop), http_(http), base_(std::move(api_base)), metrics_(m), options_(o), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void slack_web_client::call_json(std::string team, std::string token, std::string method, std::string json_body,
                                 done_fn done, std::string rate_key) {
  auto c = std::make_shared<call>();
  c->team = std::move(team);
  c->method = method;
  c->rate_key = std::move(rate_key);
  c->request.method = "POST";
  c->request.url = base_ + method;
  c->request.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json; charset=utf-8"}};
  c->request.body = std::move(json_body);
  c->request.timeout = options_.timeout;
  c->done = std::move(done);
  attempt(std::move(c));
}

void slack_web_client::call_form(std::string team, std::string token, std::string method,
                                 std::vector<std::pair<std::string, std::string>> fields, done_fn done) {
  boost::urls::url u;
  for (auto& [k, v] : fields) u.params().append({k, v});
  auto c = std::make_shared<call>();
  c->team = std::move(team);
  c->method = method;
  c->request.method = "POST";
  c->request.url = base_ + method;
  c->request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  if (!token.empty()) c->request.headers.emplace_back("Authorization", "Bearer " + token);
  c->request.body = std::string(u.encoded_query());
  c->request.timeout = options_.timeout;
  c->done = std::move(done);
  attempt(std::move(c));
}

void slack_web_client::attempt(std::shared_ptr<call> c) {
  auto now = clock_();
  loop_.run_at(limiter_.reserve(c->team, c->method, c->rate_key, now), now, [this, c] { send(c); });
}

void slack_web_client::send(std::shared_ptr<call> c) {
  ++c->attempts;
  net::client_request req = c->request;
  http_.send(std::move(req), [this, c](net::client_response res) { finish(c, std::move(res)); });
}

namespace {

// Calls that must not be repeated blindly when their outcome is unknown: each would post
// again (the outbox reconciles them instead, slack_sender), or would spend a single-use
// code or refresh token a second time (oauth.v2.access: the caller decides).
bool repeatable(std::string_view method) {
  return method != "chat.postMessage" && method != "chat.postEphemeral" && method != "oauth.v2.access";
}

}  // namespace

void slack_web_client::finish(std::shared_ptr<call> c, net::client_response res) {
  slack::api_response r;
  if (res.status == 0) {
    r.http_status = 0;
    r.ok = false;
    r.error = "transport_error";
    r.transport_failure = net::to_string(res.failure);
    r.maybe_delivered = res.maybe_delivered;
    r.messages.push_back(res.error);
  } else {
    r = slack::parse_api_response(res.status, res.header("Retry-After"), res.body);
  }
  metrics_.count("mlpath_outbound_requests_total",
                 "platform=\"slack\",method=\"" + c->method + "\",status=\"" + std::to_string(res.status) + "\"");
  bool transient = r.transient();
  if (res.status == 429) {
    metrics_.count("mlpath_outbound_429_total", "platform=\"slack\"");
    auto wait = r.retry_after.value_or(std::chrono::seconds(1));
    limiter_.blocked(c->team, c->method, wait, clock_());
    if (wait > options_.longest_wait) transient = false;  // hand it back: the outbox waits durably
  }
  if (r.maybe_delivered && !repeatable(c->method)) transient = false;  // hand it back for reconciliation
  if (transient && c->attempts < options_.max_attempts) {
    metrics_.count("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"" + r.retry_reason() + "\"");
    if (res.status == 429) {
      // The limiter now holds the call until Retry-After has passed.
      attempt(c);
      return;
    }
    loop_.after(options_.backoff.delay(c->attempts), [this, c] { attempt(c); });
    return;
  }
  c->done(r);
}

}  // namespace mlpath
