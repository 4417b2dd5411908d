// gateway_feed: a fake Discord (REST + gateway) that streams DM MESSAGE_CREATE dispatches to one
// gateway client as fast as its socket drains, and measures what the client pays per dispatch.
//
// What it serves, on 127.0.0.1 with ports chosen by the kernel:
//   REST (http://127.0.0.1:P/api/v10): GET /gateway/bot (this feed's websocket URL and a
//     session_start_limit), POST /channels/{id}/messages (a message object, counted: the
//     replies of a dialog turn), POST /users/@me/channels (a DM channel), POST
//     /interactions/{id}/{token}/callback (204) and POST /webhooks/{app}/{token} (interaction
//     follow-ups); everything is answered at once (200, 204 for callbacks), without rate-limit
//     headers or 429s: this measures the client, not Discord. Anything else gets a Discord-shaped 404, counted.
//   Gateway (ws://127.0.0.1:Q/): Hello (op 10), READY (op 0) after an Identify (op 2), RESUMED
//     after a Resume (op 6), a Heartbeat ACK (op 11) for every Heartbeat (op 1). Then, after
//     --idle seconds (the client's idle RSS is read then), a stream of real-shaped DM
//     MESSAGE_CREATE dispatches: the shape of a captured frame
//     (shared/fixtures/discord/gateway/message_create.guild.dispatch.json, key order t, s, op,
//     d) without the guild fields, with a DM's channel_type 1, the current author object
//     (global_name, discriminator "0") and, per frame, a fresh snowflake id and nonce, the
//     current timestamp and the next `s`. A share --own-fraction (default 1) of the frames is
//     the echo of a message the bot itself sent (author = the bot user from READY, bot: true,
//     mlpath's intro + first question with a string select, ~1.6 KB: every message a bot
//     posts in a DM comes back on the gateway, so this is what a bot ignores most); the rest
//     are people's typed DMs (--text, ~0.7 KB) from --users rotating senders and channels.
//
// Backpressure: at most --window frames wait in the websocket layer's queue; more are added
// only when it has drained (net::ws_server's on_drained). The kernel's socket buffers hold
// more in flight (up to a few MiB on loopback), but a client that cannot keep up keeps them
// full at both ends of the measured window, so the frames written in the window equal the
// frames the client consumed in it, give or take the change in what those buffers hold.
//
// Measured, over --duration seconds after --warmup seconds of streaming:
//   dispatches written to the socket per second; the client's CPU (utime+stime of --pid /
//   --pid-file from /proc/PID/stat, all threads) per dispatch; its RSS (VmRSS, VmHWM) at the
//   end, and its idle RSS before the stream; this feed's own CPU (to see whether the feed, not
//   the client, was the limit) and the CPU everything else on the machine used (other_cpu_s:
//   another build running alongside shows up there); REST calls by route and the message
//   posts inside the window.
//
// Usage: gateway_feed [--duration 10] [--warmup 2] [--idle 1] [--own-fraction 1.0]
//                     [--pid PID | --pid-file FILE] [--url-file FILE] [--users 1000]
//                     [--text start] [--window 16] [--heartbeat-interval 41250]
//                     [--connect-timeout 30] [--no-stream] [--log-posts N]
//   --url-file FILE  writes "REST_BASE_URL GATEWAY_URL" (one line) once listening, so a script
//                    can start the client pointed at it; the URLs also go to stderr.
//   --pid-file FILE  the client's pid, read once the client has identified (the script starts
//                    the client after reading --url-file, so --pid cannot be known earlier).
//   --no-stream      serve REST and an idle gateway until SIGINT/SIGTERM (the interactions
//                    benchmark uses it as the Discord API), then print the REST counts.
//   --log-posts N    copy the first N message bodies posted to stderr (to check their shape).
// Output: one JSON object on stdout; progress and diagnostics on stderr.

#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_server.hpp"
#include "bot/net/ws_server.hpp"

#include "bench_support.hpp"

namespace {

using namespace bench_support;

namespace json = boost::json;
namespace net = mlpath::net;
using namespace std::chrono_literals;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "gateway_feed: %s\n", msg.c_str());
  std::exit(2);
}

void note(const std::string& msg) { std::fprintf(stderr, "gateway_feed: %s\n", msg.c_str()); }

double mono_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// ------------------------------------------------------------------ options

struct options {
  double duration_s = 10;
  double warmup_s = 2;
  double idle_s = 1;
  double own_fraction = 1.0;
  int pid = 0;
  std::string pid_file;
  std::string url_file;
  std::uint32_t users = 1000;
  std::string text = "start";
  std::size_t window = 16;
  int heartbeat_interval_ms = 41250;  // what Discord sends today
  double connect_timeout_s = 30;
  bool no_stream = false;
  int log_posts = 0;
};

void usage() {
  std::fputs(
      "usage: gateway_feed [--duration S] [--warmup S] [--idle S] [--own-fraction F] [--pid PID | --pid-file FILE]\n"
      "                    [--url-file FILE] [--users N] [--text TEXT] [--window N] [--heartbeat-interval MS]\n"
      "                    [--connect-timeout S] [--no-stream] [--log-posts N]\n",
      stderr);
}

options parse_options(int argc, char** argv) {
  options o;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
    return argv[++i];
  };
  auto num = [](const std::string& s, const char* what) -> double {
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !(v >= 0)) die(std::string("bad value for ") + what + ": " + s);
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--duration") o.duration_s = num(need(i), "--duration");
    else if (a == "--warmup") o.warmup_s = num(need(i), "--warmup");
    else if (a == "--idle") o.idle_s = num(need(i), "--idle");
    else if (a == "--own-fraction") o.own_fraction = num(need(i), "--own-fraction");
    else if (a == "--pid") o.pid = int(num(need(i), "--pid"));
    else if (a == "--pid-file") o.pid_file = need(i);
    else if (a == "--url-file") o.url_file = need(i);
    else if (a == "--users") o.users = std::uint32_t(num(need(i), "--users"));
    else if (a == "--text") o.text = need(i);
    else if (a == "--window") o.window = std::size_t(num(need(i), "--window"));
    else if (a == "--heartbeat-interval") o.heartbeat_interval_ms = int(num(need(i), "--heartbeat-interval"));
    else if (a == "--connect-timeout") o.connect_timeout_s = num(need(i), "--connect-timeout");
    else if (a == "--no-stream") o.no_stream = true;
    else if (a == "--log-posts") o.log_posts = int(num(need(i), "--log-posts"));
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      usage();
      die("unknown option " + a);
    }
  }
  if (o.own_fraction > 1) die("--own-fraction must be between 0 and 1");
  if (o.users < 1) die("--users must be at least 1");
  if (o.window < 1) die("--window must be at least 1");
  if (o.duration_s <= 0 && !o.no_stream) die("--duration must be positive");
  if (o.heartbeat_interval_ms < 100) die("--heartbeat-interval must be at least 100 ms");
  return o;
}

// ------------------------------------------------------------------ frames

constexpr std::uint64_t discord_epoch_ms = 1420070400000ULL;
// The bot user READY announces, and the base of the people's and channels' ids. The people
// are real-looking snowflakes from 2019, the DM channels from 2020, all distinct.
constexpr std::string_view bot_user_id = "1045812384758349824";
constexpr std::string_view application_id = "1045812384758349824";
constexpr std::uint64_t first_person_id = 560661188019488714ULL;
constexpr std::uint64_t first_channel_id = 700123456789012480ULL;

// The echo of the message mlpath posts when a person starts in a DM (as captured from
// `mlpath serve` by --log-posts): the intro and the first question, a legacy message with a
// string select; Discord echoes it with the component ids it assigns.
constexpr std::string_view own_content =
    "Hi! I'm mlpath. I will ask 11 short questions about what energises you and what you bring, then suggest "
    "machine learning roles that fit you, with a learning plan. It takes about five minutes. Say help at any "
    "point.\\n\\n**1/11 \u00b7 What energises you**\\nWhich kind of work leaves you with more energy than it "
    "takes?\\n*Pick up to two.*";
constexpr std::string_view own_components =
    R"([{"type":1,"id":1,"components":[{"type":3,"id":2,"custom_id":"q:motivation:r1","placeholder":"Choose up to 2",)"
    R"("min_values":1,"max_values":2,"options":[)"
    R"({"label":"Building things hands-on in code","value":"hands_on_coding","description":null,"emoji":null,"default":false},)"
    R"({"label":"Finding insights hidden in data","value":"data_insights","description":null,"emoji":null,"default":false},)"
    R"({"label":"Exploring new ideas and open questions","value":"new_ideas","description":null,"emoji":null,"default":false},)"
    R"({"label":"Shaping strategy and working with people","value":"strategy_people","description":null,"emoji":null,"default":false}]}]}])";

class frame_factory {
 public:
  frame_factory(const options& o) : users_(o.users), own_fraction_(o.own_fraction), text_(json_escape(o.text)) {
    frame_.reserve(2048);
  }

  std::uint64_t own() const { return own_; }
  std::uint64_t people() const { return people_; }
  std::uint64_t bytes() const { return bytes_; }

  // The next dispatch with sequence number s.
  std::string next(std::int64_t s) {
    const std::uint64_t n = count_++;
    // Own frames spread evenly: frame n is own when floor((n+1)f) > floor(nf).
    const bool is_own = std::floor(double(n + 1) * own_fraction_) > std::floor(double(n) * own_fraction_);
    const std::uint32_t user = std::uint32_t((is_own ? own_ : people_) % users_);
    (is_own ? own_ : people_)++;

    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const std::uint64_t ms = std::uint64_t(ts.tv_sec) * 1000 + std::uint64_t(ts.tv_nsec) / 1'000'000;
    // Snowflakes: milliseconds since Discord's epoch << 22, then worker/process/increment.
    // The low 22 bits come from the frame counter, so ids are unique within and across runs.
    const std::uint64_t id = ((ms - discord_epoch_ms) << 22) | (n & 0x3FFFFF);
    const std::uint64_t nonce = ((ms - discord_epoch_ms - 37) << 22) | ((n * 7919) & 0x3FFFFF);

    std::string& f = frame_;
    f.clear();
    f += R"({"t":"MESSAGE_CREATE","s":)";
    append_u64(f, std::uint64_t(s));
    f += R"(,"op":0,"d":{"type":0,"tts":false,"timestamp":")";
    append_timestamp(f, ts);
    f += R"(","referenced_message":null,"pinned":false,"nonce":")";
    if (is_own) {
      f += "mlp";  // mlpath's outbox nonce, echoed back by Discord
      append_u64(f, own_);
    } else {
      append_u64(f, nonce);
    }
    f += R"(","mentions":[],"mention_roles":[],"mention_everyone":false,"id":")";
    append_u64(f, id);
    f += R"(","flags":0,"embeds":[],"edited_timestamp":null,"content":")";
    if (is_own) f += own_content;
    else f += text_;
    f += R"(","components":)";
    if (is_own) f += own_components;
    else f += "[]";
    f += R"(,"channel_type":1,"channel_id":")";
    append_u64(f, first_channel_id + user);
    if (is_own) {
      f += R"(","author":{"username":"mlpath","public_flags":524288,"primary_guild":null,"id":")";
      f += bot_user_id;
      f += R"(","global_name":null,"discriminator":"6512","collectibles":null,"clan":null,"bot":true,)"
           R"("avatar_decoration_data":null,"avatar":"7bb8d13a0c4e3b7e1b27b5a2f1c0d9e8"},"attachments":[]}})";
    } else {
      f += R"(","author":{"username":"bench.person)";
      append_u64(f, user);
      f += R"(","public_flags":0,"primary_guild":null,"id":")";
      append_u64(f, first_person_id + std::uint64_t(user) * 4096);
      f += R"(","global_name":"Bench Person )";
      append_u64(f, user);
      f += R"(","discriminator":"0","collectibles":null,"clan":null,"avatar_decoration_data":null,)"
           R"("avatar":"845407ec1491b55828cc1f91c2436e8b"},"attachments":[]}})";
    }
    bytes_ += f.size();
    return f;
  }

 private:
  // "2026-11-26T19:10:00.123000+00:00", the seconds part cached per second.
  void append_timestamp(std::string& f, const timespec& ts) {
    if (ts.tv_sec != cached_sec_) {
      cached_sec_ = ts.tv_sec;
      std::tm tm{};
      gmtime_r(&ts.tv_sec, &tm);
      char b[32];
      std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
      cached_ = b;
    }
    f += cached_;
    char b[32];
    std::snprintf(b, sizeof b, ".%03ld000+00:00", long(ts.tv_nsec / 1'000'000));
    f += b;
  }

  std::uint32_t users_;
  double own_fraction_;
  std::string text_;
  std::string frame_;
  std::uint64_t count_ = 0, own_ = 0, people_ = 0, bytes_ = 0;
  time_t cached_sec_ = -1;
  std::string cached_;
};

// ------------------------------------------------------------------ output

// One flat JSON object, numbers with a fixed number of decimals (boost::json would print
// doubles as 1.6E4).
class json_writer {
 public:
  void raw(std::string_view key, std::string_view value) {
    s_ += s_.size() > 1 ? "," : "";
    s_ += '"';
    s_ += json_escape(key);
    s_ += "\":";
    s_ += value;
  }
  void str(std::string_view key, std::string_view value) { raw(key, "\"" + json_escape(value) + "\""); }
  void u64(std::string_view key, std::uint64_t v) { raw(key, std::to_string(v)); }
  void num(std::string_view key, double v, int decimals) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    raw(key, b);
  }
  std::string done() { return s_ + "}"; }

 private:
  std::string s_ = "{";
};

// ------------------------------------------------------------------ the feed

class feed {
 public:
  explicit feed(const options& o) : o_(o), frames_(o) {}

  void start() {
    http_ = std::make_unique<net::http_server>(loop_, [this](net::http_request&& r, net::http_reply reply) {
      on_rest(std::move(r), std::move(reply));
    });
    rest_port_ = http_->listen("127.0.0.1", 0);
    net::ws_server::handlers h;
    h.on_open = [this](net::ws_server::connection_id id, std::string target) { on_open(id, std::move(target)); };
    h.on_message = [this](net::ws_server::connection_id id, std::string text) { on_message(id, text); };
    h.on_closed = [this](net::ws_server::connection_id id, int code) { on_closed(id, code); };
    h.on_drained = [this](net::ws_server::connection_id id) {
      if (id == conn_) pump();
    };
    ws_ = std::make_unique<net::ws_server>(loop_, h);
    ws_port_ = ws_->listen("127.0.0.1", 0);

    rest_url_ = "http://127.0.0.1:" + std::to_string(rest_port_) + "/api/v10";
    gateway_url_ = "ws://127.0.0.1:" + std::to_string(ws_port_) + "/";
    note("REST " + rest_url_ + ", gateway " + gateway_url_);
    if (!o_.url_file.empty()) {
      std::string tmp = o_.url_file + ".tmp";
      {
        std::ofstream f(tmp);
        f << rest_url_ << ' ' << gateway_url_ << '\n';
        if (!f) die("cannot write " + tmp);
      }
      if (std::rename(tmp.c_str(), o_.url_file.c_str()) != 0) die("cannot rename " + tmp + " to " + o_.url_file);
    }
    loop_.on_stop_signal([this](int) {
      note("stopped by signal");
      finish();
    });
    if (!o_.no_stream) {
      connect_timer_ = loop_.after(std::chrono::milliseconds(long(o_.connect_timeout_s * 1000)), [this] {
        if (!identified_) fail("no client identified within " + std::to_string(int(o_.connect_timeout_s)) + " s");
      });
    }
    loop_.run();
  }

  int exit_code() const { return error_.empty() ? 0 : 1; }

  void print_json() {
    json_writer out;
    if (!error_.empty()) out.str("error", error_);
    if (!o_.no_stream) {
      const double dur = t_end_ > t_start_ ? t_end_ - t_start_ : 0;
      const std::uint64_t n = written_end_ - written_start_;
      out.num("own_fraction", o_.own_fraction, 3);
      out.num("warmup_s", o_.warmup_s, 1);
      out.num("duration_s", dur, 3);
      out.u64("window", o_.window);
      out.u64("dispatches_sent", sent_end_ - sent_start_);  // handed to the websocket layer
      out.u64("dispatches_drained", n);                      // written to the socket
      out.num("dispatches_per_s", dur > 0 ? double(n) / dur : 0, 1);
      out.u64("bytes_per_dispatch", sent_total_ ? frames_.bytes() / sent_total_ : 0);
      if (pid_) {
        out.u64("client_pid", std::uint64_t(pid_));
        if (cpu_start_ && cpu_end_) {
          const double cpu = double(*cpu_end_ - *cpu_start_) / double(sysconf(_SC_CLK_TCK));
          out.num("client_cpu_s", cpu, 2);
          out.num("client_cpu_us_per_dispatch", n ? cpu * 1e6 / double(n) : 0, 2);
          out.num("client_cpu_share", dur > 0 ? cpu / dur : 0, 3);  // 1.0 = one core busy
        }
        if (idle_rss_) out.u64("client_idle_rss_kib", *idle_rss_);
        if (rss_end_) out.u64("client_rss_kib", *rss_end_);
        if (hwm_end_) out.u64("client_rss_hwm_kib", *hwm_end_);
      }
      const double feed_cpu = self_cpu_end_ - self_cpu_start_;
      out.num("feed_cpu_s", feed_cpu, 3);
      out.num("feed_cpu_us_per_dispatch", n ? feed_cpu * 1e6 / double(n) : 0, 2);
      if (busy_start_ && busy_end_ && cpu_start_ && cpu_end_) {
        // CPU seconds used by everything else on the machine during the window.
        const double hz = double(sysconf(_SC_CLK_TCK));
        const double other = double(*busy_end_ - *busy_start_) / hz - double(*cpu_end_ - *cpu_start_) / hz - feed_cpu;
        out.num("other_cpu_s", other > 0 ? other : 0, 2);
      }
      const std::uint64_t posts = posts_end_ - posts_start_;
      out.u64("rest_replies", posts);  // POST /channels/{id}/messages inside the window
      out.num("rest_replies_per_s", dur > 0 ? double(posts) / dur : 0, 1);
      out.u64("dispatches_total", sent_total_);
      out.u64("own_total", frames_.own());
      out.u64("people_total", frames_.people());
    }
    json_writer gw;
    gw.u64("connections", std::uint64_t(connections_));
    gw.u64("identifies", std::uint64_t(identifies_));
    gw.u64("resumes", std::uint64_t(resumes_));
    gw.u64("closes_by_client", std::uint64_t(closes_));
    if (!target_.empty()) gw.str("target", target_);
    if (intents_) gw.raw("intents", std::to_string(*intents_));
    gw.u64("heartbeats", heartbeats_);
    if (last_heartbeat_seq_) gw.raw("last_heartbeat_seq", std::to_string(*last_heartbeat_seq_));
    gw.u64("heartbeat_interval_ms", std::uint64_t(o_.heartbeat_interval_ms));
    out.raw("gateway", gw.done());
    json_writer rest;
    for (auto& [route, count] : rest_calls_) rest.u64(route, count);
    out.raw("rest_calls", rest.done());
    std::printf("%s\n", out.done().c_str());
    std::fflush(stdout);
  }

 private:
  // ---------------------------------------------------------------- REST

  void on_rest(net::http_request&& req, net::http_reply reply) {
    std::string path(req.path());
    if (path.rfind("/api/v10", 0) == 0) path = path.substr(8);
    net::http_response res;
    res.content_type = "application/json";
    std::string route;
    if (req.method == "GET" && path == "/gateway/bot") {
      route = "GET /gateway/bot";
      res.body = json::serialize(json::object{
          {"url", gateway_url_},
          {"shards", 1},
          {"session_start_limit",
           json::object{{"total", 1000}, {"remaining", 999}, {"reset_after", 14400000}, {"max_concurrency", 1}}}});
    } else if (req.method == "POST" && path.rfind("/channels/", 0) == 0 && path.size() > 19 &&
               path.compare(path.size() - 9, 9, "/messages") == 0) {
      route = "POST /channels/{id}/messages";
      ++posts_;
      if (logged_posts_ < o_.log_posts) {
        ++logged_posts_;
        note("posted to " + path + ": " + req.body);
      }
      std::string channel = path.substr(10, path.size() - 19);
      // A created message, shaped like rest/message.object.json, with a fresh id.
      std::string body = R"({"type":0,"tts":false,"timestamp":"2026-11-26T12:00:00.000000+00:00","pinned":false,)"
                         R"("mentions":[],"mention_roles":[],"mention_everyone":false,"id":")";
      append_u64(body, (std::uint64_t(std::time(nullptr)) * 1000 - discord_epoch_ms) << 22 | (posts_ & 0x3FFFFF));
      body += R"(","flags":0,"embeds":[],"edited_timestamp":null,"content":"","components":[],"channel_id":")";
      body += json_escape(channel);
      body += R"(","author":{"username":"mlpath","id":")";
      body += bot_user_id;
      body += R"(","discriminator":"6512","bot":true,"avatar":null},"attachments":[]})";
      res.body = std::move(body);
    } else if (req.method == "POST" && path == "/users/@me/channels") {
      route = "POST /users/@me/channels";
      std::error_code ec;
      json::value v = json::parse(req.body, ec);
      std::string recipient = !ec && v.is_object() && v.as_object().contains("recipient_id") &&
                                      v.at("recipient_id").is_string()
                                  ? std::string(v.at("recipient_id").as_string())
                                  : "0";
      res.body = R"({"id":")" + std::to_string(first_channel_id + 999999) + R"(","type":1,"last_message_id":null,)"
                 R"("flags":0,"recipients":[{"id":")" + json_escape(recipient) + R"(","username":"person"}]})";
    } else if (req.method == "POST" && path.rfind("/interactions/", 0) == 0) {
      route = "POST /interactions/{id}/{token}/callback";
      res.status = 204;
      res.body.clear();
    } else if (req.method == "POST" && path.rfind("/webhooks/", 0) == 0) {
      route = "POST /webhooks/{app}/{token}";
      res.body = R"({"type":0,"id":")" + std::to_string(((std::uint64_t(std::time(nullptr)) * 1000 - discord_epoch_ms) << 22) |
                                                        (++webhook_posts_ & 0x3FFFFF)) +
                 R"(","content":"","flags":64,"channel_id":"1"})";
    } else {
      route = req.method + " " + path + " (404)";
      res.status = 404;
      res.body = R"({"message": "404: Not Found", "code": 0})";
    }
    ++rest_calls_[route];
    reply(std::move(res));
  }

  // ---------------------------------------------------------------- gateway

  void on_open(net::ws_server::connection_id id, std::string target) {
    ++connections_;
    if (connections_ > 1) note("client connected again (connection " + std::to_string(connections_) + ")");
    target_ = target;
    conn_ = id;
    ws_->send(id, R"({"t":null,"s":null,"op":10,"d":{"heartbeat_interval":)" + std::to_string(o_.heartbeat_interval_ms) +
                      R"(,"_trace":["[\"gateway-prd-bench-0\",{\"micros\":0.0}]"]}})");
  }

  void on_closed(net::ws_server::connection_id id, int code) {
    if (id != conn_) return;
    ++closes_;
    conn_ = 0;
    note("client closed the gateway connection (code " + std::to_string(code) + ")");
  }

  void on_message(net::ws_server::connection_id id, const std::string& text) {
    std::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object() || !v.as_object().contains("op") || !v.at("op").is_number()) {
      note("unreadable frame from the client: " + text.substr(0, 200));
      return;
    }
    const auto op = v.at("op").to_number<std::int64_t>();
    const json::value* d = v.as_object().if_contains("d");
    switch (op) {
      case 1:  // Heartbeat: ACK at once, note the sequence the client reports
        ++heartbeats_;
        if (d && d->is_number()) last_heartbeat_seq_ = d->to_number<std::int64_t>();
        ws_->send(id, R"({"t":null,"s":null,"op":11,"d":null})");
        break;
      case 2: {  // Identify
        ++identifies_;
        if (d && d->is_object() && d->as_object().contains("intents") && d->at("intents").is_number())
          intents_ = d->at("intents").to_number<std::int64_t>();
        std::string session = "bench" + std::to_string(identifies_);
        ws_->send(id, R"({"t":"READY","s":)" + std::to_string(++seq_) +
                          R"(,"op":0,"d":{"v":10,"user_settings":{},"user":{"verified":true,"username":"mlpath",)"
                          R"("mfa_enabled":false,"id":")" + std::string(bot_user_id) +
                          R"(","global_name":null,"flags":0,"email":null,"discriminator":"6512","bot":true,"avatar":null},)"
                          R"("session_type":"normal","session_id":")" + session +
                          R"(","resume_gateway_url":")" + gateway_url_ +
                          R"(","relationships":[],"private_channels":[],"presences":[],"guilds":[],"guild_join_requests":[],)"
                          R"("geo_ordered_rtc_regions":["bench"],"game_relationships":[],"auth":{},)"
                          R"("application":{"id":")" + std::string(application_id) +
                          R"(","flags":8953856},"_trace":["[\"gateway-prd-bench-0\",{\"micros\":0.0}]"],"shard":[0,1]}})");
        on_ready();
        break;
      }
      case 6:  // Resume: the session is still here
        ++resumes_;
        ws_->send(id, R"({"t":"RESUMED","s":)" + std::to_string(++seq_) + R"(,"op":0,"d":{"_trace":["bench"]}})");
        note("client resumed");
        if (streaming_) pump();
        break;
      default:
        note("client sent op " + std::to_string(op));
        break;
    }
  }

  void on_ready() {
    if (identified_) {
      note("client identified again");
      if (streaming_) pump();
      return;
    }
    identified_ = true;
    loop_.cancel(connect_timer_);
    if (o_.no_stream) {
      note("client identified; serving REST until stopped");
      return;
    }
    // The client's pid, then its idle RSS after --idle seconds, then the stream.
    read_pid(50);
  }

  void read_pid(int tries) {
    pid_ = o_.pid;
    if (!pid_ && !o_.pid_file.empty()) {
      std::ifstream f(o_.pid_file);
      int p = 0;
      if (f >> p) pid_ = p;
      if (!pid_ && tries > 0) {
        loop_.after(100ms, [this, tries] { read_pid(tries - 1); });
        return;
      }
      if (!pid_) {
        fail("no pid in " + o_.pid_file);
        return;
      }
    }
    if (pid_ && !proc_cpu_ticks(pid_)) {
      fail("cannot read /proc/" + std::to_string(pid_) + "/stat");
      return;
    }
    loop_.after(std::chrono::milliseconds(long(o_.idle_s * 1000)), [this] {
      if (pid_) idle_rss_ = proc_status_kib(pid_, "VmRSS");
      note("streaming" + std::string(pid_ ? ", client pid " + std::to_string(pid_) : "") +
           (idle_rss_ ? ", idle RSS " + std::to_string(*idle_rss_) + " KiB" : ""));
      streaming_ = true;
      pump();
      loop_.after(std::chrono::milliseconds(long(o_.warmup_s * 1000)), [this] { window_start(); });
    });
  }

  std::uint64_t written() const { return sent_total_ - (conn_ ? ws_->queued(conn_) : 0); }

  void window_start() {
    t_start_ = mono_s();
    sent_start_ = sent_total_;
    written_start_ = written();
    posts_start_ = posts_;
    if (pid_) cpu_start_ = proc_cpu_ticks(pid_);
    busy_start_ = machine_busy_ticks();
    self_cpu_start_ = process_cpu_s();
    note("measuring for " + std::to_string(o_.duration_s) + " s");
    loop_.after(std::chrono::milliseconds(long(o_.duration_s * 1000)), [this] { window_end(); });
  }

  void window_end() {
    t_end_ = mono_s();
    if (pid_) {
      cpu_end_ = proc_cpu_ticks(pid_);
      rss_end_ = proc_status_kib(pid_, "VmRSS");
      hwm_end_ = proc_status_kib(pid_, "VmHWM");
    }
    self_cpu_end_ = process_cpu_s();
    busy_end_ = machine_busy_ticks();
    sent_end_ = sent_total_;
    written_end_ = written();
    posts_end_ = posts_;
    streaming_ = false;
    if (pid_ && (!cpu_start_ || !cpu_end_)) error_ = "client process " + std::to_string(pid_) + " went away";
    if (closes_) error_ = "the client closed the gateway connection during the run (" + std::to_string(closes_) + " times)";
    finish();
  }

  // Tops the websocket queue up to --window frames.
  void pump() {
    if (!streaming_ || !conn_) return;
    for (std::size_t q = ws_->queued(conn_); q < o_.window; ++q) {
      ws_->send(conn_, frames_.next(++seq_));
      ++sent_total_;
    }
  }

  void fail(const std::string& why) {
    note("error: " + why);
    error_ = why;
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    streaming_ = false;
    loop_.stop();
  }

  const options& o_;
  frame_factory frames_;
  net::event_loop loop_;
  std::unique_ptr<net::http_server> http_;
  std::unique_ptr<net::ws_server> ws_;
  std::uint16_t rest_port_ = 0, ws_port_ = 0;
  std::string rest_url_, gateway_url_;
  std::uint64_t connect_timer_ = 0;

  net::ws_server::connection_id conn_ = 0;
  bool identified_ = false, streaming_ = false, finished_ = false;
  std::int64_t seq_ = 0;
  std::uint64_t sent_total_ = 0;
  int connections_ = 0, identifies_ = 0, resumes_ = 0, closes_ = 0;
  std::uint64_t heartbeats_ = 0;
  std::optional<std::int64_t> last_heartbeat_seq_, intents_;
  std::string target_;

  std::map<std::string, std::uint64_t> rest_calls_;
  std::uint64_t posts_ = 0, webhook_posts_ = 0;
  int logged_posts_ = 0;

  int pid_ = 0;
  std::optional<std::uint64_t> idle_rss_, rss_end_, hwm_end_, cpu_start_, cpu_end_, busy_start_, busy_end_;
  double t_start_ = 0, t_end_ = 0, self_cpu_start_ = 0, self_cpu_end_ = 0;
  std::uint64_t sent_start_ = 0, sent_end_ = 0, written_start_ = 0, written_end_ = 0, posts_start_ = 0, posts_end_ = 0;
  std::string error_;
};

}  // namespace

int main(int argc, char** argv) {
  options o = parse_options(argc, argv);
  feed f(o);
  f.start();
  f.print_json();
  return f.exit_code();
}
