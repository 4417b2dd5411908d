// minimal_gateway_client: the baseline of bench/discord_gateway.sh, the cheapest sensible
// Discord gateway client: Boost.Beast websocket + simdjson On-Demand, one thread, no TLS
// (the feed is on loopback), nothing but the protocol and a counter.
//
// House-rule exception: Beast, Asio and OpenSSL belong in bot/net/*.cpp only. This file
// includes Beast and Asio directly on purpose: it exists to measure what a raw Beast client
// costs, so that mlpath's gateway path (net::ws_client + discord::gateway_session + the
// dispatcher) can be compared with it. Nothing in mlpath links this file.
//
// What it does: connects to the gateway URL (+ "?v=10&encoding=json"), waits for Hello,
// sends Identify (intents GUILDS | DIRECT_MESSAGES, like mlpath), heartbeats on Hello's
// interval (first beat after interval x jitter, last sequence in d, op 1 from the server
// answered at once, a missing ACK reported), and parses every frame with simdjson On-Demand
// for op, t, s and, for MESSAGE_CREATE, d.author.id, which it compares with the bot's own id
// from READY and counts. Nothing else: no routing, no storage, no replies.
//
// Fairness: built by the same CMake rules as mlpath (same compiler, -O3, no -march), so
// simdjson's On-Demand runs the same kernel in both (printed at start; without -march flags
// it is the portable "fallback" kernel, as in mlpath). Frames are parsed from a reused padded
// copy, as mlpath's gateway_session does.
//
// Usage: minimal_gateway_client --url ws://127.0.0.1:PORT/ [--token bench] [--intents 4097]
// Prints "ready" on stdout when READY arrives; counts on stderr when stopped (SIGINT/SIGTERM)
// or when the connection ends.

#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace od = simdjson::ondemand;
using tcp = asio::ip::tcp;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "minimal_gateway_client: %s\n", msg.c_str());
  std::exit(2);
}

struct options {
  std::string url;
  std::string token = "bench";
  int intents = 4097;  // GUILDS | DIRECT_MESSAGES
};

class client {
 public:
  explicit client(options o) : o_(std::move(o)) {}

  int run() {
    // ws://host:port/path
    std::string_view u = o_.url;
    if (u.rfind("ws://", 0) != 0) die("only ws:// URLs (the feed is on loopback): " + o_.url);
    u.remove_prefix(5);
    std::string_view authority = u.substr(0, u.find('/'));
    std::string path(u.size() > authority.size() ? u.substr(authority.size()) : "/");
    path = path.substr(0, path.find('?'));
    auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) die("the URL needs a port: " + o_.url);
    std::string host(authority.substr(0, colon)), port(authority.substr(colon + 1));

    tcp::resolver resolver(io_);
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) die("cannot resolve " + host + ": " + ec.message());
    beast::get_lowest_layer(ws_).connect(endpoints, ec);
    if (ec) die("cannot connect to " + host + ":" + port + ": " + ec.message());
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(8 << 20);
    ws_.handshake(host + ":" + port, path + "?v=10&encoding=json", ec);
    if (ec) die("websocket handshake failed: " + ec.message());

    signals_.async_wait([this](const beast::error_code& e, int) {
      if (e) return;
      stop("stopped by signal");
    });
    read();
    io_.run();
    report();
    return 0;
  }

 private:
  void read() {
    ws_.async_read(in_, [this](const beast::error_code& ec, std::size_t) {
      if (ec) {
        stop(ec == websocket::error::closed ? "closed by the server (code " + std::to_string(ws_.reason().code) + ")"
                                            : "connection ended: " + ec.message());
        return;
      }
      on_frame(static_cast<const char*>(in_.data().data()), in_.size());
      in_.consume(in_.size());
      read();
    });
  }

  // One frame: op, s, t, and d only as far as it matters.
  void on_frame(const char* data, std::size_t n) {
    if (cap_ < n + simdjson::SIMDJSON_PADDING) {
      cap_ = 2 * n + simdjson::SIMDJSON_PADDING;
      frame_ = std::make_unique<char[]>(cap_);
    }
    std::memcpy(frame_.get(), data, n);
    try {
      od::document doc = parser_.iterate(simdjson::padded_string_view(frame_.get(), n, cap_));
      od::object obj = doc.get_object();
      std::int64_t op = -1;
      std::string_view t;
      for (auto field : obj) {
        std::string_view key = field.unescaped_key();
        od::value v = field.value();
        if (key == "op") {
          op = v.get_int64();
        } else if (key == "s") {
          if (!v.is_null()) seq_ = v.get_int64();
        } else if (key == "t") {
          if (!v.is_null()) t = v.get_string();
        } else if (key == "d") {
          if (op < 0) {
            // Discord sends t, s, op before d; any other order costs a second pass.
            second_pass(doc);
            return;
          }
          on_payload(op, t, v);
          return;
        }
      }
      on_payload(op, t, std::nullopt);
    } catch (const simdjson::simdjson_error& e) {
      ++bad_frames_;
    }
  }

  void second_pass(od::document& doc) {
    std::int64_t op = -1;
    std::string t;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "op") op = v.get_int64();
      else if (key == "s" && !v.is_null()) seq_ = v.get_int64();
      else if (key == "t" && !v.is_null()) t = std::string(std::string_view(v.get_string()));
    }
    doc.rewind();
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "d") {
        on_payload(op, t, od::value(field.value()));
        return;
      }
    }
    on_payload(op, t, std::nullopt);
  }

  void on_payload(std::int64_t op, std::string_view t, std::optional<od::value> d) {
    switch (op) {
      case 0:
        ++dispatches_;
        if (t == "MESSAGE_CREATE" && d) {
          std::string_view author;
          for (auto f : d->get_object()) {
            std::string_view key = f.unescaped_key();
            if (key != "author") continue;
            for (auto a : f.value().get_object()) {
              std::string_view akey = a.unescaped_key();
              if (akey == "id") {
                author = a.value().get_string();
                break;
              }
            }
            break;
          }
          if (author.empty()) ++no_author_;
          else if (author == bot_id_) ++own_;
          else ++others_;
        } else if (t == "READY" && d) {
          for (auto f : d->get_object()) {
            std::string_view key = f.unescaped_key();
            if (key == "user") {
              for (auto u : f.value().get_object()) {
                std::string_view ukey = u.unescaped_key();
                if (ukey == "id") bot_id_ = std::string(std::string_view(u.value().get_string()));
              }
            } else if (key == "session_id") {
              session_ = std::string(std::string_view(f.value().get_string()));
            }
          }
          std::printf("ready\n");
          std::fflush(stdout);
        } else {
          ++other_events_;
        }
        break;
      case 1:  // the server asks for a heartbeat now
        send_heartbeat();
        break;
      case 10: {
        if (!d) break;
        std::int64_t interval = 0;
        for (auto f : d->get_object()) {
          std::string_view key = f.unescaped_key();
          if (key == "heartbeat_interval") interval = f.value().get_int64();
        }
        if (interval <= 0) die("Hello without a heartbeat_interval");
        interval_ = std::chrono::milliseconds(interval);
        identify();
        std::mt19937_64 rng{std::random_device{}()};
        schedule_heartbeat(std::chrono::milliseconds(
            std::int64_t(double(interval) * std::uniform_real_distribution<double>(0, 1)(rng))));
        break;
      }
      case 11: acked_ = true; break;
      default: ++other_ops_; break;
    }
  }

  void identify() {
    send(R"({"op":2,"d":{"token":")" + o_.token + R"(","intents":)" + std::to_string(o_.intents) +
         R"(,"properties":{"os":"linux","browser":"minimal","device":"minimal"}}})");
  }

  void send_heartbeat() {
    send(R"({"op":1,"d":)" + (seq_ ? std::to_string(*seq_) : std::string("null")) + "}");
    acked_ = false;
    ++heartbeats_;
  }

  void schedule_heartbeat(std::chrono::milliseconds wait) {
    timer_.expires_after(wait);
    timer_.async_wait([this](const beast::error_code& ec) {
      if (ec) return;
      if (!acked_) ++missed_acks_;  // a real client would close and resume; here it is only reported
      send_heartbeat();
      schedule_heartbeat(interval_);
    });
  }

  void send(std::string text) {
    out_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void write_next() {
    if (out_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front()), [this](const beast::error_code& ec, std::size_t) {
      out_.pop_front();
      if (ec) {
        writing_ = false;
        return;
      }
      write_next();
    });
  }

  void stop(const std::string& why) {
    if (stopped_) return;
    stopped_ = true;
    why_ = why;
    timer_.cancel();
    signals_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    io_.stop();
  }

  void report() {
    std::fprintf(stderr,
                 "minimal_gateway_client: %s; %llu dispatches (MESSAGE_CREATE: %llu own, %llu others, %llu without "
                 "author; %llu other events), last s %lld, %llu heartbeats, %llu missed ACKs, %llu unreadable frames\n",
                 why_.c_str(), (unsigned long long)dispatches_, (unsigned long long)own_, (unsigned long long)others_,
                 (unsigned long long)no_author_, (unsigned long long)other_events_, (long long)seq_.value_or(-1),
                 (unsigned long long)heartbeats_, (unsigned long long)missed_acks_, (unsigned long long)bad_frames_);
  }

  options o_;
  asio::io_context io_{1};
  websocket::stream<beast::tcp_stream> ws_{io_};
  asio::steady_timer timer_{io_};
  asio::signal_set signals_{io_, SIGINT, SIGTERM};
  beast::flat_buffer in_;
  std::unique_ptr<char[]> frame_;
  std::size_t cap_ = 0;
  od::parser parser_;
  std::deque<std::string> out_;
  bool writing_ = false, acked_ = true, stopped_ = false;
  std::chrono::milliseconds interval_{41250};
  std::optional<std::int64_t> seq_;
  std::string bot_id_, session_, why_;
  std::uint64_t dispatches_ = 0, own_ = 0, others_ = 0, no_author_ = 0, other_events_ = 0, other_ops_ = 0;
  std::uint64_t heartbeats_ = 0, missed_acks_ = 0, bad_frames_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--url") o.url = need();
    else if (a == "--token") o.token = need();
    else if (a == "--intents") o.intents = std::atoi(need().c_str());
    else if (a == "-h" || a == "--help") {
      std::fputs("usage: minimal_gateway_client --url ws://127.0.0.1:PORT/ [--token T] [--intents N]\n", stderr);
      return 0;
    } else {
      die("unknown option " + a);
    }
  }
  if (o.url.empty()) die("--url is required");
  std::fprintf(stderr, "minimal_gateway_client: simdjson %d.%d.%d, On-Demand kernel \"%s\"\n",
               int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR),
               int(simdjson::SIMDJSON_VERSION_REVISION), simdjson::builtin_implementation()->name().c_str());
  return client(std::move(o)).run();
}
