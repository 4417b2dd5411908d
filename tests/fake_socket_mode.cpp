#include "fake_socket_mode.hpp"

#include <boost/json.hpp>
#include <future>

namespace mlpath::test {

namespace json = boost::json;

fake_socket_mode::fake_socket_mode() {
  net::ws_server::handlers h;
  h.on_open = [this](connection_id id, std::string target) {
    bool greet = false;
    {
      std::lock_guard lock(mu_);
      conns_[id] = connection{id, std::move(target), true, 0, {}};
      greet = auto_hello_;
    }
    changed_.notify_all();
    if (greet)
      server_->send(id, R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-fake"},)"
                        R"("connection_info":{"app_id":"A0TEST"}})");
  };
  h.on_message = [this](connection_id id, std::string text) {
    {
      std::lock_guard lock(mu_);
      conns_[id].received.push_back(std::move(text));
    }
    changed_.notify_all();
  };
  h.on_closed = [this](connection_id id, int code) {
    {
      std::lock_guard lock(mu_);
      conns_[id].open = false;
      conns_[id].close_code = code;
    }
    changed_.notify_all();
  };
  server_ = std::make_unique<net::ws_server>(loop_, std::move(h));
  port_ = server_->listen("127.0.0.1", 0);
  thread_ = std::thread([this] { loop_.run(); });
}

fake_socket_mode::~fake_socket_mode() {
  std::promise<void> done;
  loop_.post([&] {
    server_.reset();
    done.set_value();
  });
  done.get_future().wait();
  loop_.post([this] { loop_.stop(); });
  thread_.join();
}

std::string fake_socket_mode::url() {
  std::lock_guard lock(mu_);
  return "ws://127.0.0.1:" + std::to_string(port_) + "/link/?ticket=" + std::to_string(++tickets_);
}

void fake_socket_mode::auto_hello(bool on) {
  std::lock_guard lock(mu_);
  auto_hello_ = on;
}

std::vector<fake_socket_mode::connection> fake_socket_mode::connections() const {
  std::lock_guard lock(mu_);
  std::vector<connection> out;
  for (const auto& [id, c] : conns_) out.push_back(c);
  return out;
}

bool fake_socket_mode::wait_for(const std::function<bool(const std::vector<connection>&)>& pred,
                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    std::vector<connection> all;
    for (const auto& [id, c] : conns_) all.push_back(c);
    return pred(all);
  });
}

namespace {

bool acknowledges(const std::string& frame, const std::string& envelope_id) {
  std::error_code ec;
  auto v = json::parse(frame, ec);
  if (ec || !v.is_object()) return false;
  const auto* id = v.as_object().if_contains("envelope_id");
  return id && id->is_string() && id->as_string() == envelope_id;
}

}  // namespace

std::optional<fake_socket_mode::connection_id> fake_socket_mode::wait_ack(const std::string& envelope_id,
                                                                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::optional<connection_id> found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& [id, c] : conns_)
      for (const auto& f : c.received)
        if (acknowledges(f, envelope_id)) {
          found = id;
          return true;
        }
    return false;
  });
  return found;
}

std::optional<std::string> fake_socket_mode::ack_of(const std::string& envelope_id) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, c] : conns_)
    for (const auto& f : c.received)
      if (acknowledges(f, envelope_id)) return f;
  return std::nullopt;
}

int fake_socket_mode::acks_of(const std::string& envelope_id) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [id, c] : conns_)
    for (const auto& f : c.received)
      if (acknowledges(f, envelope_id)) ++n;
  return n;
}

void fake_socket_mode::send(connection_id c, std::string text) {
  loop_.post([this, c, text = std::move(text)]() mutable { server_->send(c, std::move(text)); });
}

void fake_socket_mode::hello(connection_id c) {
  send(c, R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-fake"},"connection_info":{"app_id":"A0TEST"}})");
}

void fake_socket_mode::disconnect(connection_id c, const std::string& reason) {
  send(c, json::serialize(json::object{{"type", "disconnect"}, {"reason", reason},
                                       {"debug_info", json::object{{"host", "wss-fake.slack.com"}}}}));
}

void fake_socket_mode::close(connection_id c, int code) {
  loop_.post([this, c, code] { server_->close(c, code); });
}

void fake_socket_mode::silence(connection_id c) {
  loop_.post([this, c] { server_->silence(c); });
}

std::string socket_envelope(const std::string& envelope_id, const std::string& type, const std::string& payload,
                            bool accepts_response_payload, int retry_attempt) {
  json::object o{{"envelope_id", envelope_id},
                 {"type", type},
                 {"payload", json::parse(payload)},
                 {"accepts_response_payload", accepts_response_payload}};
  if (type == "events_api") {
    o["retry_attempt"] = retry_attempt;
    o["retry_reason"] = retry_attempt ? "timeout" : "";
  }
  return json::serialize(o);
}

}  // namespace mlpath::test
