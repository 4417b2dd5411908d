#include "bot/net/http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "bot/net/outbound.hpp"

namespace mlpath::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

// Where a request goes; connections are kept per scheme, host and port.
std::string key_of(const outbound_url& t) { return (t.tls ? "https://" : "http://") + t.host + ":" + t.port; }

std::variant<outbound_url, std::string> parse_target(std::string_view url) {
  return parse_outbound_url(url, "https", "http");
}

// A kept-alive connection: plain or TLS.
struct connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};

}  // namespace

struct http_client::state {
  event_loop& loop;
  client_options options;
  ssl::context tls_ctx{ssl::context::tls_client};
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;

  state(event_loop& l, client_options o) : loop(l), options(std::move(o)) { configure_client_tls(tls_ctx, options.ca_file); }
};

namespace {

using state_ptr = std::shared_ptr<http_client::state>;

// An idle kept-alive connection is usable only while nothing is waiting on it: a FIN, a
// reset, a TLS close_notify or stray bytes all mean the server is done with it.
bool alive(connection& c) {
  auto& socket = c.lowest().socket();
  beast::error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return false;
  char byte;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  bool idle = ec == asio::error::would_block;
  socket.non_blocking(false, ec);
  return idle && !ec;
}

awaitable<beast::error_code> open_connection(state_ptr st, connection* c, outbound_url t,
                                             std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(t.host, t.port, tuple_awaitable);
  if (rec) co_return rec;
  if (t.tls) {
    c->tls.emplace(ex, st->tls_ctx);
    // SNI, and check the certificate names the host we meant to reach.
    if (!SSL_set_tlsext_host_name(c->tls->native_handle(), t.host.c_str()))
      co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    c->tls->set_verify_callback(ssl::host_name_verification(t.host));
  } else {
    c->plain.emplace(ex);
  }
  c->lowest().expires_at(deadline);
  auto [cec, ep] = co_await c->lowest().async_connect(results, tuple_awaitable);
  (void)ep;
  if (cec) co_return cec;
  beast::error_code ignored;
  c->lowest().socket().set_option(tcp::no_delay(true), ignored);
  if (t.tls) {
    c->lowest().expires_at(deadline);
    auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (hec) co_return hec;
  }
  co_return beast::error_code{};
}

// What one request/response exchange on a connection came to.
struct exchange_result {
  beast::error_code ec;
  bool keep_alive = false;  // the response allows reusing the connection
  bool written = false;     // some of the request reached the socket
  bool got_some = false;    // part of a response arrived
};

template <class Stream>
awaitable<exchange_result> exchange(Stream* stream, connection* c, http::request<http::string_body>* req,
                                    client_response* out, std::size_t limit) {
  exchange_result x;
  auto [wec, wn] = co_await http::async_write(*stream, *req, tuple_awaitable);
  x.written = wn > 0;
  if (wec) {
    x.ec = wec;
    co_return x;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(limit);
  auto [rec, rn] = co_await http::async_read(*stream, c->buffer, parser, tuple_awaitable);
  (void)rn;
  if (rec) {
    x.ec = rec;
    x.got_some = parser.got_some();
    co_return x;
  }
  auto& res = parser.get();
  out->status = static_cast<int>(res.result_int());
  for (const auto& f : res) out->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out->body = std::move(res.body());
  x.keep_alive = res.keep_alive();
  co_return x;
}

awaitable<void> perform(state_ptr st, client_request request, std::function<void(client_response)> done) {
  client_response out;
  auto parsed = parse_target(request.url);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    out.error = *why;
    out.failure = client_failure::invalid;
    done(std::move(out));
    co_return;
  }
  outbound_url t = std::get<outbound_url>(parsed);
  auto deadline = std::chrono::steady_clock::now() + request.timeout;

  http::request<http::string_body> req{http::string_to_verb(request.method), t.target, 11};
  if (req.method() == http::verb::unknown) req.method_string(request.method);
  req.set(http::field::host, t.host);
  req.set(http::field::user_agent, st->options.user_agent);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = std::move(request.body);
  req.keep_alive(true);
  req.prepare_payload();

  // Idle keep-alive connections the server has closed meanwhile are noticed before use
  // (alive()). Should one still close under our feet, the request is tried once more on a
  // fresh connection only when none of it was written: a request that reached the server
  // is never repeated here (callers see maybe_delivered and decide).
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<connection> c;
    auto& pool = st->idle[key_of(t)];
    bool reused = false;
    while (!pool.empty() && !c) {
      c = std::move(pool.back());
      pool.pop_back();
      if (!alive(*c)) c.reset();
    }
    if (c) {
      reused = true;
    } else {
      c = std::make_unique<connection>();
      beast::error_code ec = co_await open_connection(st, c.get(), t, deadline);
      if (ec) {
        bool timed_out = ec == beast::error::timeout;
        out.error = (timed_out ? std::string("timed out connecting to ") : std::string("cannot connect to ")) + t.host +
                    ":" + t.port + " (" + ec.message() + ")";
        out.failure = timed_out ? client_failure::timeout : client_failure::connect;
        out.maybe_delivered = false;
        break;
      }
    }
    c->lowest().expires_at(deadline);
    out.headers.clear();
    exchange_result x;
    if (c->tls) x = co_await exchange(&*c->tls, c.get(), &req, &out, st->options.max_response_bytes);
    else x = co_await exchange(&*c->plain, c.get(), &req, &out, st->options.max_response_bytes);
    if (!x.ec) {
      out.error.clear();
      out.failure = client_failure::none;
      out.maybe_delivered = false;
      if (x.keep_alive && pool.size() < st->options.max_idle_per_host) {
        c->lowest().expires_never();
        st->idle[key_of(t)].push_back(std::move(c));
      }
      done(std::move(out));
      co_return;
    }
    bool timed_out = x.ec == beast::error::timeout;
    out.status = 0;
    out.headers.clear();
    out.body.clear();
    out.maybe_delivered = x.written;
    if (timed_out) out.failure = client_failure::timeout;
    else if (x.got_some || x.ec == http::error::partial_message) out.failure = client_failure::truncated;
    else if (x.ec.category() == beast::error_code(http::error::bad_version).category())
      out.failure = client_failure::invalid;  // not HTTP, or over our limits
    else out.failure = client_failure::closed;
    out.error = (timed_out ? "timed out talking to " : "request to ") + t.host + ":" + t.port +
                (timed_out ? "" : " failed (" + x.ec.message() + ")");
    if (!reused || x.written || x.got_some || timed_out) break;
  }
  done(std::move(out));
}

}  // namespace

http_client::http_client(event_loop& loop, client_options options)
    : state_(std::make_shared<state>(loop, std::move(options))) {}

http_client::~http_client() = default;

void http_client::send(client_request request, std::function<void(client_response)> done) {
  asio::co_spawn(state_->loop.context(), perform(state_, std::move(request), std::move(done)), asio::detached);
}

const char* to_string(client_failure f) {
  switch (f) {
    case client_failure::none: return "none";
    case client_failure::connect: return "connect";
    case client_failure::timeout: return "timeout";
    case client_failure::closed: return "closed";
    case client_failure::truncated: return "truncated";
    case client_failure::invalid: return "invalid";
  }
  return "invalid";
}

std::string http_client::check_url(std::string_view url) {
  auto parsed = parse_target(url);
  if (auto* why = std::get_if<std::string>(&parsed)) return *why;
  return {};
}

}  // namespace mlpath::net
