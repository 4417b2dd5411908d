// socket_mode_feed: a fake Slack (Web API + Socket Mode server) that streams events_api
// envelopes to one Socket Mode client and measures how fast, and how soon, it acknowledges them.
//
// What it serves, on 127.0.0.1 with ports chosen by the kernel:
//   Web API (http://127.0.0.1:P/api/, the client's SLACK_API_URL / Bolt's slackApiUrl):
//     apps.connections.open  {"ok":true,"url":"ws://127.0.0.1:Q/link/?ticket=N&app_id=ABENCH0001"}
//     auth.test              the bench workspace (TBENCH0001) and bot (UBENCHBOT / BBENCHBOT), the
//                            same constants as bench/slack_load.cpp and bench/fake_slack_api.js
//     chat.postMessage, chat.update, conversations.open, users.info, views.publish,
//     conversations.history and any other method: ok:true at once, with the fields a client
//     reads (a message ts, a DM channel, a user with a time zone). No rate limits, no latency.
//     With --api-down every method but apps.connections.open is answered with a TCP reset: the
//     Web API is unreachable (as in a Slack Web API outage), so a client that needs auth.test
//     before it processes events only stores and acknowledges them. That is mlpath's "ack path",
//     the figure comparable with a do-nothing handler (bench/slack_ack.sh does the same over HTTP
//     by pointing SLACK_API_URL at a closed port).
//   Socket Mode (ws://127.0.0.1:Q/link/...): `hello` (Slack's shape) on every connection; then,
//     once the client's pid is known and --idle seconds have passed (its idle RSS is read then),
//     a stream of events_api envelopes, each a real-shaped DM `message` event_callback (the
//     payload bench/slack_load.cpp posts over HTTP: rich_text blocks, authorizations, a unique
//     event_id, client_msg_id and ts) from --users rotating people and DM channels, wrapped as
//     Slack wraps it (envelope_id a fresh UUID, accepts_response_payload false, retry_attempt 0).
//     The default 100,000 people are so many that a client which answers each message (mlpath's
//     full path: a greeting and the first question) is not held back by Slack's pace of about
//     one post per second per channel, which mlpath keeps to: every reply is sent during the run.
//
// Flow control: at most --window envelopes are unacknowledged at any time; each
// acknowledgement (a text frame {"envelope_id":"..."} with or without a payload) frees a slot
// and the next envelope goes out at once. That is how Slack behaves towards a slow app too:
// it does not flood a connection that does not acknowledge.
//
// Measured, over --duration seconds after --warmup seconds of streaming:
//   acknowledgements received per second; per envelope, the time from handing it to the
//   websocket layer to reading its acknowledgement (p50/p90/p99/max, µs; with a window of W the
//   median is roughly W / rate, as Little's law says); the client's CPU (utime+stime of --pid /
//   --pid-file from /proc/PID/stat, all threads) per acknowledgement; its RSS (VmRSS, VmHWM) at
//   the end and its idle RSS before the stream; this feed's own CPU, and the CPU everything else
//   on the machine used in the window (other_cpu_s: another build running alongside shows up
//   there); Web API calls by method, total and inside the window.
//
// Usage: socket_mode_feed [--duration 10] [--warmup 2] [--idle 1] [--window 16]
//                         [--pid PID | --pid-file FILE] [--url-file FILE] [--users 100000]
//                         [--text hello] [--api-down] [--connect-timeout 30]
//   --url-file FILE  writes "WEB_API_URL SOCKET_URL" (one line) once listening, so a script
//                    can start the client pointed at it; the URLs also go to stderr.
//   --pid-file FILE  the client's pid, read once the client has connected (the script starts
//                    the client after reading --url-file, so --pid cannot be known earlier).
// Output: one JSON object on stdout; progress and diagnostics on stderr. Exit 1 when the run
// went wrong (no client, the connection closed during the window, the client went away).

#include <sys/resource.h>
#include <unistd.h>

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
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_server.hpp"
#include "bot/net/ws_server.hpp"

#include "bench_support.hpp"

namespace {

using namespace bench_support;

namespace net = mlpath::net;
using namespace std::chrono_literals;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "socket_mode_feed: %s\n", msg.c_str());
  std::exit(2);
}

void note(const std::string& msg) { std::fprintf(stderr, "socket_mode_feed: %s\n", msg.c_str()); }

std::uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000'000ULL + std::uint64_t(ts.tv_nsec);
}

// ------------------------------------------------------------------ options

struct options {
  double duration_s = 10;
  double warmup_s = 2;
  double idle_s = 1;
  std::size_t window = 16;
  int pid = 0;
  std::string pid_file;
  std::string url_file;
  std::uint32_t users = 100000;
  std::string text = "hello";
  bool api_down = false;
  double connect_timeout_s = 30;
};

void usage() {
  std::fputs(
      "usage: socket_mode_feed [--duration S] [--warmup S] [--idle S] [--window N] [--pid PID | --pid-file FILE]\n"
      "                        [--url-file FILE] [--users N] [--text TEXT] [--api-down] [--connect-timeout S]\n",
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
    else if (a == "--window") o.window = std::size_t(num(need(i), "--window"));
    else if (a == "--pid") o.pid = int(num(need(i), "--pid"));
    else if (a == "--pid-file") o.pid_file = need(i);
    else if (a == "--url-file") o.url_file = need(i);
    else if (a == "--users") o.users = std::uint32_t(num(need(i), "--users"));
    else if (a == "--text") o.text = need(i);
    else if (a == "--api-down") o.api_down = true;
    else if (a == "--connect-timeout") o.connect_timeout_s = num(need(i), "--connect-timeout");
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      usage();
      die("unknown option " + a);
    }
  }
  if (o.users < 1) die("--users must be at least 1");
  if (o.window < 1) die("--window must be at least 1");
  if (o.duration_s <= 0) die("--duration must be positive");
  return o;
}

// ------------------------------------------------------------------ text helpers

// The string value of "key" in a small flat JSON object (an acknowledgement frame), or nullopt.
// Enough for what Socket Mode clients send back: {"envelope_id":"...","payload":{...}}.
std::optional<std::string_view> string_field(std::string_view text, std::string_view key) {
  std::string quoted;
  quoted.reserve(key.size() + 2);
  quoted += '"';
  quoted += key;
  quoted += '"';
  std::size_t at = text.find(quoted);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t i = at + quoted.size();
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  };
  skip();
  if (i >= text.size() || text[i] != ':') return std::nullopt;
  ++i;
  skip();
  if (i >= text.size() || text[i] != '"') return std::nullopt;
  std::size_t start = ++i;
  std::size_t end = text.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  return text.substr(start, end - start);
}

// Workspace constants shared with bench/slack_load.cpp, bench/fake_slack_api.js and the Bolt
// peer: the bot's own ids differ from every sender's, or both clients would (rightly) ignore
// the messages as the bot's own.
constexpr std::string_view team_id = "TBENCH0001";
constexpr std::string_view app_id = "ABENCH0001";
constexpr std::string_view bot_user = "UBENCHBOT";
constexpr std::string_view bot_id = "BBENCHBOT";

// ------------------------------------------------------------------ envelopes

// Builds events_api envelopes. Envelope ids are UUID-shaped (Slack's are v4 UUIDs): a random
// run id in the first groups, the envelope number in the last 12 hex digits, which is how an
// acknowledgement is matched to its send time. Event ids are "Ev" + a 4-character run prefix +
// an 8-character base36 counter, unique across runs (mlpath's inbox dedupes by event_id, so a
// repeated id would measure the cheap "already seen" path).
class envelope_factory {
 public:
  explicit envelope_factory(const options& o) : users_(o.users), text_(json_escape(o.text)) {
    std::random_device rd;
    run_id_ = (std::uint64_t(rd()) << 32) ^ rd();
    prefix_.reserve(40);
    append_hex(prefix_, run_id_ >> 32, 8);
    prefix_ += '-';
    append_hex(prefix_, (run_id_ >> 16) & 0xffff, 4);
    prefix_ += "-4";
    append_hex(prefix_, run_id_ & 0xfff, 3);
    prefix_ += "-a";
    append_hex(prefix_, (run_id_ >> 20) & 0xfff, 3);
    prefix_ += '-';
    frame_.reserve(2048);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t bytes() const { return bytes_; }

  // The number of the envelope `id` names, if it is one of this run's.
  std::optional<std::uint64_t> number_of(std::string_view id) const {
    if (id.size() != prefix_.size() + 12 || id.compare(0, prefix_.size(), prefix_) != 0) return std::nullopt;
    std::uint64_t n = 0;
    auto tail = id.substr(prefix_.size());
    auto r = std::from_chars(tail.data(), tail.data() + tail.size(), n, 16);
    if (r.ec != std::errc() || r.ptr != tail.data() + tail.size()) return std::nullopt;
    return n;
  }

  // The next envelope; its number is count() - 1 afterwards.
  const std::string& next() {
    const std::uint64_t n = count_++;
    const std::uint64_t unix_s = std::uint64_t(std::time(nullptr));
    const std::uint32_t user = std::uint32_t(n % users_);

    std::string ts_msg;
    append_u64(ts_msg, unix_s);
    ts_msg += '.';
    char six[8];
    std::snprintf(six, sizeof six, "%06u", unsigned(n % 1'000'000));
    ts_msg += six;

    std::string& b = frame_;
    b.clear();
    b += R"({"envelope_id":")";
    b += prefix_;
    append_hex(b, n & 0xffffffffffffULL, 12);
    b += R"(","payload":{"token":"benchVerificationToken","team_id":")";
    b += team_id;
    b += R"(","context_team_id":")";
    b += team_id;
    b += R"(","context_enterprise_id":null,"api_app_id":")";
    b += app_id;
    b += R"(","event":{"user":"U)";
    append_base36(b, user, 8);
    b += R"(","type":"message","ts":")";
    b += ts_msg;
    b += R"(","client_msg_id":")";
    append_hex(b, run_id_ & 0xffffffff, 8);
    b += '-';
    append_hex(b, (run_id_ >> 40) & 0xffff, 4);
    b += "-4";
    append_hex(b, (run_id_ >> 8) & 0xfff, 3);
    b += "-8";
    append_hex(b, (n >> 48) & 0xfff, 3);
    b += '-';
    append_hex(b, n & 0xffffffffffffULL, 12);
    b += R"(","text":")";
    b += text_;
    b += R"(","team":")";
    b += team_id;
    b += R"(","blocks":[{"type":"rich_text","block_id":")";
    append_base36(b, n % (36 * 36 * 36), 3);
    b += R"(","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":")";
    b += text_;
    b += R"("}]}]}],"channel":"D)";
    append_base36(b, user, 8);
    b += R"(","event_ts":")";
    b += ts_msg;
    b += R"(","channel_type":"im"},"type":"event_callback","event_id":"Ev)";
    append_base36(b, run_id_ % (36ULL * 36 * 36 * 36), 4);
    append_base36(b, n, 8);
    b += R"(","event_time":)";
    append_u64(b, unix_s);
    b += R"(,"authorizations":[{"enterprise_id":null,"team_id":")";
    b += team_id;
    b += R"(","user_id":")";
    b += bot_user;
    b += R"(","is_bot":true,"is_enterprise_install":false}],"is_ext_shared_channel":false,)"
         R"("event_context":"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUQkVOQ0gwMDAxIiwiYWlkIjoiQUJFTkNIMDAwMSJ9"},)"
         R"("type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""})";
    bytes_ += b.size();
    return b;
  }

 private:
  std::uint32_t users_;
  std::string text_;
  std::uint64_t run_id_ = 0;
  std::string prefix_;
  std::string frame_;
  std::uint64_t count_ = 0, bytes_ = 0;
};

// ------------------------------------------------------------------ output

// One flat JSON object, numbers with a fixed number of decimals.
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
  void boolean(std::string_view key, bool v) { raw(key, v ? "true" : "false"); }
  std::string done() { return s_ + "}"; }

 private:
  std::string s_ = "{";
};

// ------------------------------------------------------------------ the feed

class feed {
 public:
  explicit feed(const options& o) : o_(o), envelopes_(o) { latencies_ns_.reserve(1 << 20); }

  void start() {
    http_ = std::make_unique<net::http_server>(loop_, [this](net::http_request&& r, net::http_reply reply) {
      on_web_api(std::move(r), std::move(reply));
    });
    api_port_ = http_->listen("127.0.0.1", 0);
    net::ws_server::handlers h;
    h.on_open = [this](net::ws_server::connection_id id, std::string target) { on_open(id, std::move(target)); };
    h.on_message = [this](net::ws_server::connection_id id, std::string text) { on_message(id, text); };
    h.on_closed = [this](net::ws_server::connection_id id, int code) { on_closed(id, code); };
    ws_ = std::make_unique<net::ws_server>(loop_, h);
    ws_port_ = ws_->listen("127.0.0.1", 0);

    api_url_ = "http://127.0.0.1:" + std::to_string(api_port_) + "/api/";
    socket_base_ = "ws://127.0.0.1:" + std::to_string(ws_port_) + "/link/";
    note("Web API " + api_url_ + (o_.api_down ? " (down: every method but apps.connections.open is reset)" : "") +
         ", Socket Mode " + socket_base_);
    if (!o_.url_file.empty()) {
      std::string tmp = o_.url_file + ".tmp";
      {
        std::ofstream f(tmp);
        f << api_url_ << ' ' << socket_base_ << '\n';
        if (!f) die("cannot write " + tmp);
      }
      if (std::rename(tmp.c_str(), o_.url_file.c_str()) != 0) die("cannot rename " + tmp + " to " + o_.url_file);
    }
    loop_.on_stop_signal([this](int) {
      note("stopped by signal");
      if (error_.empty()) error_ = "stopped by a signal";
      finish();
    });
    connect_timer_ = loop_.after(std::chrono::milliseconds(long(o_.connect_timeout_s * 1000)), [this] {
      if (!conn_) fail("no Socket Mode client connected within " + std::to_string(int(o_.connect_timeout_s)) + " s");
    });
    loop_.run();
  }

  int exit_code() const { return error_.empty() ? 0 : 1; }

  void print_json() {
    json_writer out;
    if (!error_.empty()) out.str("error", error_);
    const double dur = t_end_ > t_start_ ? double(t_end_ - t_start_) / 1e9 : 0;
    const std::uint64_t n = acks_end_ - acks_start_;
    out.u64("window", o_.window);
    out.num("warmup_s", o_.warmup_s, 1);
    out.num("duration_s", dur, 3);
    out.boolean("web_api_down", o_.api_down);
    out.u64("users", o_.users);
    out.u64("acks", n);
    out.num("acks_per_s", dur > 0 ? double(n) / dur : 0, 1);
    out.u64("envelopes_sent", sent_end_ - sent_start_);
    std::vector<std::uint64_t>& l = latencies_ns_;
    std::sort(l.begin(), l.end());
    auto pct = [&](double p) -> double {
      if (l.empty()) return 0;
      std::size_t i = std::size_t(std::ceil(p / 100.0 * double(l.size()))) ;
      i = i == 0 ? 0 : i - 1;
      return double(l[std::min(i, l.size() - 1)]) / 1e3;
    };
    double sum = 0;
    for (auto v : l) sum += double(v);
    out.num("latency_p50_us", pct(50), 1);
    out.num("latency_p90_us", pct(90), 1);
    out.num("latency_p99_us", pct(99), 1);
    out.num("latency_max_us", l.empty() ? 0 : double(l.back()) / 1e3, 1);
    out.num("latency_mean_us", l.empty() ? 0 : sum / double(l.size()) / 1e3, 1);
    out.u64("bytes_per_envelope", envelopes_.count() ? envelopes_.bytes() / envelopes_.count() : 0);
    if (pid_) {
      out.u64("client_pid", std::uint64_t(pid_));
      if (cpu_start_ && cpu_end_) {
        const double cpu = double(*cpu_end_ - *cpu_start_) / double(sysconf(_SC_CLK_TCK));
        out.num("client_cpu_s", cpu, 2);
        out.num("client_cpu_us_per_ack", n ? cpu * 1e6 / double(n) : 0, 2);
        out.num("client_cpu_share", dur > 0 ? cpu / dur : 0, 3);  // 1.0 = one core busy
      }
      if (idle_rss_) out.u64("client_idle_rss_kib", *idle_rss_);
      if (rss_end_) out.u64("client_rss_kib", *rss_end_);
      if (hwm_end_) out.u64("client_rss_hwm_kib", *hwm_end_);
    }
    const double feed_cpu = self_cpu_end_ - self_cpu_start_;
    out.num("feed_cpu_s", feed_cpu, 3);
    out.num("feed_cpu_us_per_ack", n ? feed_cpu * 1e6 / double(n) : 0, 2);
    if (busy_start_ && busy_end_ && cpu_start_ && cpu_end_) {
      const double hz = double(sysconf(_SC_CLK_TCK));
      const double other = double(*busy_end_ - *busy_start_) / hz - double(*cpu_end_ - *cpu_start_) / hz - feed_cpu;
      out.num("other_cpu_s", other > 0 ? other : 0, 2);
    }
    const std::uint64_t posts = posts_end_ - posts_start_;
    out.u64("web_api_posts", posts);  // chat.postMessage inside the window
    out.num("web_api_posts_per_s", dur > 0 ? double(posts) / dur : 0, 1);
    out.u64("envelopes_total", envelopes_.count());
    out.u64("acks_total", acks_total_);
    out.u64("unacked_at_end", outstanding_.size());  // after up to 1 s for the last ones
    out.u64("acks_with_payload", acks_with_payload_);
    out.u64("unknown_acks", unknown_acks_);
    json_writer sm;
    sm.u64("connections", std::uint64_t(connections_));
    sm.u64("closes_by_client", std::uint64_t(closes_));
    sm.u64("other_frames", other_frames_);
    if (!target_.empty()) sm.str("target", target_);
    out.raw("socket", sm.done());
    json_writer api;
    for (auto& [method, count] : api_calls_) api.u64(method, count);
    out.raw("web_api_calls", api.done());
    std::printf("%s\n", out.done().c_str());
    std::fflush(stdout);
  }

 private:
  // ---------------------------------------------------------------- Web API

  void on_web_api(net::http_request&& req, net::http_reply reply) {
    std::string_view path = req.path();
    std::string method(path.rfind("/api/", 0) == 0 ? path.substr(5) : path);
    net::http_response res;
    res.content_type = "application/json; charset=utf-8";
    if (method == "apps.connections.open") {
      ++api_calls_[method];
      res.body = R"({"ok":true,"url":")" + socket_base_ + "?ticket=" + std::to_string(++tickets_) + "&app_id=" +
                 std::string(app_id) + "\"}";
      reply(std::move(res));
      return;
    }
    if (o_.api_down) {
      ++api_calls_[method + " (reset)"];
      res.inject = net::http_response::fault::reset;
      reply(std::move(res));
      return;
    }
    ++api_calls_[method];
    if (method == "auth.test") {
      res.body = R"({"ok":true,"url":"https://bench.slack.com/","team":"bench","user":"mlpath","team_id":")" +
                 std::string(team_id) + R"(","user_id":")" + std::string(bot_user) + R"(","bot_id":")" +
                 std::string(bot_id) + R"(","is_enterprise_install":false})";
    } else if (method == "chat.postMessage") {
      ++posts_;
      std::string channel = field_of(req, "channel");
      res.body = R"({"ok":true,"channel":")" + json_escape(channel) + R"(","ts":")" + next_ts() +
                 R"(","message":{"type":"message","text":"","bot_id":")" + std::string(bot_id) + R"(","user":")" +
                 std::string(bot_user) + R"("}})";
    } else if (method == "chat.update") {
      res.body = R"({"ok":true,"channel":")" + json_escape(field_of(req, "channel")) + R"(","ts":")" +
                 json_escape(field_of(req, "ts")) + R"(","text":""})";
    } else if (method == "conversations.open") {
      std::string user = field_of(req, "users");
      if (user.empty()) user = field_of(req, "user");
      res.body = R"({"ok":true,"channel":{"id":"D)" + json_escape(user.size() > 1 ? user.substr(1) : "UNKNOWN") + "\"}}";
    } else if (method == "users.info") {
      res.body = R"({"ok":true,"user":{"id":")" + json_escape(field_of(req, "user")) + R"(","team_id":")" +
                 std::string(team_id) + R"(","name":"bench","tz":"Europe/Berlin","tz_offset":3600,"is_bot":false}})";
    } else if (method == "conversations.history") {
      res.body = R"({"ok":true,"messages":[],"has_more":false,"response_metadata":{"next_cursor":""}})";
    } else {
      res.body = R"({"ok":true})";  // views.publish and the rest
    }
    reply(std::move(res));
  }

  // A field of a Web API call: in the query, a JSON body or a form body (good enough for ids).
  static std::string field_of(const net::http_request& req, std::string_view key) {
    if (auto v = string_field(req.body, key)) return std::string(*v);
    for (std::string_view s : {req.query(), std::string_view(req.body)}) {
      std::size_t i = 0;
      while (i < s.size()) {
        std::size_t amp = s.find('&', i);
        std::string_view kv = s.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i);
        if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
          return std::string(kv.substr(key.size() + 1));
        if (amp == std::string_view::npos) break;
        i = amp + 1;
      }
    }
    return {};
  }

  std::string next_ts() {
    std::string ts;
    append_u64(ts, std::uint64_t(std::time(nullptr)));
    ts += '.';
    char six[8];
    std::snprintf(six, sizeof six, "%06u", unsigned(++ts_counter_ % 1'000'000));
    ts += six;
    return ts;
  }

  // ---------------------------------------------------------------- Socket Mode

  void on_open(net::ws_server::connection_id id, std::string target) {
    ++connections_;
    target_ = target;
    if (conn_) note("the client opened another connection (" + std::to_string(connections_) + " so far)");
    conn_ = id;
    outstanding_.clear();  // whatever was in flight on the old connection is not acknowledged there
    ws_->send(id, R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-bench-0","build_number":105,)"
                  R"("approximate_connection_time":18060},"connection_info":{"app_id":")" +
                      std::string(app_id) + "\"}}");
    if (!pid_requested_) {
      pid_requested_ = true;
      loop_.cancel(connect_timer_);
      read_pid(100);
    } else if (streaming_) {
      pump();
    }
  }

  void on_closed(net::ws_server::connection_id id, int code) {
    if (id != conn_) return;
    ++closes_;
    conn_ = 0;
    note("the client closed the Socket Mode connection (code " + std::to_string(code) + ")");
  }

  void on_message(net::ws_server::connection_id id, const std::string& text) {
    auto envelope_id = string_field(text, "envelope_id");
    if (!envelope_id) {
      ++other_frames_;
      if (other_frames_ <= 3) note("a frame that is not an acknowledgement: " + text.substr(0, 200));
      return;
    }
    const std::uint64_t now = mono_ns();
    auto n = envelopes_.number_of(*envelope_id);
    auto it = n ? outstanding_.find(*n) : outstanding_.end();
    if (it == outstanding_.end()) {
      ++unknown_acks_;
      if (unknown_acks_ <= 3) note("an acknowledgement of an envelope not in flight: " + text.substr(0, 200));
      return;
    }
    ++acks_total_;
    if (text.find("\"payload\"") != std::string::npos) ++acks_with_payload_;
    if (measuring_) latencies_ns_.push_back(now - it->second);
    outstanding_.erase(it);
    if (draining_ && outstanding_.empty()) finish();
    else if (id == conn_) pump();
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
      note("streaming, window " + std::to_string(o_.window) +
           (pid_ ? ", client pid " + std::to_string(pid_) : std::string()) +
           (idle_rss_ ? ", idle RSS " + std::to_string(*idle_rss_) + " KiB" : std::string()));
      streaming_ = true;
      pump();
      loop_.after(std::chrono::milliseconds(long(o_.warmup_s * 1000)), [this] { window_start(); });
    });
  }

  void window_start() {
    t_start_ = mono_ns();
    acks_start_ = acks_total_;
    sent_start_ = envelopes_.count();
    posts_start_ = posts_;
    if (pid_) cpu_start_ = proc_cpu_ticks(pid_);
    busy_start_ = machine_busy_ticks();
    self_cpu_start_ = process_cpu_s();
    closes_start_ = closes_;
    measuring_ = true;
    note("measuring for " + std::to_string(o_.duration_s) + " s (" + std::to_string(acks_total_) +
         " acknowledgements during the warm-up)");
    loop_.after(std::chrono::milliseconds(long(o_.duration_s * 1000)), [this] { window_end(); });
  }

  void window_end() {
    t_end_ = mono_ns();
    measuring_ = false;
    if (pid_) {
      cpu_end_ = proc_cpu_ticks(pid_);
      rss_end_ = proc_status_kib(pid_, "VmRSS");
      hwm_end_ = proc_status_kib(pid_, "VmHWM");
    }
    self_cpu_end_ = process_cpu_s();
    busy_end_ = machine_busy_ticks();
    acks_end_ = acks_total_;
    sent_end_ = envelopes_.count();
    posts_end_ = posts_;
    streaming_ = false;
    if (pid_ && (!cpu_start_ || !cpu_end_)) error_ = "client process " + std::to_string(pid_) + " went away";
    if (closes_ != closes_start_)
      error_ = "the client closed the Socket Mode connection during the run (" + std::to_string(closes_ - closes_start_) +
               " times)";
    if (acks_end_ == acks_start_ && error_.empty()) error_ = "no acknowledgement in the measured window";
    // Let the envelopes still in flight be acknowledged (for at most a second), so the client
    // does not see its connection vanish under acknowledgements it is still sending.
    if (outstanding_.empty() || !conn_) {
      finish();
      return;
    }
    draining_ = true;
    loop_.after(1s, [this] { finish(); });
  }

  // Tops the envelopes in flight up to --window.
  void pump() {
    if (!streaming_ || !conn_) return;
    while (outstanding_.size() < o_.window) {
      const std::string& frame = envelopes_.next();
      outstanding_.emplace(envelopes_.count() - 1, mono_ns());
      ws_->send(conn_, frame);
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
  envelope_factory envelopes_;
  net::event_loop loop_;
  std::unique_ptr<net::http_server> http_;
  std::unique_ptr<net::ws_server> ws_;
  std::uint16_t api_port_ = 0, ws_port_ = 0;
  std::string api_url_, socket_base_;
  std::uint64_t connect_timer_ = 0;
  int tickets_ = 0;
  std::uint64_t ts_counter_ = 0;

  net::ws_server::connection_id conn_ = 0;
  bool pid_requested_ = false, streaming_ = false, measuring_ = false, draining_ = false, finished_ = false;
  int connections_ = 0, closes_ = 0, closes_start_ = 0;
  std::string target_;
  std::unordered_map<std::uint64_t, std::uint64_t> outstanding_;  // envelope number -> send time (ns)
  std::vector<std::uint64_t> latencies_ns_;
  std::uint64_t acks_total_ = 0, acks_with_payload_ = 0, unknown_acks_ = 0, other_frames_ = 0;

  std::map<std::string, std::uint64_t> api_calls_;
  std::uint64_t posts_ = 0;

  int pid_ = 0;
  std::optional<std::uint64_t> idle_rss_, rss_end_, hwm_end_, cpu_start_, cpu_end_, busy_start_, busy_end_;
  std::uint64_t t_start_ = 0, t_end_ = 0;
  double self_cpu_start_ = 0, self_cpu_end_ = 0;
  std::uint64_t acks_start_ = 0, acks_end_ = 0, sent_start_ = 0, sent_end_ = 0, posts_start_ = 0, posts_end_ = 0;
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
