#pragma once
// HTTP/1.1 server: keep-alive, a request body cap, read and idle timeouts, and a pure
// handler apart from the I/O loop (as in Beast's awaitable server example). The handler
// may answer at once or later (after a database commit); each connection handles one
// request at a time and writes its own responses.
//
// Threading: everything runs on the event loop's thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"

namespace mlpath::net {

struct server_options {
  std::size_t body_limit = 1 << 20;         // larger bodies get 413
  std::size_t header_limit = 16 << 10;      // larger headers get 431
  std::chrono::seconds read_timeout{15};    // a request must arrive completely within this
  std::chrono::seconds idle_timeout{75};    // keep-alive connections idle longer are closed
  std::chrono::seconds handler_timeout{10}; // a handler that never answers gets 503
};

class http_server {
 public:
  http_server(event_loop& loop, http_handler handler, server_options options = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and starts accepting; port 0 picks a free port. Returns the bound port.
  // Throws std::runtime_error with a readable message when the address is unusable.
  std::uint16_t listen(const std::string& host, std::uint16_t port);

  // Stops accepting, closes idle keep-alive connections, lets requests in flight finish,
  // then calls `drained` (on the loop).
  void shutdown(std::function<void()> drained);

  std::size_t open_connections() const;

  struct state;  // implementation detail, public so the session coroutines can name it

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mlpath::net
