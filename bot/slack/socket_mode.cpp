#include "bot/slack/socket_mode.hpp"

#include <spdlog/spdlog.h>

namespace mlpath {

namespace {

slack::socket_open_result classify(const slack::api_response& r) {
  using kind = slack::socket_open_result::kind;
  slack::socket_open_result out;
  if (r.ok && !r.url.empty()) {
    out.what = kind::ok;
    out.url = r.url;
    return out;
  }
  out.error = r.error.empty() ? "no url" : r.error;
  if (r.error == "transport_error" && !r.messages.empty()) out.error += ": " + r.messages.front();
  if (r.http_status == 429) {
    out.what = kind::rate_limited;
    out.retry_after = r.retry_after.value_or(std::chrono::seconds(1));
  } else if (!r.ok && slack::is_fatal_open_error(r.error)) {
    out.what = kind::fatal;
  } else {
    out.what = kind::transient;
  }
  return out;
}

}  // namespace

slack_socket_mode::slack_socket_mode(net::event_loop& loop, slack_web_client& api, metrics& m, std::string app_token,
                                     std::string ca_file, envelope_fn on_envelope,
                                     slack::socket_mode_session::timings timings)
    : loop_(loop),
      api_(api),
      metrics_(m),
      app_token_(std::move(app_token)),
      ca_file_(std::move(ca_file)),
      on_envelope_(std::move(on_envelope)),
      session_([this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }, timings) {}

slack_socket_mode::~slack_socket_mode() {
  *alive_ = false;
  if (timer_set_) loop_.cancel(timer_);
}

void slack_socket_mode::start() { apply(session_.start(now())); }

void slack_socket_mode::stop() { apply(session_.stop(now())); }

void slack_socket_mode::ack(int connection, const std::string& envelope_id, const std::string& payload_json) {
  apply(session_.ack(connection, envelope_id, payload_json));
}

void slack_socket_mode::open() {
  metrics_.count("mlpath_socket_mode_connections_total", "event=\"open\"");
  std::weak_ptr<bool> alive = alive_;
  // The app-level token never appears in a log line: only the error codes do.
  api_.call_json("socket_mode", app_token_, "apps.connections.open", "{}",
                 [this, alive](const slack::api_response& r) {
                   if (!alive.lock()) return;
                   apply(session_.on_open_result(classify(r), now()));
                 });
}

net::ws_client& slack_socket_mode::socket(int connection) {
  auto& slot = sockets_[connection];
  if (!slot) {
    net::ws_handlers h;
    std::weak_ptr<bool> alive = alive_;
    h.on_open = [this, alive, connection] {
      if (alive.lock()) apply(session_.on_connected(connection, now()));
    };
    h.on_message = [this, alive, connection](std::string_view text) {
      if (alive.lock()) apply(session_.on_message(connection, text, now()));
    };
    h.on_control = [this, alive, connection] {
      if (alive.lock()) session_.on_control_frame(connection, now());
    };
    h.on_closed = [this, alive, connection](int code, std::string reason) {
      if (!alive.lock()) return;
      spdlog::debug("slack: socket mode connection {} closed ({} {})", connection, code, reason);
      metrics_.count("mlpath_socket_mode_connections_total", "event=\"closed\"");
      // The client may still be on the stack: it is released on the next loop turn.
      if (auto it = sockets_.find(connection); it != sockets_.end()) {
        std::shared_ptr<net::ws_client> done(std::move(it->second));
        sockets_.erase(it);
        loop_.post([done] {});
      }
      apply(session_.on_closed(connection, now()));
    };
    slot = std::make_unique<net::ws_client>(loop_, net::ws_client::options{ca_file_}, std::move(h));
  }
  return *slot;
}

void slack_socket_mode::apply(std::vector<slack::socket_action> actions) {
  using kind = slack::socket_action::kind;
  for (auto& a : actions) {
    switch (a.what) {
      case kind::open: open(); break;
      case kind::connect: socket(a.connection).connect(a.url); break;
      case kind::send:
        if (auto it = sockets_.find(a.connection); it != sockets_.end()) it->second->send(std::move(a.text));
        break;
      case kind::ping:
        if (auto it = sockets_.find(a.connection); it != sockets_.end()) it->second->ping();
        break;
      case kind::close:
        if (auto it = sockets_.find(a.connection); it != sockets_.end()) {
          if (it->second->is_open()) {
            it->second->close(1000);
          } else {
            // Never opened (or already failed): no handshake to wait for.
            std::shared_ptr<net::ws_client> done(std::move(it->second));
            sockets_.erase(it);
            loop_.post([done] {});
            int id = a.connection;
            std::weak_ptr<bool> alive = alive_;
            loop_.post([this, alive, id] {
              if (alive.lock()) apply(session_.on_closed(id, now()));
            });
          }
        }
        break;
      case kind::envelope:
        if (on_envelope_) on_envelope_(a.connection, std::move(a.frame));
        break;
      case kind::fatal:
        metrics_.count("mlpath_socket_mode_connections_total", "event=\"fatal\"");
        spdlog::error("slack: {}", a.text);
        break;
      case kind::log:
        spdlog::info("slack: {}", a.text);
        metrics_.count("mlpath_socket_mode_connections_total", "event=\"" + a.event + "\"");
        break;
    }
  }
  reschedule();
}

void slack_socket_mode::reschedule() {
  auto deadline = session_.next_deadline();
  if (timer_set_ && deadline && *deadline == timer_at_) return;
  if (timer_set_) loop_.cancel(timer_);
  timer_set_ = false;
  if (!deadline) return;
  timer_at_ = *deadline;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now());
  if (wait.count() < 0) wait = std::chrono::milliseconds(0);
  timer_ = loop_.after(wait + std::chrono::milliseconds(1), [this] {
    timer_set_ = false;
    apply(session_.on_timer(now()));
  });
  timer_set_ = true;
}

}  // namespace mlpath
