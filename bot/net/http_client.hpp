#pragma once
// Outbound HTTP(S) client shared by the Slack and Discord adapters: TLS with certificate
// and host-name verification (system store plus MLPATH_CA_FILE), SNI, keep-alive
// connections reused per host, a timeout on every call. Plain http:// only for loopback
// hosts (tests and local fakes).
//
// Threading: send() and callbacks on the event loop's thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"

namespace mlpath::net {

struct client_request {
  std::string method = "POST";
  std::string url;
  header_list headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // connect + handshake + write + read, in all
};

// Why no response arrived.
enum class client_failure {
  none,
  connect,    // no connection (refused, unreachable, TLS handshake): nothing was sent
  timeout,    // the deadline passed
  closed,     // the connection was closed or reset before a response arrived
  truncated,  // part of a response arrived, then the connection ended
  invalid,    // the URL may not be called, or the response was not HTTP
};
const char* to_string(client_failure f);

struct client_response {
  int status = 0;  // 0 when no response arrived (see error)
  header_list headers;
  std::string body;
  std::string error;  // transport failure ("" when a response arrived)
  client_failure failure = client_failure::none;
  // No response, but the request had been written (at least in part): the server may
  // have acted on it. A non-idempotent call must be reconciled before it is repeated.
  bool maybe_delivered = false;

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct client_options {
  std::string ca_file;  // extra trusted CAs (PEM), in addition to the system store
  std::string user_agent = "mlpath/0.1";
  std::size_t max_idle_per_host = 8;
  std::size_t max_response_bytes = 8 << 20;
};

class http_client {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded.
  http_client(event_loop& loop, client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one request; `done` is always called exactly once, on the loop.
  void send(client_request request, std::function<void(client_response)> done);

  // "" when `url` may be called: https://, or http:// to a loopback host. Otherwise why not.
  static std::string check_url(std::string_view url);

  struct state;  // implementation detail, public so the session coroutines can name it

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mlpath::net
