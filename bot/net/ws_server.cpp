#include "bot/net/ws_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <map>
#include <stdexcept>

namespace mlpath::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

struct ws_conn {
  websocket::stream<beast::tcp_stream> ws;
  std::deque<std::string> queue;
  bool writing = false;
  bool closed = false;
  bool silent = false;
  asio::steady_timer hold;  // a silenced connection waits here, socket open, until the end
  explicit ws_conn(tcp::socket s) : ws(std::move(s)), hold(ws.get_executor()) {}
};

struct ws_server::state {
  event_loop& loop;
  handlers h;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::map<ws_server::connection_id, std::shared_ptr<ws_conn>> conns;
  ws_server::connection_id next = 1;
  state(event_loop& l, handlers hh) : loop(l), h(std::move(hh)) {}
};

namespace {

using state_ptr = std::shared_ptr<ws_server::state>;

awaitable<void> writer(state_ptr st, ws_server::connection_id id, std::shared_ptr<ws_conn> c) {
  while (!c->queue.empty() && !c->closed) {
    std::string msg = std::move(c->queue.front());
    c->queue.pop_front();
    c->ws.text(true);
    auto [ec, n] = co_await c->ws.async_write(asio::buffer(msg), tuple_awaitable);
    (void)n;
    if (ec) break;
  }
  c->writing = false;
  if (c->queue.empty() && !c->closed && st->h.on_drained) st->h.on_drained(id);
}

awaitable<void> session(state_ptr st, tcp::socket socket) {
  auto c = std::make_shared<ws_conn>(std::move(socket));
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  auto [rec, rn] = co_await http::async_read(c->ws.next_layer(), buffer, req, tuple_awaitable);
  (void)rn;
  if (rec || !websocket::is_upgrade(req)) co_return;
  c->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  auto [aec] = co_await c->ws.async_accept(req, tuple_awaitable);
  if (aec) co_return;
  ws_server::connection_id id = st->next++;
  st->conns[id] = c;
  if (st->h.on_open) st->h.on_open(id, std::string(req.target()));
  beast::flat_buffer in;
  int code = 0;
  for (;;) {
    auto [ec, n] = co_await c->ws.async_read(in, tuple_awaitable);
    (void)n;
    if (ec && c->silent) {
      // Silenced: keep the socket open and read nothing until close() or the end.
      c->hold.expires_at(asio::steady_timer::time_point::max());
      auto [hec] = co_await c->hold.async_wait(tuple_awaitable);
      (void)hec;
      break;
    }
    if (ec) {
      if (ec == websocket::error::closed) code = c->ws.reason().code;
      break;
    }
    std::string text(static_cast<const char*>(in.data().data()), in.size());
    in.consume(in.size());
    if (st->h.on_message) st->h.on_message(id, std::move(text));
  }
  c->closed = true;
  st->conns.erase(id);
  if (st->h.on_closed) st->h.on_closed(id, code);
}

awaitable<void> accept_loop(state_ptr st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(tuple_awaitable);
    if (ec || !st->acceptor->is_open()) co_return;
    asio::co_spawn(st->acceptor->get_executor(), session(st, std::move(socket)), asio::detached);
  }
}

awaitable<void> closer(std::shared_ptr<ws_conn> c, int code) {
  auto [ec] = co_await c->ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)), tuple_awaitable);
  (void)ec;
}

}  // namespace

ws_server::ws_server(event_loop& loop, handlers h) : state_(std::make_shared<state>(loop, std::move(h))) {}

ws_server::~ws_server() {
  beast::error_code ec;
  if (state_->acceptor) state_->acceptor->close(ec);
  for (auto& [id, c] : state_->conns) {
    beast::get_lowest_layer(c->ws).socket().close(ec);
    c->hold.cancel();
  }
}

std::uint16_t ws_server::listen(const std::string& host, std::uint16_t port) {
  tcp::endpoint ep{asio::ip::make_address(host), port};
  auto acc = std::make_unique<tcp::acceptor>(state_->loop.context());
  beast::error_code ec;
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("ws_server: cannot listen: " + ec.message());
  auto bound = acc->local_endpoint().port();
  state_->acceptor = std::move(acc);
  asio::co_spawn(state_->loop.context(), accept_loop(state_), asio::detached);
  return bound;
}

void ws_server::send(connection_id id, std::string text) {
  auto it = state_->conns.find(id);
  if (it == state_->conns.end()) return;
  auto c = it->second;
  c->queue.push_back(std::move(text));
  if (c->writing) return;
  c->writing = true;
  asio::co_spawn(state_->loop.context(), writer(state_, id, c), asio::detached);
}

void ws_server::close(connection_id id, int code) {
  auto it = state_->conns.find(id);
  if (it == state_->conns.end()) return;
  if (it->second->silent) {
    beast::error_code ec;
    beast::get_lowest_layer(it->second->ws).socket().close(ec);
    it->second->hold.cancel();
    return;
  }
  asio::co_spawn(state_->loop.context(), closer(it->second, code), asio::detached);
}

void ws_server::silence(connection_id id) {
  auto it = state_->conns.find(id);
  if (it == state_->conns.end() || it->second->silent) return;
  it->second->silent = true;
  it->second->queue.clear();
  beast::get_lowest_layer(it->second->ws).cancel();  // ends the pending read without closing
}

std::size_t ws_server::queued(connection_id id) const {
  auto it = state_->conns.find(id);
  return it == state_->conns.end() ? 0 : it->second->queue.size();
}

}  // namespace mlpath::net
