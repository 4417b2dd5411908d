#pragma once
// HTTP messages as plain values, so request handlers and adapters never include Beast.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlpath::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; "" when absent.
std::string_view find_header(const header_list& headers, std::string_view name);

struct http_request {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query as sent
  header_list headers;
  std::string body;
  std::chrono::steady_clock::time_point received;  // when the whole request had been read

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
  std::string_view path() const;   // target without the query
  std::string_view query() const;  // after '?', or ""
};

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  header_list headers;  // extra headers (Location, x-slack-no-retry, ...)
  // Called on the loop once the response has been written (or the write failed).
  std::function<void()> on_written;
  // What kind of request this answered (e.g. event_callback, command), for
  // mlpath_inbound_requests_total; "" = decided by the route.
  std::string metric_kind;
  // A broken answer, for test fakes that play a failing platform: `reset` closes the
  // connection with a TCP reset instead of answering; `truncate` sends the head and half
  // the body, then closes.
  enum class fault { none, reset, truncate };
  fault inject = fault::none;
};

// Must be called exactly once, on the event loop's thread.
using http_reply = std::function<void(http_response)>;
using http_handler = std::function<void(http_request&&, http_reply)>;

// A reply for common cases: status + short plain-text body.
http_response text_response(int status, std::string body);

}  // namespace mlpath::net
