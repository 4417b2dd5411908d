#include "fake_slack.hpp"

#include <boost/json.hpp>
#include <boost/url/url.hpp>
#include <future>

#include "adapters/slack/signature.hpp"
#include "bot/net/crypto.hpp"

namespace mlpath::test {

namespace json = boost::json;

fake_slack::fake_slack() {
  server_ = std::make_unique<net::http_server>(loop_, [this](net::http_request&& req, net::http_reply reply) {
    handle(std::move(req), std::move(reply));
  });
  port_ = server_->listen("127.0.0.1", 0);
  client_ = std::make_unique<net::http_client>(loop_);
  thread_ = std::thread([this] { loop_.run(); });
}

fake_slack::~fake_slack() {
  loop_.post([this] { loop_.stop(); });
  thread_.join();
}

std::string fake_slack::api_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/"; }

void fake_slack::script(const std::string& method, scripted s) {
  std::lock_guard lock(mu_);
  scripts_[method].push_back(std::move(s));
}

void fake_slack::fail_always(const std::string& method, int status) {
  std::lock_guard lock(mu_);
  failing_[method] = status;
}

void fake_slack::break_always(const std::string& method, net::http_response::fault fault, bool acted) {
  std::lock_guard lock(mu_);
  breaking_[method] = {fault, acted};
}

void fake_slack::socket_mode_urls(std::function<std::string()> next_url) {
  std::lock_guard lock(mu_);
  socket_url_ = std::move(next_url);
}

void fake_slack::reject_token(const std::string& token, const std::string& error) {
  std::lock_guard lock(mu_);
  rejected_["Bearer " + token] = error;
}

void fake_slack::clear_failures() {
  std::lock_guard lock(mu_);
  failing_.clear();
  breaking_.clear();
}

std::size_t fake_slack::posts_in(const std::string& channel) const {
  std::lock_guard lock(mu_);
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}

std::vector<recorded_call> fake_slack::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<recorded_call> fake_slack::calls(const std::string& method) const {
  std::lock_guard lock(mu_);
  std::vector<recorded_call> out;
  for (const auto& c : calls_)
    if (c.method == method) out.push_back(c);
  return out;
}

bool fake_slack::wait_for(const std::function<bool(const std::vector<recorded_call>&)>& pred,
                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return pred(calls_); });
}

void fake_slack::handle(net::http_request&& req, net::http_reply reply) {
  std::string path(req.path());
  std::string method = path.rfind("/api/", 0) == 0 ? path.substr(5) : path;
  recorded_call call{method, std::string(req.header("Authorization")), std::string(req.header("Content-Type")), req.body,
                     nullptr, {}, std::chrono::steady_clock::now()};
  std::error_code ec;
  call.json = json::parse(req.body, ec);
  if (ec) call.json = nullptr;

  std::optional<scripted> s;
  int failing = 0;
  {
    std::lock_guard lock(mu_);
    auto it = scripts_.find(method);
    // A rejected token fails before any script (which stays for a call Slack accepts).
    if (auto r = rejected_.find(call.auth); r != rejected_.end())
      s = scripted{200, json::serialize(json::object{{"ok", false}, {"error", r->second}}), {}, {}, false};
    else if (it != scripts_.end() && !it->second.empty()) {
      s = std::move(it->second.front());
      it->second.pop_front();
    }
    if (auto f = failing_.find(method); f != failing_.end()) failing = f->second;
    if (auto b = breaking_.find(method); b != breaking_.end() && !s) {
      s = scripted{};
      s->fault = b->second.first;
      s->acted = b->second.second;
    }
  }
  net::http_response res;
  res.content_type = "application/json; charset=utf-8";
  if (!s && failing) s = scripted{failing, R"({"ok":false,"error":"service_unavailable"})", {}, {}, false};
  // A scripted body that says ok:true is an answer Slack acted on too.
  auto says_ok = [](const std::string& body) {
    std::error_code bad;
    json::value v = json::parse(body, bad);
    return !bad && v.is_object() && v.as_object().contains("ok") && v.at("ok") == true;
  };
  bool accepted = !s || (s->status == 200 && (s->body.empty() || says_ok(s->body)) && !s->drop &&
                         (s->fault == net::http_response::fault::none || s->acted));
  if (s && !s->body.empty()) res.body = s->body;
  if (s) {
    res.status = s->status;
    res.headers = s->headers;
  }
  if (res.body.empty()) {
    json::object ok{{"ok", true}};
    if (method == "auth.test") {
      ok["user_id"] = "U0BOT";
      ok["bot_id"] = "B0BOT";
      ok["team_id"] = "T0TEST";
      ok["user"] = "mlpath";
    } else if (method == "conversations.open") {
      std::string user = call.json.is_object() && call.json.as_object().contains("users")
                             ? std::string(call.json.at("users").as_string())
                             : "UNKNOWN";
      ok["channel"] = json::object{{"id", "D" + user}};
    } else if (method == "chat.postMessage" || method == "chat.update" || method == "chat.postEphemeral") {
      std::lock_guard lock(mu_);
      ok["ts"] = "1700000000." + std::to_string(100000 + ++ts_counter_);
      call.response_ts = std::string(ok["ts"].as_string());
      if (call.json.is_object() && call.json.as_object().contains("channel")) ok["channel"] = call.json.at("channel");
      if (method == "chat.postMessage" && accepted && call.json.is_object()) {
        const auto& o = call.json.as_object();
        std::string channel = o.contains("channel") ? std::string(o.at("channel").as_string()) : "";
        channels_[channel].push_back({call.response_ts, o.contains("metadata") ? o.at("metadata") : json::value()});
      }
    } else if (method == "conversations.history") {
      // Form arguments, as mlpath sends them; newest first, paged by an offset cursor.
      boost::urls::url u;
      u.set_encoded_query(req.body);
      std::string channel, cursor;
      bool with_metadata = false;
      std::size_t limit = 100;
      for (auto p : u.params()) {
        if (p.key == "channel") channel = p.value;
        else if (p.key == "cursor") cursor = p.value;
        else if (p.key == "include_all_metadata") with_metadata = p.value == "true";
        else if (p.key == "limit") limit = std::stoul(p.value);
      }
      std::lock_guard lock(mu_);
      const auto& posts = channels_[channel];
      std::size_t from = cursor.empty() ? 0 : std::stoul(cursor);
      json::array messages;
      std::size_t i = from;
      for (; i < posts.size() && messages.size() < limit; ++i) {
        const auto& p = posts[posts.size() - 1 - i];
        json::object m{{"type", "message"}, {"ts", p.ts}, {"bot_id", "B0BOT"}};
        if (with_metadata && !p.metadata.is_null()) m["metadata"] = p.metadata;
        messages.push_back(std::move(m));
      }
      ok["messages"] = std::move(messages);
      ok["has_more"] = i < posts.size();
      ok["response_metadata"] = json::object{{"next_cursor", i < posts.size() ? std::to_string(i) : ""}};
    } else if (method == "apps.connections.open") {
      std::function<std::string()> next;
      {
        std::lock_guard lock(mu_);
        next = socket_url_;
      }
      if (next) ok["url"] = next();
      else ok = json::object{{"ok", false}, {"error", "invalid_auth"}};
    } else if (method == "users.info") {
      ok["user"] = json::object{{"id", "U1"}, {"tz", "Europe/Berlin"}};
    }
    res.body = json::serialize(ok);
  }
  bool drop = s && s->drop;
  auto delay = s ? s->delay : std::chrono::milliseconds(0);
  {
    std::lock_guard lock(mu_);
    // Only calls Slack would have acted on count as accepted; others are recorded with a marker.
    if (!accepted) call.method = "!" + call.method;
    calls_.push_back(std::move(call));
  }
  changed_.notify_all();
  if (drop) {
    // Never answer: the server's handler timeout will close it; mlpath's client times out first.
    return;
  }
  if (s) res.inject = s->fault;
  if (delay.count() > 0) {
    loop_.after(delay, [reply, res]() mutable { reply(std::move(res)); });
    return;
  }
  reply(std::move(res));
}

net::client_response fake_slack::request(net::client_request req) {
  std::promise<net::client_response> p;
  auto f = p.get_future();
  loop_.post([this, req = std::move(req), &p]() mutable {
    client_->send(std::move(req), [&p](net::client_response r) { p.set_value(std::move(r)); });
  });
  return f.get();
}

net::client_response fake_slack::post_signed(const std::string& url, const std::string& secret,
                                             const std::string& content_type, const std::string& body,
                                             std::vector<std::pair<std::string, std::string>> extra, long long timestamp) {
  if (timestamp == 0)
    timestamp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string ts = std::to_string(timestamp);
  net::client_request req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Content-Type", content_type},
                 {"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", slack::sign_request(net::crypto_primitives(), secret, ts, body)}};
  for (auto& h : extra) req.headers.push_back(std::move(h));
  return request(std::move(req));
}

std::string slack_dm_event(const std::string& event_id, const std::string& user, const std::string& text,
                           const std::string& channel, const std::string& team) {
  json::object event{{"type", "message"},   {"channel_type", "im"}, {"channel", channel}, {"user", user},
                     {"text", text},        {"ts", "1700000000." + event_id.substr(std::min<std::size_t>(event_id.size(), 2))},
                     {"event_ts", "1700000000.000001"}};
  json::object envelope{{"token", "x"},       {"team_id", team},          {"api_app_id", "A0TEST"},
                        {"event", event},     {"type", "event_callback"}, {"event_id", event_id},
                        {"event_time", 1700000000}};
  return json::serialize(envelope);
}

std::string slack_button_press(const std::string& user, const std::string& value, const std::string& message_ts,
                               const std::string& trigger_id, const std::string& channel, const std::string& team) {
  boost::urls::url u;
  u.params().append({"payload", slack_button_press_json(user, value, message_ts, trigger_id, channel, team)});
  return std::string(u.encoded_query());
}

std::string slack_button_press_json(const std::string& user, const std::string& value, const std::string& message_ts,
                                    const std::string& trigger_id, const std::string& channel, const std::string& team) {
  json::object payload{
      {"type", "block_actions"},
      {"user", json::object{{"id", user}, {"username", "someone"}, {"team_id", team}}},
      {"api_app_id", "A0TEST"},
      {"token", "x"},
      {"container", json::object{{"type", "message"}, {"message_ts", message_ts}, {"channel_id", channel}, {"is_ephemeral", false}}},
      {"trigger_id", trigger_id},
      {"team", json::object{{"id", team}, {"domain", "test"}}},
      {"channel", json::object{{"id", channel}, {"name", "directmessage"}}},
      {"message", json::object{{"type", "message"}, {"ts", message_ts}, {"text", "question"}}},
      {"response_url", "https://hooks.slack.com/actions/T0TEST/1/abc"},
      {"actions", json::array{json::object{{"action_id", value}, {"block_id", "b1"}, {"type", "button"}, {"value", value},
                                           {"action_ts", "1700000001.000001"}}}},
      {"state", json::object{{"values", json::object{}}}},
  };
  return json::serialize(payload);
}

}  // namespace mlpath::test
