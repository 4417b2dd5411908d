// The gateway protocol state machine with a fake clock and a scripted random: hello,
// identify, heartbeats, zombie connections, resume, op 7 / op 9, close codes, backoff, and
// the identify gate (buckets, daily limit).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <deque>
#include <random>

#include "adapters/discord/gateway_session.hpp"
#include "adapters/discord/identify_gate.hpp"
#include "discord_support.hpp"

using namespace mlpath;
using namespace mlpath::discord;
using namespace std::chrono_literals;
namespace fx = mlpath::test::discord;
namespace json = boost::json;
using kind = gateway_action::kind;
using clock_type = gateway_session::clock;

namespace {

// Random numbers in the order the session asks for them; 0.5 once the script runs out.
struct scripted_random {
  std::shared_ptr<std::deque<double>> values = std::make_shared<std::deque<double>>();
  double operator()() const {
    if (values->empty()) return 0.5;
    double v = values->front();
    values->pop_front();
    return v;
  }
};

gateway_settings settings() {
  gateway_settings s;
  s.token = "secret-token";
  s.shard_id = 0;
  s.shard_count = 1;
  s.gateway_url = "wss://gateway.discord.gg/";
  return s;
}

std::string hello(int interval = 45000) { return R"({"op":10,"d":{"heartbeat_interval":)" + std::to_string(interval) + "}}"; }

std::string dispatch(const std::string& t, int s, const std::string& d) {
  return R"({"t":")" + t + R"(","s":)" + std::to_string(s) + R"(,"op":0,"d":)" + d + "}";
}

std::string ready_frame(int s = 1) {
  return dispatch("READY", s,
                  R"({"v":10,"user":{"id":"80351110224678912","username":"mlpath","bot":true},"guilds":[],)"
                  R"("session_id":"sess-1","resume_gateway_url":"wss://us-east1-b.gateway.discord.gg","shard":[0,1]})");
}

json::object payload(const gateway_action& a) {
  REQUIRE(a.what == kind::send);
  return json::parse(a.payload()).as_object();
}

// A session plus its clock, with helpers that walk the usual paths.
struct harness {
  scripted_random random;
  gateway_session s{settings(), random};
  clock_type::time_point now = clock_type::time_point{} + 1000h;

  std::vector<gateway_action> connect_and_hello(int interval = 45000) {
    auto a = s.on_open(now);
    REQUIRE(a.empty());
    return s.on_message(hello(interval), now);
  }

  // start -> open -> hello -> identify -> READY
  void to_ready() {
    auto a = s.start(now);
    REQUIRE(a.size() == 1);
    REQUIRE(a[0].what == kind::connect);
    s.allow_identify(true);
    auto sent = connect_and_hello();
    REQUIRE(sent.size() == 1);
    REQUIRE(payload(sent[0]).at("op") == 2);
    auto r = s.on_message(ready_frame(), now);
    REQUIRE(s.ready());
  }

  std::vector<gateway_action> advance(clock_type::duration d) {
    now += d;
    return s.on_timer(now);
  }

  // Runs timers until `until`, answering each heartbeat with an ACK.
  int beat_with_acks(clock_type::time_point until) {
    int beats = 0;
    while (auto next = s.next_deadline()) {
      if (*next > until) break;
      now = std::max(now, *next);
      for (const auto& a : s.on_timer(now)) {
        if (a.what == kind::send && payload(a).at("op") == 1) {
          ++beats;
          (void)s.on_message(R"({"op":11})", now);
        }
      }
    }
    now = until;
    return beats;
  }
};

}  // namespace

TEST_CASE("gateway: connect, hello, identify, READY", "[discord][gateway]") {
  harness h;
  auto a = h.s.start(h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::connect);
  CHECK(a[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
  CHECK(a[0].delay == 0ms);
  CHECK_FALSE(h.s.next_deadline());  // nothing to time before the socket opens

  // Without a permit, Hello leads to a wait: the runner asks the identify gate.
  h.random.values->push_back(0.25);
  auto sent = h.connect_and_hello(41250);
  CHECK(sent.empty());
  CHECK(h.s.wants_identify());
  // Heartbeats run meanwhile; the permit makes the deadline due at once.
  h.s.allow_identify(true);
  CHECK_FALSE(h.s.wants_identify());
  REQUIRE(h.s.next_deadline());
  CHECK(*h.s.next_deadline() <= h.now);
  sent = h.s.on_timer(h.now);
  REQUIRE(sent.size() == 1);
  auto identify = payload(sent[0]);
  CHECK(identify.at("op") == 2);
  const auto& d = identify.at("d").as_object();
  CHECK(d.at("token") == "secret-token");
  CHECK(d.at("intents") == (1 << 0 | 1 << 12));
  CHECK(d.at("properties") == json::parse(R"({"os":"linux","browser":"mlpath","device":"mlpath"})"));
  CHECK(d.at("shard") == json::array{0, 1});
  CHECK(sent[0].payload().size() <= 4096);
  // The permit was used up.
  CHECK_FALSE(h.s.wants_identify());

  auto out = h.s.on_message(ready_frame(3), h.now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == kind::dispatch);
  CHECK(out[0].event == "READY");
  CHECK(json::parse(out[0].payload()).at("session_id") == "sess-1");
  CHECK(h.s.ready());
  CHECK(h.s.session_id() == "sess-1");
  CHECK(h.s.resume_url() == "wss://us-east1-b.gateway.discord.gg");
  CHECK(h.s.user_id() == "80351110224678912");
  CHECK(h.s.sequence() == 3);
}

TEST_CASE("gateway: heartbeats at interval x jitter, then every interval, with the last sequence", "[discord][gateway]") {
  harness h;
  h.s.start(h.now);
  h.s.allow_identify(true);
  h.random.values->push_back(0.25);
  h.connect_and_hello(40000);
  auto first = h.now + 10000ms;  // 40000 * 0.25
  REQUIRE(h.s.next_deadline());
  CHECK(*h.s.next_deadline() == first);
  CHECK(h.advance(9999ms).empty());
  auto a = h.advance(1ms);
  REQUIRE(a.size() == 1);
  auto beat = payload(a[0]);
  CHECK(beat.at("op") == 1);
  CHECK(beat.at("d").is_null());  // no dispatch yet
  CHECK(a[0].payload() == R"({"op":1,"d":null})");
  (void)h.s.on_message(R"({"op":11})", h.now);
  (void)h.s.on_message(ready_frame(5), h.now);
  (void)h.s.on_message(dispatch("GUILD_CREATE", 6, R"({"id":"1"})"), h.now);
  CHECK(*h.s.next_deadline() == first + 40000ms);
  a = h.advance(40000ms);
  REQUIRE(a.size() == 1);
  CHECK(a[0].payload() == R"({"op":1,"d":6})");
  // The fixture's full ACK frame works the same.
  (void)h.s.on_message(R"({"t":null,"s":null,"op":11,"d":null})", h.now);
  a = h.advance(40000ms);
  REQUIRE(a.size() == 1);
  CHECK(payload(a[0]).at("op") == 1);
  // An hour of steady beats with ACKs: one per interval, nothing else.
  (void)h.s.on_message(R"({"op":11})", h.now);
  CHECK(h.beat_with_acks(h.now + 3600s) == 90);
  CHECK(h.s.ready());
}

TEST_CASE("gateway: op 1 from Discord is answered at once, the schedule stays", "[discord][gateway]") {
  harness h;
  h.to_ready();
  auto next = h.s.next_deadline();
  auto a = h.s.on_message(R"({"op":1,"d":251})", h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].payload() == R"({"op":1,"d":1})");  // our last sequence, not Discord's d
  CHECK(h.s.next_deadline() == next);
  (void)h.s.on_message(R"({"op":11})", h.now);
  // A flood of requests cannot push us over 120 sends a minute.
  int sent = 0;
  for (int i = 0; i < 300; ++i) sent += static_cast<int>(h.s.on_message(R"({"op":1})", h.now).size());
  CHECK(sent < 120);
  CHECK(sent >= 100);
}

TEST_CASE("gateway: a missed ACK is a zombie: close 4000, resume on resume_gateway_url", "[discord][gateway]") {
  harness h;
  h.to_ready();
  (void)h.s.on_message(dispatch("MESSAGE_CREATE", 41, R"({"id":"m"})"), h.now);
  // First beat goes out, no ACK comes back.
  auto t = *h.s.next_deadline();
  auto a = h.advance(t - h.now);
  REQUIRE(a.size() == 1);
  CHECK(payload(a[0]).at("op") == 1);
  a = h.advance(45000ms);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::close);
  CHECK(a[0].code == 4000);
  CHECK(a[0].code != 1000);
  CHECK(a[0].code != 1001);
  CHECK_FALSE(h.s.ready());
  CHECK_FALSE(h.s.next_deadline());
  // Frames after our close are ignored.
  CHECK(h.s.on_message(dispatch("MESSAGE_CREATE", 42, "{}"), h.now).empty());

  h.random.values->push_back(0.2);
  a = h.s.on_closed(4000, h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::connect);
  CHECK(a[0].url == "wss://us-east1-b.gateway.discord.gg/?v=10&encoding=json");
  CHECK(a[0].delay == 200ms);  // a first reconnect waits under a second
  h.random.values->push_back(0.5);
  auto sent = h.connect_and_hello();
  REQUIRE(sent.size() == 1);
  auto resume = payload(sent[0]);
  CHECK(resume.at("op") == 6);
  CHECK(resume.at("d") == json::parse(R"({"token":"secret-token","session_id":"sess-1","seq":41})"));
  // Replayed events, then RESUMED.
  auto out = h.s.on_message(dispatch("MESSAGE_CREATE", 42, R"({"id":"late"})"), h.now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "MESSAGE_CREATE");
  CHECK(out[0].payload() == R"({"id":"late"})");
  out = h.s.on_message(R"({"t":"RESUMED","s":43,"op":0,"d":{}})", h.now);
  CHECK(h.s.ready());
  CHECK(h.s.sequence() == 43);
  CHECK(h.s.session_id() == "sess-1");
  CHECK(h.s.failed_resumes() == 0);
}

TEST_CASE("gateway: dispatch text is the raw d, byte for byte", "[discord][gateway]") {
  harness h;
  h.to_ready();
  std::string d = R"({ "content" : "caf\u00e9 \"quoted\" 1.50e2", "n": [1, 2 ,3] })";
  auto out = h.s.on_message(R"({"t":"MESSAGE_CREATE","s":2,"op":0,"d":)" + d + " \n , \"x\": 1}", h.now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload() == d);
  // d before t and s, like the envelope example; a scalar d.
  out = h.s.on_message(R"({"op":0,"d":{},"s":42,"t":"GATEWAY_EVENT_NAME"})", h.now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "GATEWAY_EVENT_NAME");
  CHECK(out[0].payload() == "{}");
  CHECK(h.s.sequence() == 42);
  out = h.s.on_message(R"({"op":0,"t":"X","s":43,"d":null})", h.now);
  CHECK(out[0].payload() == "null");
  // Garbage frames change nothing.
  for (std::string bad : {"", "{", "[]", "null", R"({"op":"0"})", R"({"op":0,"s":"44","t":"Y","d":{}})"}) {
    INFO(bad);
    auto r = h.s.on_message(bad, h.now);
    CHECK(h.s.sequence() == 43);
    for (const auto& x : r) CHECK(x.what == kind::dispatch);
  }
  CHECK(h.s.ready());
}

TEST_CASE("gateway: op 7 reconnects and resumes", "[discord][gateway]") {
  harness h;
  h.to_ready();
  auto a = h.s.on_message(R"({"op":7,"d":null})", h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::close);
  CHECK(a[0].code == 4000);
  a = h.s.on_closed(4000, h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].url.rfind("wss://us-east1-b.gateway.discord.gg/", 0) == 0);
  auto sent = h.connect_and_hello();
  REQUIRE(sent.size() == 1);
  CHECK(payload(sent[0]).at("op") == 6);
  // Even before Hello, op 7 means the same.
  a = h.s.on_closed(1006, h.now);
  REQUIRE(a[0].what == kind::connect);
  (void)h.s.on_open(h.now);
  a = h.s.on_message(R"({"op":7})", h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::close);
}

TEST_CASE("gateway: op 9 resumable resumes, not resumable waits 1-5 s and identifies", "[discord][gateway]") {
  SECTION("d = true") {
    harness h;
    h.to_ready();
    auto a = h.s.on_message(R"({"op":9,"d":true})", h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].what == kind::close);
    a = h.s.on_closed(4000, h.now);
    CHECK(a[0].url.rfind("wss://us-east1-b.gateway.discord.gg/", 0) == 0);
    auto sent = h.connect_and_hello();
    REQUIRE(sent.size() == 1);
    CHECK(payload(sent[0]).at("op") == 6);
  }
  SECTION("d = false") {
    harness h;
    h.to_ready();
    h.random.values->push_back(0.75);  // 1000 + 0.75 * 4000 = 4000 ms
    auto a = h.s.on_message(R"({"op":9,"d":false})", h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].what == kind::close);
    CHECK(h.s.session_id().empty());
    CHECK_FALSE(h.s.sequence());
    h.random.values->push_back(0.0);
    a = h.s.on_closed(4000, h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");  // not the resume URL
    CHECK(a[0].delay == 4000ms);
    auto sent = h.connect_and_hello();
    CHECK(sent.empty());  // a fresh session needs a new permit
    CHECK(h.s.wants_identify());
    h.s.allow_identify(true);
    sent = h.s.on_timer(h.now);
    REQUIRE(sent.size() == 1);
    CHECK(payload(sent[0]).at("op") == 2);
  }
  SECTION("the wait is never under a second or over five") {
    for (double r : {0.0, 0.999999}) {
      harness h;
      h.to_ready();
      h.random.values->push_back(r);
      (void)h.s.on_message(R"({"op":9,"d":false})", h.now);
      h.random.values->push_back(0.0);
      auto a = h.s.on_closed(4000, h.now);
      CHECK(a[0].delay >= 1000ms);
      CHECK(a[0].delay <= 5000ms);
    }
  }
}

TEST_CASE("gateway: close codes: fatal, re-identify or resume", "[discord][gateway]") {
  for (int code : {4004, 4010, 4011, 4012, 4013, 4014}) {
    INFO(code);
    harness h;
    h.to_ready();
    auto a = h.s.on_closed(code, h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].what == kind::fatal);
    CHECK(a[0].payload().find(std::to_string(code)) != std::string::npos);
    CHECK(a[0].payload().find("secret-token") == std::string::npos);
    CHECK(h.s.stopped());
    CHECK_FALSE(h.s.ready());
    // Nothing more happens.
    CHECK(h.s.on_closed(1006, h.now).empty());
    CHECK(h.s.on_timer(h.now + 1h).empty());
    CHECK_FALSE(h.s.next_deadline());
  }
  for (int code : {4003, 4005, 4007, 4009}) {
    INFO(code);
    harness h;
    h.to_ready();
    auto a = h.s.on_closed(code, h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].what == kind::connect);
    CHECK(a[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
    CHECK(h.s.session_id().empty());
    CHECK(h.connect_and_hello().empty());
    CHECK(h.s.wants_identify());
  }
  for (int code : {0, 1000, 1001, 1006, 1011, 4000, 4001, 4002, 4008, 4099, 4999}) {
    INFO(code);
    harness h;
    h.to_ready();
    auto a = h.s.on_closed(code, h.now);
    REQUIRE(a.size() == 1);
    CHECK(a[0].what == kind::connect);
    CHECK(a[0].url.rfind("wss://us-east1-b.gateway.discord.gg/", 0) == 0);
    if (code == 4008) CHECK(a[0].delay >= 5000ms);  // we sent too fast: slow down
    auto sent = h.connect_and_hello();
    REQUIRE(sent.size() == 1);
    CHECK(payload(sent[0]).at("op") == 6);
  }
}

TEST_CASE("gateway: resumes that keep failing fall back to identify, with backoff", "[discord][gateway]") {
  harness h;
  h.to_ready();
  std::vector<std::chrono::milliseconds> delays;
  auto a = h.s.on_closed(1006, h.now);
  delays.push_back(a[0].delay);
  for (int i = 0; i < 3; ++i) {
    auto sent = h.connect_and_hello();
    REQUIRE(sent.size() == 1);
    REQUIRE(payload(sent[0]).at("op") == 6);
    CHECK(h.s.failed_resumes() == i);
    a = h.s.on_closed(1006, h.now);  // dropped before RESUMED
    REQUIRE(a.size() == 1);
    delays.push_back(a[0].delay);
  }
  // Three failed resumes: the next connection identifies afresh, on the gateway URL.
  CHECK(a[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
  CHECK(h.s.session_id().empty());
  CHECK(h.connect_and_hello().empty());
  CHECK(h.s.wants_identify());
  // Identifies that fail keep backing off, capped at a minute; never a tight loop.
  for (int i = 0; i < 12; ++i) {
    h.s.allow_identify(true);
    auto sent = h.s.on_timer(h.now);
    REQUIRE(sent.size() == 1);
    REQUIRE(payload(sent[0]).at("op") == 2);
    a = h.s.on_closed(1006, h.now);
    delays.push_back(a[0].delay);
    CHECK(a[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
    (void)h.connect_and_hello();
  }
  // With random 0.5: 0.5 s, 0.75 s, 1.5 s, 3 s, 6 s, ... up to 45 s (60 s x 0.75).
  CHECK(delays[0] == 500ms);
  for (std::size_t i = 2; i < delays.size(); ++i) CHECK(delays[i] >= delays[i - 1]);
  CHECK(delays[3] >= 1500ms);
  CHECK(delays.back() == 45000ms);
  for (auto d : delays) CHECK(d <= 60000ms);
  // READY resets the backoff.
  h.s.allow_identify(true);
  (void)h.s.on_timer(h.now);
  (void)h.s.on_message(ready_frame(), h.now);
  CHECK(h.s.attempts() == 0);
  a = h.s.on_closed(1006, h.now);
  CHECK(a[0].delay == 500ms);
}

TEST_CASE("gateway: no Hello, no READY and failed connects are timed out and retried", "[discord][gateway]") {
  harness h;
  h.s.start(h.now);
  (void)h.s.on_open(h.now);
  REQUIRE(h.s.next_deadline());
  CHECK(*h.s.next_deadline() == h.now + gateway_session::hello_timeout);
  auto a = h.advance(gateway_session::hello_timeout);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::close);
  a = h.s.on_closed(4000, h.now);
  REQUIRE(a[0].what == kind::connect);
  // A connect that fails (no close frame) is retried with growing delays.
  auto d1 = h.s.on_closed(0, h.now)[0].delay;
  auto d2 = h.s.on_closed(0, h.now)[0].delay;
  auto d3 = h.s.on_closed(0, h.now)[0].delay;
  CHECK(d2 > d1);
  CHECK(d3 > d2);
  // Identify sent but READY never comes.
  h.s.allow_identify(true);
  (void)h.connect_and_hello();
  a = h.s.on_timer(h.now + gateway_session::ready_timeout + 1s);
  bool closed = false;
  for (const auto& x : a) closed = closed || x.what == kind::close;
  CHECK(closed);
}

TEST_CASE("gateway: stop closes with 1000, send_event respects the budget", "[discord][gateway]") {
  harness h;
  CHECK(h.s.send_event(R"({"op":3,"d":{}})", h.now).empty());  // not ready
  h.to_ready();
  auto a = h.s.send_event(R"({"op":3,"d":{"since":null,"activities":[],"status":"online","afk":false}})", h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::send);
  CHECK(h.s.send_event(std::string(5000, ' '), h.now).empty());  // over 4096 bytes
  int sent = 1;
  for (int i = 0; i < 200; ++i) sent += static_cast<int>(h.s.send_event(R"({"op":3,"d":{}})", h.now).size());
  CHECK(sent == 99);  // the Identify counts towards the 100 too
  // Heartbeats still fit.
  auto beats = h.advance(*h.s.next_deadline() - h.now);
  REQUIRE(beats.size() == 1);
  CHECK(payload(beats[0]).at("op") == 1);
  // A minute later the budget is back.
  CHECK(h.s.send_event(R"({"op":3,"d":{}})", h.now + 61s).size() == 1);
  a = h.s.stop(h.now);
  REQUIRE(a.size() == 1);
  CHECK(a[0].what == kind::close);
  CHECK(a[0].code == 1000);
  CHECK(h.s.stopped());
  CHECK(h.s.on_closed(1000, h.now).empty());
  CHECK(h.s.on_message(ready_frame(), h.now).empty());
}

TEST_CASE("gateway: bad settings are fatal at start", "[discord][gateway]") {
  scripted_random r;
  auto s = settings();
  s.gateway_url.clear();
  gateway_session a(s, r);
  auto out = a.start(clock_type::now());
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == kind::fatal);
  s = settings();
  s.shard_id = 2;
  s.shard_count = 2;
  gateway_session b(s, r);
  CHECK(b.start(clock_type::now())[0].what == kind::fatal);
  // A URL with a query or without a trailing slash is normalised.
  s = settings();
  s.gateway_url = "wss://gateway.discord.gg?v=6";
  gateway_session c(s, r);
  CHECK(c.start(clock_type::now())[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
  // A Hello without a usable interval is a broken connection.
  harness h;
  h.s.start(h.now);
  (void)h.s.on_open(h.now);
  auto x = h.s.on_message(R"({"op":10,"d":{"heartbeat_interval":0}})", h.now);
  REQUIRE(x.size() == 1);
  CHECK(x[0].what == kind::close);
  // A shard of many identifies as such.
  s = settings();
  s.shard_id = 3;
  s.shard_count = 8;
  gateway_session d(s, r);
  auto now = clock_type::now();
  (void)d.start(now);
  d.allow_identify(true);
  (void)d.on_open(now);
  auto sent = d.on_message(hello(), now);
  REQUIRE(sent.size() == 1);
  CHECK(json::parse(sent[0].payload()).at("d").at("shard") == json::array{3, 8});
}

// --- the identify gate --------------------------------------------------------------------

TEST_CASE("identify gate: one identify per 5 s per bucket", "[discord][gateway][identify]") {
  auto t0 = clock_type::time_point{} + 100h;
  identify_gate g({1000, 1000, 14400000ms, 2}, t0);
  CHECK(g.bucket_of(0) == 0);
  CHECK(g.bucket_of(1) == 1);
  CHECK(g.bucket_of(2) == 0);
  CHECK(g.bucket_of(5) == 1);
  CHECK(g.try_acquire(0, t0));
  CHECK(g.try_acquire(1, t0));  // another bucket: at once
  CHECK_FALSE(g.try_acquire(2, t0));  // same bucket as shard 0
  CHECK(g.next_allowed(2, t0) == t0 + 5s);
  CHECK_FALSE(g.try_acquire(2, t0 + 4999ms));
  CHECK(g.try_acquire(2, t0 + 5s));
  CHECK(g.next_allowed(0, t0 + 5s) == t0 + 10s);
  CHECK(g.remaining(t0 + 5s) == 997);
  // max_concurrency 1: every shard shares one bucket.
  identify_gate one({1000, 1000, 0ms, 1}, t0);
  CHECK(one.try_acquire(0, t0));
  CHECK_FALSE(one.try_acquire(1, t0));
  CHECK(one.next_allowed(1, t0) == t0 + 5s);
  // Nonsense concurrency is treated as 1.
  identify_gate zero({1000, 1000, 0ms, 0}, t0);
  CHECK(zero.bucket_of(7) == 0);
}

TEST_CASE("identify gate: the daily limit is never reached", "[discord][gateway][identify]") {
  auto t0 = clock_type::time_point{} + 100h;
  identify_gate g({1000, 2, 3600000ms, 1}, t0);
  CHECK(g.try_acquire(0, t0));
  CHECK(g.try_acquire(0, t0 + 5s));
  CHECK(g.remaining(t0 + 5s) == 0);
  // Exhausted: refused until the reset, whatever the bucket says.
  CHECK_FALSE(g.try_acquire(0, t0 + 10s));
  CHECK(g.next_allowed(0, t0 + 10s) == t0 + 1h);
  CHECK_FALSE(g.try_acquire(0, t0 + 1h - 1ms));
  CHECK(g.try_acquire(0, t0 + 1h));
  CHECK(g.remaining(t0 + 1h) == 999);
  // A refresh from GET /gateway/bot replaces the local count.
  g.refresh({1000, 0, 60000ms, 1}, t0 + 2h);
  CHECK(g.remaining(t0 + 2h) == 0);
  CHECK(g.next_allowed(0, t0 + 2h) == t0 + 2h + 1min);
  CHECK(g.try_acquire(0, t0 + 2h + 1min));
}

TEST_CASE("identify gate reads GET /gateway/bot", "[discord][gateway][identify]") {
  auto info = parse_gateway_bot(
      R"({"url":"wss://gateway.discord.gg/","shards":9,"session_start_limit":{"total":1000,"remaining":999,"reset_after":14400000,"max_concurrency":1}})");
  REQUIRE(info);
  CHECK(info->url == "wss://gateway.discord.gg/");
  CHECK(info->shards == 9);
  CHECK(info->limit.total == 1000);
  CHECK(info->limit.remaining == 999);
  CHECK(info->limit.reset_after == 14400000ms);
  CHECK(info->limit.max_concurrency == 1);
  CHECK(parse_gateway_bot(R"({"url":"wss://x"})")->limit.max_concurrency == 1);
  for (std::string bad : {"", "{}", "[]", R"({"url":5})", "{\"url\":\"wss://x\"", "<html>"}) {
    INFO(bad);
    CHECK_FALSE(parse_gateway_bot(bad));
  }
}

TEST_CASE("gateway: random event storms keep every invariant", "[discord][gateway]") {
  std::mt19937 rng(20240611);
  const std::vector<std::string> frames{hello(), hello(1000), R"({"op":11})", R"({"op":1,"d":null})", R"({"op":7,"d":null})",
                                        R"({"op":9,"d":true})", R"({"op":9,"d":false})", ready_frame(7),
                                        R"({"t":"RESUMED","s":9,"op":0,"d":{}})", dispatch("MESSAGE_CREATE", 12, R"({"id":"1"})"),
                                        R"({"op":10,"d":{"heartbeat_interval":-5}})", "garbage", R"({"op":42})"};
  const std::vector<int> codes{0, 1000, 1001, 1006, 4000, 4001, 4003, 4007, 4008, 4009, 4999, 4004, 4014};
  int stops_with_close = 0, fatals = 0;
  for (int run = 0; run < 200; ++run) {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double next_random = 0.5;
    gateway_session s(settings(), [&] { return next_random; });
    auto now = clock_type::time_point{} + 1000h;
    int permits = 0, identifies = 0;
    bool fatal = false, stopped = false, stopping = false;
    std::vector<clock_type::time_point> sends;  // this connection's
    auto check = [&](const std::vector<gateway_action>& actions) {
      for (const auto& a : actions) {
        REQUIRE_FALSE(stopped);
        if (fatal) FAIL("an action after fatal");
        switch (a.what) {
          case kind::send: {
            CHECK(a.payload().size() <= 4096);
            sends.push_back(now);
            auto in_window = std::count_if(sends.begin(), sends.end(), [&](auto t) { return t > now - 60s; });
            CHECK(in_window <= 120);
            auto p = json::parse(a.payload());
            if (p.at("op") == 2) ++identifies;
            break;
          }
          case kind::close: CHECK(a.code == (stopping ? 1000 : 4000)); break;
          case kind::connect:
            CHECK(a.delay <= 60s);
            CHECK(a.url.find("/?v=10&encoding=json") != std::string::npos);
            break;
          case kind::fatal: fatal = true; break;
          case kind::dispatch: break;
        }
      }
    };
    check(s.start(now));
    bool open = false;
    for (int step = 0; step < 400 && !fatal; ++step) {
      next_random = uniform(rng) * 0.999;
      switch (rng() % 6) {
        case 0:
          if (!open) {
            check(s.on_open(now));
            sends.clear();
            open = true;
          }
          break;
        case 1: check(s.on_message(frames[rng() % frames.size()], now)); break;
        case 2:
          // Odd runs never see a fatal code, so they run long and end with stop().
          check(s.on_closed(codes[rng() % (codes.size() - (run % 2 ? 2 : 0))], now));
          open = false;
          break;
        case 3:
          if (auto t = s.next_deadline()) now = std::max(now, *t);
          else now += std::chrono::milliseconds(rng() % 90000);
          check(s.on_timer(now));
          break;
        case 4:
          if (rng() % 3 == 0) {
            s.allow_identify(true);
            ++permits;
          }
          break;
        case 5: now += std::chrono::milliseconds(rng() % 5000); break;
      }
      CHECK(identifies <= permits);
    }
    if (!fatal) {
      stopping = true;
      auto last = s.stop(now);
      stops_with_close += static_cast<int>(last.size());
      check(last);
      stopped = true;
      CHECK(s.stopped());
      CHECK(s.on_message(ready_frame(), now).empty());
    }
    fatals += fatal;
  }
  // Both endings were exercised.
  CHECK(stops_with_close > 10);
  CHECK(fatals > 10);
}
