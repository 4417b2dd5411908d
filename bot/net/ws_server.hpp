#pragma once
// A small websocket server (plain ws://) for in-process fakes in tests and benchmarks,
// e.g. a fake Discord gateway. Each connection has one writer; send() queues and
// `on_drained` tells when the queue is empty, so a producer can respect backpressure.
//
// Threading: the event loop's thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bot/net/event_loop.hpp"

namespace mlpath::net {

class ws_server {
 public:
  using connection_id = std::uint64_t;
  struct handlers {
    std::function<void(connection_id, std::string target)> on_open;  // target: path + query
    std::function<void(connection_id, std::string text)> on_message;
    std::function<void(connection_id, int code)> on_closed;
    std::function<void(connection_id)> on_drained;  // the send queue became empty
  };

  ws_server(event_loop& loop, handlers h);
  ~ws_server();
  std::uint16_t listen(const std::string& host, std::uint16_t port);  // 0 = any free port
  void send(connection_id c, std::string text);
  void close(connection_id c, int code);
  // Stop reading from `c` and answer nothing, not even pings, while keeping the socket
  // open: a half-open connection, as a dead peer behind a NAT looks.
  void silence(connection_id c);
  std::size_t queued(connection_id c) const;

  struct state;  // implementation detail

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mlpath::net
