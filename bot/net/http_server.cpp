#include "bot/net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>
#include <set>
#include <vector>
#include <stdexcept>

namespace mlpath::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(use_awaitable);

struct connection;

struct http_server::state {
  event_loop& loop;
  http_handler handler;
  server_options options;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::set<connection*> connections;
  bool stopping = false;
  std::function<void()> drained;

  state(event_loop& l, http_handler h, server_options o) : loop(l), handler(std::move(h)), options(o) {}

  void maybe_drained() {
    if (stopping && connections.empty() && drained) {
      auto fn = std::move(drained);
      drained = nullptr;
      loop.post(std::move(fn));
    }
  }
};

// One accepted connection. Lives as long as its session coroutine.
struct connection {
  beast::tcp_stream stream;
  bool busy = false;  // a request is being read past its first byte, handled or answered

  explicit connection(tcp::socket s) : stream(std::move(s)) {}
};

namespace {

// Waits for the handler's answer: the reply function fills `response` and cancels the
// timer; the timer firing first means the handler took too long.
struct pending_reply {
  asio::steady_timer timer;
  std::optional<http_response> response;
  explicit pending_reply(asio::any_io_executor ex) : timer(ex) {}
};

// Serialises a response into one buffer: one allocation and one write per response,
// instead of a Beast message with a heap node per header field. Every header name and
// value comes from our own code; CR and LF are dropped anyway so nothing can split a
// header.
std::string serialize(http_response&& r, unsigned version, bool keep_alive) {
  auto clean = [](std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v)
      if (c != '\r' && c != '\n') out += c;
    return out;
  };
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  std::string out;
  out.reserve(160 + r.body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\nServer: mlpath\r\n";
  if (!r.body.empty() || r.status != 204) out += "Content-Type: " + clean(r.content_type) + "\r\n";
  for (auto& [k, v] : r.headers) out += clean(k) + ": " + clean(v) + "\r\n";
  if (r.status != 204 && r.status != 304 && !(r.status >= 100 && r.status < 200))
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  else if (version == 10) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

awaitable<void> write_error(std::shared_ptr<connection> conn, int status, std::string text) {
  std::string bytes = serialize(text_response(status, std::move(text)), 11, false);
  conn->stream.expires_after(std::chrono::seconds(5));
  auto [ec, n] = co_await asio::async_write(conn->stream, asio::buffer(bytes), tuple_awaitable);
  (void)ec;
  (void)n;
}

// After an early error answer, the client may still be sending its body; closing with
// unread data would reset the connection and lose our answer. So read and discard for a
// short while (bounded in time and bytes) before closing.
awaitable<void> linger(std::shared_ptr<connection> conn) {
  beast::error_code ignored;
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn->stream.expires_after(std::chrono::seconds(2));
  std::vector<char> sink(64 * 1024);
  std::size_t total = 0;
  while (total < (64u << 20)) {
    auto [ec, n] = co_await conn->stream.async_read_some(asio::buffer(sink), tuple_awaitable);
    if (ec) break;
    total += n;
  }
}

awaitable<void> run_session(std::shared_ptr<http_server::state> st, std::shared_ptr<connection> conn) {
  st->connections.insert(conn.get());
  beast::flat_buffer buffer;
  const auto& o = st->options;
  for (;;) {
    if (st->stopping) break;
    // Idle until the first byte, then the whole request within read_timeout.
    conn->busy = false;
    conn->stream.expires_after(o.idle_timeout);
    if (buffer.size() == 0) {
      auto [ec, n] = co_await conn->stream.async_read_some(buffer.prepare(4096), tuple_awaitable);
      if (ec) break;
      buffer.commit(n);
    }
    conn->busy = true;
    conn->stream.expires_after(o.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(o.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    auto [ec, n] = co_await http::async_read(conn->stream, buffer, parser, tuple_awaitable);
    (void)n;
    if (ec == http::error::body_limit) {
      co_await write_error(conn, 413, "request body too large");
      co_await linger(conn);
      break;
    }
    if (ec == http::error::header_limit) {
      co_await write_error(conn, 431, "request headers too large");
      break;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      break;
    }
    if (ec) {
      co_await write_error(conn, 400, "malformed HTTP request");
      break;
    }
    auto& msg = parser.get();
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.headers.reserve(16);
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.received = std::chrono::steady_clock::now();
    const unsigned version = msg.version();
    const bool client_keep_alive = msg.keep_alive();

    auto pending = std::make_shared<pending_reply>(conn->stream.get_executor());
    pending->timer.expires_after(o.handler_timeout);
    try {
      st->handler(std::move(req), [pending](http_response r) {
        if (pending->response) return;  // answered twice: the first answer stands
        pending->response = std::move(r);
        pending->timer.cancel();
      });
    } catch (const std::exception&) {
      if (!pending->response) pending->response = text_response(500, "internal error");
    }
    if (!pending->response) {
      auto [wec] = co_await pending->timer.async_wait(tuple_awaitable);
      (void)wec;
      if (!pending->response) pending->response = text_response(503, "the service did not answer in time");
    }
    bool keep_alive = client_keep_alive && !st->stopping;
    std::function<void()> written = std::move(pending->response->on_written);
    auto fault = pending->response->inject;
    if (fault == http_response::fault::reset) {
      // Linger 0: close() sends RST, as a crashed or reset peer would.
      beast::error_code ignored;
      conn->stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
      conn->stream.socket().close(ignored);
      break;
    }
    std::size_t body_size = pending->response->body.size();
    std::string bytes = serialize(std::move(*pending->response), version, keep_alive);
    if (fault == http_response::fault::truncate) {
      bytes.resize(bytes.size() - (body_size + 1) / 2);
      keep_alive = false;
    }
    conn->stream.expires_after(o.read_timeout);
    auto [wec, wn] = co_await asio::async_write(conn->stream, asio::buffer(bytes), tuple_awaitable);
    (void)wn;
    if (written) written();
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn->stream.close();
  st->connections.erase(conn.get());
  st->maybe_drained();
}

awaitable<void> accept_loop(std::shared_ptr<http_server::state> st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(tuple_awaitable);
    if (st->stopping || !st->acceptor->is_open()) break;
    if (ec) {
      // Out of descriptors and similar: back off briefly instead of spinning.
      asio::steady_timer t(st->acceptor->get_executor(), std::chrono::milliseconds(50));
      auto [tec] = co_await t.async_wait(tuple_awaitable);
      (void)tec;
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<connection>(std::move(socket));
    asio::co_spawn(st->acceptor->get_executor(), run_session(st, conn), asio::detached);
  }
}

}  // namespace

http_server::http_server(event_loop& loop, http_handler handler, server_options options)
    : state_(std::make_shared<state>(loop, std::move(handler), options)) {}

http_server::~http_server() {
  if (state_->acceptor) {
    beast::error_code ec;
    state_->acceptor->close(ec);
  }
}

std::uint16_t http_server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on \"" + host + "\": not an IP address");
  tcp::endpoint ep{address, port};
  auto acc = std::make_unique<tcp::acceptor>(state_->loop.context());
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  std::uint16_t bound = acc->local_endpoint().port();
  state_->acceptor = std::move(acc);
  asio::co_spawn(state_->loop.context(), accept_loop(state_), asio::detached);
  return bound;
}

void http_server::shutdown(std::function<void()> drained) {
  auto& st = *state_;
  st.stopping = true;
  st.drained = std::move(drained);
  if (st.acceptor) {
    beast::error_code ec;
    st.acceptor->close(ec);
  }
  // Idle keep-alive connections are closed now; busy ones finish their request first.
  for (connection* c : st.connections)
    if (!c->busy) c->stream.cancel();
  st.maybe_drained();
}

std::size_t http_server::open_connections() const { return state_->connections.size(); }

}  // namespace mlpath::net
