#pragma once
// An in-process fake of Slack's Socket Mode server on 127.0.0.1:0: each connection gets
// `hello` (unless told otherwise), tests push envelopes and disconnects, read the
// acknowledgements, close or silence a connection (a half-open socket). fake_slack's
// apps.connections.open hands out url(). Runs its own event loop thread; every public
// member is thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bot/net/event_loop.hpp"
#include "bot/net/ws_server.hpp"

namespace mlpath::test {

class fake_socket_mode {
 public:
  using connection_id = net::ws_server::connection_id;

  fake_socket_mode();
  ~fake_socket_mode();

  // A fresh ws:// URL (with a new ticket) for apps.connections.open to hand out.
  std::string url();
  // Whether new connections get hello at once (default yes).
  void auto_hello(bool on);

  struct connection {
    connection_id id = 0;
    std::string target;            // path and query it connected with
    bool open = true;
    int close_code = 0;
    std::vector<std::string> received;  // text frames from the bot (acknowledgements)
  };
  std::vector<connection> connections() const;
  // Waits until `pred` holds over the connections; false on timeout.
  bool wait_for(const std::function<bool(const std::vector<connection>&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The connection that acknowledged `envelope_id`, waiting for it.
  std::optional<connection_id> wait_ack(const std::string& envelope_id,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The acknowledgement frame of `envelope_id` (parsed), or nullopt.
  std::optional<std::string> ack_of(const std::string& envelope_id) const;
  // How many times `envelope_id` was acknowledged, on any connection.
  int acks_of(const std::string& envelope_id) const;

  void send(connection_id c, std::string text);
  void hello(connection_id c);
  void disconnect(connection_id c, const std::string& reason);
  void close(connection_id c, int code = 1000);
  void silence(connection_id c);

 private:
  net::event_loop loop_;
  std::unique_ptr<net::ws_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<connection_id, connection> conns_;
  int tickets_ = 0;
  bool auto_hello_ = true;
};

// A Socket Mode envelope carrying `payload` (a JSON object) of `type` (events_api,
// slash_commands, interactive).
std::string socket_envelope(const std::string& envelope_id, const std::string& type, const std::string& payload,
                            bool accepts_response_payload = false, int retry_attempt = 0);

}  // namespace mlpath::test
