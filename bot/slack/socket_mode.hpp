#pragma once
// Slack Socket Mode, wired: apps.connections.open with the app-level (xapp-) token, a
// websocket per connection (bot/net/ws_client), the protocol of
// adapters/slack/socket_mode.hpp driven by the real clock, and every envelope handed to
// the ingress, which stores it and then acknowledges it here. No public URL is needed.
//
// Threading: the event loop's thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "adapters/slack/socket_mode.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/ws_client.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/slack/web_client.hpp"

namespace mlpath {

class slack_socket_mode {
 public:
  // An envelope to store and process; call ack(connection, ...) once it is stored.
  using envelope_fn = std::function<void(int connection, slack::socket_frame frame)>;

  slack_socket_mode(net::event_loop& loop, slack_web_client& api, metrics& m, std::string app_token, std::string ca_file,
                    envelope_fn on_envelope, slack::socket_mode_session::timings timings = {});
  ~slack_socket_mode();

  void start();
  void stop();
  // Acknowledge an envelope on the connection it came on, with a response payload (a JSON
  // object) when not empty. Nothing happens when that connection is gone: Slack
  // redelivers the envelope on another one.
  void ack(int connection, const std::string& envelope_id, const std::string& payload_json);

  bool ready() const { return session_.ready(); }
  bool failed() const { return session_.failed(); }
  const std::string& failure() const { return session_.fatal_reason(); }

 private:
  void open();
  void apply(std::vector<slack::socket_action> actions);
  void reschedule();
  net::ws_client& socket(int connection);
  static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

  net::event_loop& loop_;
  slack_web_client& api_;
  metrics& metrics_;
  std::string app_token_;
  std::string ca_file_;
  envelope_fn on_envelope_;
  std::mt19937_64 rng_{std::random_device{}()};
  slack::socket_mode_session session_;
  std::map<int, std::unique_ptr<net::ws_client>> sockets_;
  std::uint64_t timer_ = 0;
  bool timer_set_ = false;
  std::chrono::steady_clock::time_point timer_at_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards callbacks after destruction
};

}  // namespace mlpath
