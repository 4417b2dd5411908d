#include "fake_discord.hpp"

#include <boost/json.hpp>
#include <future>

#include "adapters/common/bytes.hpp"
#include "bot/net/crypto.hpp"

namespace mlpath::test {

namespace json = boost::json;

fake_discord::fake_discord() {
  auto keys = net::ed25519_keypair();
  public_key_ = keys.public_key;
  private_key_ = keys.private_key;
  http_ = std::make_unique<net::http_server>(loop_, [this](net::http_request&& r, net::http_reply reply) {
    handle(std::move(r), std::move(reply));
  });
  http_port_ = http_->listen("127.0.0.1", 0);
  net::ws_server::handlers h;
  h.on_open = [this](net::ws_server::connection_id id, std::string) {
    {
      std::lock_guard lock(mu_);
      current_ = id;
      ++connections_;
    }
    ws_->send(id, R"({"op":10,"d":{"heartbeat_interval":500},"s":null,"t":null})");
    changed_.notify_all();
  };
  h.on_message = [this](net::ws_server::connection_id id, std::string text) { on_ws_message(id, std::move(text)); };
  h.on_closed = [this](net::ws_server::connection_id, int code) {
    {
      std::lock_guard lock(mu_);
      close_codes_.push_back(code);
    }
    changed_.notify_all();
  };
  ws_ = std::make_unique<net::ws_server>(loop_, h);
  ws_port_ = ws_->listen("127.0.0.1", 0);
  client_ = std::make_unique<net::http_client>(loop_);
  thread_ = std::thread([this] { loop_.run(); });
}

fake_discord::~fake_discord() {
  loop_.post([this] { loop_.stop(); });
  thread_.join();
}

std::string fake_discord::api_url() const { return "http://127.0.0.1:" + std::to_string(http_port_) + "/api/v10"; }

std::string fake_discord::public_key_hex() const {
  return adapters::to_hex(reinterpret_cast<const unsigned char*>(public_key_.data()), public_key_.size());
}

void fake_discord::script(const std::string& prefix, int status, std::string body,
                          std::vector<std::pair<std::string, std::string>> headers) {
  std::lock_guard lock(mu_);
  scripts_.emplace_back(prefix, status, std::move(body), std::move(headers));
}

std::vector<rest_call> fake_discord::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<gateway_frame> fake_discord::frames() const {
  std::lock_guard lock(mu_);
  return frames_;
}

int fake_discord::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

std::vector<int> fake_discord::close_codes() const {
  std::lock_guard lock(mu_);
  return close_codes_;
}

bool fake_discord::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  while (true) {
    lock.unlock();
    bool ok = pred();
    lock.lock();
    if (ok) return true;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      lock.unlock();
      return pred();
    }
  }
}

void fake_discord::handle(net::http_request&& req, net::http_reply reply) {
  std::string path(req.path());
  if (path.rfind("/api/v10", 0) == 0) path = path.substr(8);
  rest_call call{req.method, path, std::string(req.header("Authorization")), std::string(req.header("User-Agent")), req.body,
                 nullptr, 200};
  std::error_code ec;
  call.json = json::parse(req.body, ec);
  if (ec) call.json = nullptr;
  net::http_response res;
  res.content_type = "application/json";
  std::string key = req.method + " " + path;
  bool scripted = false;
  {
    std::lock_guard lock(mu_);
    for (auto it = scripts_.begin(); it != scripts_.end(); ++it) {
      if (key.rfind(std::get<0>(*it), 0) != 0) continue;
      res.status = std::get<1>(*it);
      res.body = std::get<2>(*it);
      res.headers = std::get<3>(*it);
      scripts_.erase(it);
      scripted = true;
      break;
    }
  }
  if (!scripted) {
    if (key == "GET /gateway/bot") {
      res.body = json::serialize(json::object{
          {"url", "ws://127.0.0.1:" + std::to_string(ws_port_)},
          {"shards", 1},
          {"session_start_limit", json::object{{"total", 1000}, {"remaining", 999}, {"reset_after", 14400000}, {"max_concurrency", 1}}}});
    } else if (key == "POST /users/@me/channels") {
      std::string user = call.json.is_object() ? std::string(call.json.at("recipient_id").as_string()) : "?";
      res.body = json::serialize(json::object{{"id", "DM" + user}, {"type", 1}});
    } else if (req.method == "POST" && path.rfind("/channels/", 0) == 0) {
      std::lock_guard lock(mu_);
      res.body = json::serialize(json::object{{"id", "MSG" + std::to_string(++message_counter_)}, {"channel_id", path.substr(10, path.find('/', 10) - 10)}});
    } else if (req.method == "POST" && path.rfind("/interactions/", 0) == 0) {
      res.status = 204;
    } else if (req.method == "PATCH" && path.rfind("/webhooks/", 0) == 0) {
      res.body = json::serialize(json::object{{"id", "ORIGINAL"}});
    } else if (req.method == "POST" && path.rfind("/webhooks/", 0) == 0) {
      std::lock_guard lock(mu_);
      res.body = json::serialize(json::object{{"id", "MSG" + std::to_string(++message_counter_)}});
    } else if (path.find("/commands") != std::string::npos) {
      std::lock_guard lock(mu_);
      if (req.method == "PUT") commands_ = req.body;
      res.body = commands_;
    } else {
      res.status = 404;
      res.body = R"({"message":"404: Not Found","code":0})";
    }
  }
  // A scripted status of -1 resets the connection instead of answering.
  if (res.status == -1) {
    res.status = 200;
    res.inject = net::http_response::fault::reset;
  }
  call.status = res.inject == net::http_response::fault::reset ? 0 : res.status;
  {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
  }
  changed_.notify_all();
  reply(std::move(res));
}

void fake_discord::on_ws_message(net::ws_server::connection_id id, std::string text) {
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return;
  int op = static_cast<int>(v.at("op").to_number<std::int64_t>());
  bool acks;
  {
    std::lock_guard lock(mu_);
    frames_.push_back({op, v});
    acks = acks_;
  }
  changed_.notify_all();
  if (op == 1 && acks) ws_->send(id, R"({"op":11,"d":null,"s":null,"t":null})");
  if (op == 2) {
    long long s;
    int n;
    {
      std::lock_guard lock(mu_);
      s = ++seq_;
      n = ++sessions_;
    }
    json::object ready{{"op", 0},
                       {"t", "READY"},
                       {"s", s},
                       {"d", json::object{{"v", 10},
                                          {"session_id", "session" + std::to_string(n)},
                                          {"resume_gateway_url", "ws://127.0.0.1:" + std::to_string(ws_port_)},
                                          {"user", json::object{{"id", "BOT1"}, {"username", "mlpath"}, {"bot", true}}},
                                          {"guilds", json::array{}},
                                          {"application", json::object{{"id", "APP1"}}}}}};
    ws_->send(id, json::serialize(ready));
  }
  if (op == 6) {
    long long s;
    {
      std::lock_guard lock(mu_);
      s = ++seq_;
    }
    ws_->send(id, R"({"op":0,"t":"RESUMED","s":)" + std::to_string(s) + R"(,"d":{}})");
  }
}

void fake_discord::dispatch_dm(const std::string& message_id, const std::string& author, const std::string& content,
                               bool author_bot) {
  loop_.post([=, this] {
    long long s;
    net::ws_server::connection_id id;
    {
      std::lock_guard lock(mu_);
      s = ++seq_;
      id = current_;
    }
    json::object d{{"id", message_id},
                   {"channel_id", "DM" + author},
                   {"author", json::object{{"id", author}, {"username", "u" + author}, {"bot", author_bot}}},
                   {"content", content},
                   {"type", 0},
                   {"flags", 0},
                   {"timestamp", "2026-11-26T12:00:00.000000+00:00"}};
    ws_->send(id, json::serialize(json::object{{"op", 0}, {"t", "MESSAGE_CREATE"}, {"s", s}, {"d", d}}));
  });
}

void fake_discord::send_op(int op, const std::string& d_json) {
  loop_.post([=, this] {
    net::ws_server::connection_id id;
    {
      std::lock_guard lock(mu_);
      id = current_;
    }
    ws_->send(id, R"({"op":)" + std::to_string(op) + R"(,"d":)" + d_json + R"(,"s":null,"t":null})");
  });
}

void fake_discord::close_gateway(int code) {
  loop_.post([=, this] {
    net::ws_server::connection_id id;
    {
      std::lock_guard lock(mu_);
      id = current_;
    }
    ws_->close(id, code);
  });
}

void fake_discord::set_acks(bool on) {
  std::lock_guard lock(mu_);
  acks_ = on;
}

net::client_response fake_discord::request(net::client_request req) {
  std::promise<net::client_response> p;
  auto f = p.get_future();
  loop_.post([this, req = std::move(req), &p]() mutable {
    client_->send(std::move(req), [&p](net::client_response r) { p.set_value(std::move(r)); });
  });
  return f.get();
}

net::client_response fake_discord::post_interaction(const std::string& url, const std::string& body, bool good_signature) {
  std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::string sig = net::ed25519_sign(private_key_, ts + body);
  if (!good_signature) sig[0] = static_cast<char>(sig[0] ^ 1);
  net::client_request req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Signature-Ed25519", adapters::to_hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size())},
                 {"X-Signature-Timestamp", ts}};
  return request(std::move(req));
}

std::string discord_command(const std::string& id, const std::string& user, const std::string& sub,
                            const std::string& guild, const std::string& permissions) {
  json::object who{{"id", user}, {"username", "user" + user}, {"bot", false}};
  json::object in{{"id", id},
                  {"application_id", "APP1"},
                  {"type", 2},
                  {"token", "tok" + id},
                  {"version", 1},
                  {"channel_id", guild.empty() ? "DM" + user : "C1"},
                  {"data", json::object{{"id", "CMD1"},
                                        {"name", "mlpath"},
                                        {"type", 1},
                                        {"options", json::array{json::object{{"name", sub}, {"type", 1}}}}}}};
  if (guild.empty()) {
    in["user"] = who;
    in["context"] = 1;
  } else {
    in["guild_id"] = guild;
    in["member"] = json::object{{"user", who}, {"permissions", permissions}, {"roles", json::array{}}};
    in["context"] = 0;
  }
  return json::serialize(in);
}

std::string discord_press(const std::string& id, const std::string& user, const std::string& custom_id,
                          const std::vector<std::string>& values, const std::string& guild, int component_type,
                          const std::string& message_id) {
  json::object who{{"id", user}, {"username", "user" + user}, {"bot", false}};
  json::object data{{"custom_id", custom_id}, {"component_type", component_type}};
  if (component_type == 3) {
    json::array v;
    for (const auto& x : values) v.emplace_back(x);
    data["values"] = v;
  }
  json::object in{{"id", id},
                  {"application_id", "APP1"},
                  {"type", 3},
                  {"token", "tok" + id},
                  {"version", 1},
                  {"channel_id", guild.empty() ? "DM" + user : "C1"},
                  {"message", json::object{{"id", message_id}, {"flags", guild.empty() ? 0 : 64}}},
                  {"data", data}};
  if (guild.empty()) {
    in["user"] = who;
    in["context"] = 1;
  } else {
    in["guild_id"] = guild;
    in["member"] = json::object{{"user", who}, {"permissions", "0"}, {"roles", json::array{}}};
    in["context"] = 0;
  }
  return json::serialize(in);
}

}  // namespace mlpath::test
