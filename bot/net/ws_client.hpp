#pragma once
// A websocket client connection (RFC 6455) for the Discord gateway and Slack Socket Mode:
// wss:// with the same TLS verification as http_client, ws:// only to loopback hosts
// (tests). Text frames in and out, pings out; a single writer with a send queue; close
// codes reported as they arrived.
//
// Threading: the event loop's thread. Callbacks run on the loop.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bot/net/event_loop.hpp"

namespace mlpath::net {

struct ws_handlers {
  std::function<void()> on_open;
  std::function<void(std::string_view text)> on_message;  // valid only during the call
  // Close code from the peer's close frame, our own code when we closed, or 0 when the
  // connection failed without one. Called once per connect().
  std::function<void(int code, std::string reason)> on_closed;
  // A ping or pong arrived: the peer is alive (pings are answered automatically).
  std::function<void()> on_control;
};

class ws_client {
 public:
  struct options {
    std::string ca_file;
    std::size_t max_message = 8 << 20;
    std::chrono::milliseconds connect_timeout{15000};
  };

  ws_client(event_loop& loop, options o, ws_handlers h);
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  void connect(const std::string& url);
  void send(std::string text);  // dropped when not open
  void ping();                  // a ping frame, in order with the text frames; dropped when not open
  void close(int code);         // close handshake (abort after a short wait)
  bool is_open() const;

  struct state;  // implementation detail

 private:
  void queue(bool ping, std::string text);
  std::shared_ptr<state> state_;
};

}  // namespace mlpath::net
