#include "bot/net/ws_client.hpp"

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
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <optional>
#include <tuple>

#include "bot/net/outbound.hpp"

namespace mlpath::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

struct ws_client::state {
  event_loop& loop;
  options opts;
  ws_handlers handlers;
  ssl::context tls_ctx{ssl::context::tls_client};
  std::optional<websocket::stream<beast::tcp_stream>> plain;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> tls;
  struct frame {
    bool ping = false;
    std::string text;
  };
  std::deque<frame> outgoing;
  bool writing = false;
  bool open = false;
  bool closing = false;
  std::uint64_t generation = 0;  // bumps per connect, so late callbacks of an old socket are ignored

  state(event_loop& l, options o, ws_handlers h) : loop(l), opts(std::move(o)), handlers(std::move(h)) {
    configure_client_tls(tls_ctx, opts.ca_file);
  }

  template <class F>
  decltype(auto) with_stream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }
};

namespace {

using state_ptr = std::shared_ptr<ws_client::state>;

void report_closed(state_ptr st, std::uint64_t gen, int code, std::string reason) {
  if (gen != st->generation) return;
  st->open = false;
  st->writing = false;
  st->outgoing.clear();
  ++st->generation;
  if (st->handlers.on_closed) st->handlers.on_closed(code, std::move(reason));
}

template <class Stream>
awaitable<void> read_loop(state_ptr st, Stream* ws, std::uint64_t gen) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws->async_read(buffer, tuple_awaitable);
    (void)n;
    if (gen != st->generation) co_return;
    if (ec) {
      int code = 0;
      std::string reason;
      if (ec == websocket::error::closed) {
        code = ws->reason().code;
        reason = std::string(ws->reason().reason.c_str());
      }
      report_closed(st, gen, code, ec == websocket::error::closed ? reason : ec.message());
      co_return;
    }
    // Handed over in place: the handler reads it before the buffer is reused.
    std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (st->handlers.on_message) st->handlers.on_message(text);
    buffer.consume(buffer.size());
    // The handler may have reconnected (a new stream replaced this one): stop reading it.
    if (gen != st->generation) co_return;
  }
}

template <class Stream>
awaitable<void> write_loop(state_ptr st, Stream* ws, std::uint64_t gen) {
  while (gen == st->generation && !st->outgoing.empty()) {
    ws_client::state::frame f = std::move(st->outgoing.front());
    st->outgoing.pop_front();
    beast::error_code ec;
    if (f.ping) {
      std::tie(ec) = co_await ws->async_ping({}, tuple_awaitable);
    } else {
      ws->text(true);
      std::size_t n = 0;
      std::tie(ec, n) = co_await ws->async_write(asio::buffer(f.text), tuple_awaitable);
    }
    if (ec) break;  // the read loop reports the close
  }
  if (gen == st->generation) st->writing = false;
}

awaitable<void> do_connect(state_ptr st, std::string url, std::uint64_t gen) {
  auto fail = [&](const std::string& why) { report_closed(st, gen, 0, why); };
  auto parsed = parse_outbound_url(url, "wss", "ws");
  if (auto* why = std::get_if<std::string>(&parsed)) {
    fail("websocket URL refused: " + *why);
    co_return;
  }
  const outbound_url& u = std::get<outbound_url>(parsed);
  bool secure = u.tls;
  const std::string& host = u.host;
  const std::string& port = u.port;
  const std::string& target = u.target;

  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(host, port, tuple_awaitable);
  if (gen != st->generation) co_return;
  if (rec) {
    fail("cannot resolve " + host + ": " + rec.message());
    co_return;
  }
  if (secure) st->tls.emplace(ex, st->tls_ctx);
  else st->plain.emplace(ex);
  beast::tcp_stream& lowest = secure ? beast::get_lowest_layer(*st->tls) : beast::get_lowest_layer(*st->plain);
  lowest.expires_after(st->opts.connect_timeout);
  auto [cec, ep] = co_await lowest.async_connect(results, tuple_awaitable);
  (void)ep;
  if (gen != st->generation) co_return;
  if (cec) {
    fail("cannot connect to " + host + ":" + port + ": " + cec.message());
    co_return;
  }
  if (secure) {
    auto& tls_stream = st->tls->next_layer();
    if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), host.c_str())) {
      fail("cannot set SNI for " + host);
      co_return;
    }
    tls_stream.set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await tls_stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (gen != st->generation) co_return;
    if (hec) {
      fail("TLS handshake with " + host + " failed: " + hec.message());
      co_return;
    }
  }
  // The websocket layer manages its own timeouts from here on.
  lowest.expires_never();
  beast::error_code hsec;
  auto handshake = [&](auto& ws) -> awaitable<beast::error_code> {
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.read_message_max(st->opts.max_message);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "mlpath/0.1"); }));
    // The stream lives in the state: a weak reference avoids a cycle.
    std::weak_ptr<ws_client::state> weak = st;
    ws.control_callback([weak, gen](websocket::frame_type kind, beast::string_view) {
      auto s = weak.lock();
      if (!s || gen != s->generation || kind == websocket::frame_type::close) return;
      if (s->handlers.on_control) s->handlers.on_control();
    });
    auto [ec] = co_await ws.async_handshake(host, target, tuple_awaitable);
    co_return ec;
  };
  if (secure) hsec = co_await handshake(*st->tls);
  else hsec = co_await handshake(*st->plain);
  if (gen != st->generation) co_return;
  if (hsec) {
    fail("websocket handshake with " + host + " failed: " + hsec.message());
    co_return;
  }
  st->open = true;
  if (secure) asio::co_spawn(ex, read_loop(st, &*st->tls, gen), asio::detached);
  else asio::co_spawn(ex, read_loop(st, &*st->plain, gen), asio::detached);
  if (st->handlers.on_open) st->handlers.on_open();
}

}  // namespace

ws_client::ws_client(event_loop& loop, options o, ws_handlers h)
    : state_(std::make_shared<state>(loop, std::move(o), std::move(h))) {}

ws_client::~ws_client() {
  ++state_->generation;  // late completions see a stale generation and do nothing
  beast::error_code ec;
  if (state_->plain) beast::get_lowest_layer(*state_->plain).socket().close(ec);
  if (state_->tls) beast::get_lowest_layer(*state_->tls).socket().close(ec);
}

void ws_client::connect(const std::string& url) {
  auto& st = *state_;
  ++st.generation;
  beast::error_code ec;
  if (st.plain) beast::get_lowest_layer(*st.plain).socket().close(ec);
  if (st.tls) beast::get_lowest_layer(*st.tls).socket().close(ec);
  st.plain.reset();
  st.tls.reset();
  st.open = false;
  st.closing = false;
  st.writing = false;
  st.outgoing.clear();
  asio::co_spawn(st.loop.context(), do_connect(state_, url, st.generation), asio::detached);
}

void ws_client::send(std::string text) { queue(false, std::move(text)); }

void ws_client::ping() { queue(true, {}); }

void ws_client::queue(bool ping, std::string text) {
  auto& st = *state_;
  if (!st.open || st.closing) return;
  st.outgoing.push_back({ping, std::move(text)});
  if (st.writing) return;
  st.writing = true;
  if (st.tls) asio::co_spawn(st.loop.context(), write_loop(state_, &*st.tls, st.generation), asio::detached);
  else asio::co_spawn(st.loop.context(), write_loop(state_, &*st.plain, st.generation), asio::detached);
}

namespace {

template <class Stream>
awaitable<void> do_close(state_ptr st, Stream* ws, int code, std::uint64_t gen) {
  // Bounded: a peer that never answers our close frame is cut off.
  beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(3));
  auto [ec] = co_await ws->async_close(websocket::close_reason(static_cast<std::uint16_t>(code)), tuple_awaitable);
  (void)ec;
  beast::error_code ignored;
  beast::get_lowest_layer(*ws).socket().close(ignored);
  report_closed(st, gen, code, "closed by us");
}

}  // namespace

void ws_client::close(int code) {
  auto& st = *state_;
  if (!st.open || st.closing) return;
  st.closing = true;
  if (st.tls) asio::co_spawn(st.loop.context(), do_close(state_, &*st.tls, code, st.generation), asio::detached);
  else asio::co_spawn(st.loop.context(), do_close(state_, &*st.plain, code, st.generation), asio::detached);
}

bool ws_client::is_open() const { return state_->open; }

}  // namespace mlpath::net
