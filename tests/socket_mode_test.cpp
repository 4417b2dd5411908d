// Slack Socket Mode as a pure state machine, with a fake clock and a scripted random:
// the real frames of ../shared/fixtures/slack/socket_mode, acknowledgements, every
// disconnect reason, half-open sockets, the open's backoff and Retry-After, fatal errors.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <deque>
#include <memory>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/socket_mode.hpp"
#include "slack_support.hpp"

using namespace mlpath;
using namespace mlpath::slack;
using namespace std::chrono_literals;
namespace fx = mlpath::test::slack;
namespace json = boost::json;
using kind = socket_action::kind;
using clock_type = socket_mode_session::clock;

namespace {

struct scripted_random {
  std::shared_ptr<std::deque<double>> values = std::make_shared<std::deque<double>>();
  double operator()() const {
    if (values->empty()) return 0.999;
    double v = values->front();
    values->pop_front();
    return v;
  }
};

std::vector<socket_action> only(const std::vector<socket_action>& actions, kind k) {
  std::vector<socket_action> out;
  for (const auto& a : actions)
    if (a.what == k) out.push_back(a);
  return out;
}

bool has(const std::vector<socket_action>& actions, kind k) { return !only(actions, k).empty(); }

socket_open_result opened(std::string url = "wss://wss-primary.slack.com/link/?ticket=t1") {
  return {socket_open_result::kind::ok, std::move(url), "", 0ms};
}

const char* hello = R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-1"},"connection_info":{"app_id":"A111"}})";

std::string disconnect(const std::string& reason) {
  return R"({"type":"disconnect","reason":")" + reason + R"(","debug_info":{"host":"wss-111.slack.com"}})";
}

std::string envelope(const std::string& id, const std::string& event_id = "Ev1") {
  return R"({"envelope_id":")" + id + R"(","type":"events_api","accepts_response_payload":false,"retry_attempt":0,)"
         R"("retry_reason":"","payload":{"type":"event_callback","team_id":"T1","event_id":")" +
         event_id + R"(","event":{"type":"message","channel_type":"im","user":"U1","channel":"D1","text":"hi","ts":"1.2"}}})";
}

// A session driven to one live connection (id 1) at `t0`.
struct live_session {
  scripted_random random;
  socket_mode_session s{random};
  clock_type::time_point t0{};
  int connection = 0;

  live_session() {
    auto a = s.start(t0);
    REQUIRE(has(a, kind::open));
    a = s.on_open_result(opened(), t0);
    auto connects = only(a, kind::connect);
    REQUIRE(connects.size() == 1);
    connection = connects[0].connection;
    CHECK(connects[0].url == "wss://wss-primary.slack.com/link/?ticket=t1");
    s.on_connected(connection, t0);
    CHECK_FALSE(s.ready());
    s.on_message(connection, hello, t0);
    REQUIRE(s.ready());
  }
};

}  // namespace

TEST_CASE("socket mode: the real frames parse: hello, disconnect and every envelope type", "[socket_mode]") {
  MLPATH_REQUIRE_SLACK_FIXTURES();
  auto frame = [](const std::string& name) {
    auto r = parse_socket_frame(fx::fixture("socket_mode/" + name));
    if (auto* e = std::get_if<std::string>(&r)) FAIL(name << ": " << *e);
    return std::get<socket_frame>(r);
  };
  CHECK(frame("hello.json").what == socket_frame::kind::hello);
  auto d = frame("disconnect_too_many_websockets.json");
  CHECK(d.what == socket_frame::kind::disconnect);
  CHECK(d.reason == "too_many_websockets");

  auto ev = frame("envelope_events_api_message.json");
  CHECK(ev.what == socket_frame::kind::envelope);
  CHECK(ev.type == "events_api");
  CHECK(ev.envelope_id == "ac2cfd40-6f8c-4d5e-a1ad-646e532baa19");
  CHECK_FALSE(ev.accepts_response_payload);
  // The payload is the Events API body, read by the same parser as over HTTP.
  auto in = fx::parse_ok(fx::json_type, ev.payload);
  CHECK(in.kind == inbound_kind::event_callback);
  CHECK(in.event_id == "Ev111");
  CHECK(in.event_type == "message");
  CHECK(in.team_id == "T111");

  auto mention = fx::parse_ok(fx::json_type, frame("envelope_events_api_app_mention.json").payload);
  CHECK(mention.event_type == "app_mention");

  auto cmd = frame("envelope_slash_commands.json");
  CHECK(cmd.type == "slash_commands");
  CHECK(cmd.accepts_response_payload);
  auto cin = fx::parse_ok(fx::json_type, cmd.payload);
  CHECK(cin.kind == inbound_kind::slash_command);
  CHECK(cin.command == "/hello-socket-mode");
  CHECK(cin.user == "U111");
  CHECK(cin.channel == "C111");
  CHECK(cin.trigger_id == "111.222.xxx");

  auto shortcut = frame("envelope_interactive_shortcut.json");
  CHECK(shortcut.type == "interactive");
  CHECK(fx::parse_ok(fx::json_type, shortcut.payload).kind == inbound_kind::unsupported);
}

TEST_CASE("socket mode: bad frames are errors, never exceptions", "[socket_mode]") {
  for (std::string bad : std::vector<std::string>{"", "{", "[]", "\"hello\"", R"({"type":"events_api","payload":{}})",
                          R"({"type":"hello"} trailing)", std::string(2 << 20, ' ')}) {
    auto r = parse_socket_frame(bad);
    CHECK(std::holds_alternative<std::string>(r));
  }
  // An envelope of a type we do not know is still an envelope: it is acknowledged.
  auto r = parse_socket_frame(R"({"type":"something_new","envelope_id":"e9"})");
  REQUIRE(std::holds_alternative<socket_frame>(r));
  CHECK(std::get<socket_frame>(r).what == socket_frame::kind::envelope);
  CHECK(std::get<socket_frame>(r).payload == "{}");
}

TEST_CASE("socket mode: acknowledgements carry the envelope id and, where accepted, a payload", "[socket_mode]") {
  auto plain = json::parse(socket_ack("e-1"));
  CHECK(plain.as_object().size() == 1);
  CHECK(plain.at("envelope_id") == "e-1");
  auto with = json::parse(socket_ack("e\"2", R"({"response_type":"ephemeral","text":"On it."})"));
  CHECK(with.at("envelope_id") == "e\"2");
  CHECK(with.at("payload").at("text") == "On it.");
}

TEST_CASE("socket mode: hello makes it ready, envelopes go to the ingress and are acknowledged on their connection",
          "[socket_mode]") {
  live_session l;
  auto a = l.s.on_message(l.connection, envelope("env-1"), l.t0 + 1s);
  auto envs = only(a, kind::envelope);
  REQUIRE(envs.size() == 1);
  CHECK(envs[0].connection == l.connection);
  CHECK(envs[0].frame.envelope_id == "env-1");
  auto acks = l.s.ack(l.connection, "env-1", "");
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].what == kind::send);
  CHECK(json::parse(acks[0].text).at("envelope_id") == "env-1");
  // A connection that is gone cannot acknowledge: Slack redelivers elsewhere.
  CHECK(l.s.ack(99, "env-1", "").empty());
}

TEST_CASE("socket mode: a ping every 30 s, a pong keeps the socket, silence after a ping reconnects", "[socket_mode]") {
  live_session l;
  REQUIRE(l.s.next_deadline() == l.t0 + 30s);
  auto a = l.s.on_timer(l.t0 + 30s);
  REQUIRE(only(a, kind::ping).size() == 1);
  CHECK(l.s.next_deadline() == l.t0 + 40s);
  l.s.on_control_frame(l.connection, l.t0 + 31s);  // the pong
  CHECK(l.s.on_timer(l.t0 + 40s).empty());
  CHECK(l.s.next_deadline() == l.t0 + 60s);

  a = l.s.on_timer(l.t0 + 60s);
  REQUIRE(has(a, kind::ping));
  // Nothing for 10 s after the ping: half-open. Close it and open a new one at once.
  a = l.s.on_timer(l.t0 + 70s);
  auto closes = only(a, kind::close);
  REQUIRE(closes.size() == 1);
  CHECK(closes[0].connection == l.connection);
  CHECK(has(a, kind::log));
  CHECK(l.s.failures() == 1);  // counted, but the connection had been stable: the backoff starts over
  auto next = l.s.next_deadline();
  REQUIRE(next);
  CHECK(*next <= l.t0 + 71s);  // within the first backoff step
  REQUIRE(has(l.s.on_timer(*next), kind::open));
  a = l.s.on_open_result(opened("wss://wss-2.slack.com/link"), l.t0 + 71s);
  auto connects = only(a, kind::connect);
  REQUIRE(connects.size() == 1);
  int second = connects[0].connection;
  CHECK(second != l.connection);
  CHECK(l.s.on_closed(l.connection, l.t0 + 72s).empty());  // the replacement is on its way
  l.s.on_connected(second, l.t0 + 72s);
  l.s.on_message(second, hello, l.t0 + 72s);
  CHECK(l.s.ready());
}

TEST_CASE("socket mode: any frame after a ping proves the socket alive", "[socket_mode]") {
  live_session l;
  l.s.on_timer(l.t0 + 30s);
  l.s.on_message(l.connection, envelope("env-9"), l.t0 + 35s);
  CHECK_FALSE(has(l.s.on_timer(l.t0 + 40s), kind::close));
}

TEST_CASE("socket mode: warning, refresh_requested and too_many_websockets: the new hello before the old close",
          "[socket_mode]") {
  for (std::string reason : {"warning", "refresh_requested", "too_many_websockets"}) {
    CAPTURE(reason);
    live_session l;
    auto a = l.s.on_message(l.connection, disconnect(reason), l.t0 + 5s);
    REQUIRE(has(a, kind::open));
    CHECK_FALSE(has(a, kind::close));
    CHECK(l.s.ready());
    CHECK(l.s.failures() == 0);

    a = l.s.on_open_result(opened("wss://wss-3.slack.com/link"), l.t0 + 5s);
    int fresh = only(a, kind::connect).at(0).connection;
    l.s.on_connected(fresh, l.t0 + 6s);
    // Between the disconnect and the new hello the old connection still delivers and
    // acknowledges: nothing is lost.
    a = l.s.on_message(l.connection, envelope("env-between"), l.t0 + 6s);
    REQUIRE(only(a, kind::envelope).size() == 1);
    CHECK(l.s.ack(l.connection, "env-between", "").size() == 1);
    CHECK(l.s.connections() == 2);

    a = l.s.on_message(fresh, hello, l.t0 + 7s);
    auto closes = only(a, kind::close);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].connection == l.connection);
    CHECK(l.s.ready());
    // The old one's acknowledgement can no longer go out; Slack redelivers on the new one.
    CHECK(l.s.ack(l.connection, "env-late", "").empty());
    CHECK(l.s.on_closed(l.connection, l.t0 + 8s).empty());
    CHECK(l.s.connections() == 1);
    CHECK(l.s.ack(fresh, "env-late", "").size() == 1);
  }
}

TEST_CASE("socket mode: the old connection closing before the new hello opens nothing more", "[socket_mode]") {
  live_session l;
  l.s.on_message(l.connection, disconnect("refresh_requested"), l.t0 + 1s);
  auto a = l.s.on_open_result(opened(), l.t0 + 1s);
  int fresh = only(a, kind::connect).at(0).connection;
  CHECK(l.s.on_closed(l.connection, l.t0 + 2s).empty());
  CHECK_FALSE(l.s.ready());
  l.s.on_connected(fresh, l.t0 + 2s);
  l.s.on_message(fresh, hello, l.t0 + 3s);
  CHECK(l.s.ready());
}

TEST_CASE("socket mode: a failed replacement is retried while the old connection still serves", "[socket_mode]") {
  live_session l;
  l.s.on_message(l.connection, disconnect("warning"), l.t0 + 1s);
  auto a = l.s.on_open_result(opened(), l.t0 + 1s);
  int fresh = only(a, kind::connect).at(0).connection;
  a = l.s.on_closed(fresh, l.t0 + 2s);  // the new socket failed to connect
  CHECK(l.s.ready());                   // the draining one still works
  auto deadline = l.s.next_deadline();
  REQUIRE(deadline);
  CHECK(*deadline <= l.t0 + 3s);  // the first retry after at most 1 s
  a = l.s.on_timer(*deadline);
  CHECK(has(a, kind::open));
}

TEST_CASE("socket mode: link_disabled stops Socket Mode with one line", "[socket_mode]") {
  live_session l;
  auto a = l.s.on_message(l.connection, disconnect("link_disabled"), l.t0 + 1s);
  auto fatal = only(a, kind::fatal);
  REQUIRE(fatal.size() == 1);
  CHECK(fatal[0].text.find("link_disabled") != std::string::npos);
  CHECK(fatal[0].text.find('\n') == std::string::npos);
  CHECK(has(a, kind::close));
  CHECK(l.s.failed());
  CHECK_FALSE(l.s.ready());
  CHECK(l.s.on_closed(l.connection, l.t0 + 2s).empty());
  CHECK_FALSE(l.s.next_deadline());
}

TEST_CASE("socket mode: fatal open errors stop, transient ones back off 1 s doubling to 30 s with full jitter",
          "[socket_mode]") {
  for (std::string error : {"invalid_auth", "not_authed", "account_inactive"}) {
    CHECK(is_fatal_open_error(error));
    scripted_random random;
    socket_mode_session s(random);
    s.start({});
    auto a = s.on_open_result({socket_open_result::kind::fatal, "", error, 0ms}, {});
    REQUIRE(only(a, kind::fatal).size() == 1);
    CHECK(only(a, kind::fatal)[0].text.find(error) != std::string::npos);
    CHECK(only(a, kind::fatal)[0].text.find("xapp-1") == std::string::npos);
    CHECK(s.failed());
  }
  CHECK_FALSE(is_fatal_open_error("internal_error"));

  scripted_random random;  // 0.999: the whole window each time
  socket_mode_session s(random);
  clock_type::time_point t{};
  s.start(t);
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 7; ++i) {
    s.on_open_result({socket_open_result::kind::transient, "", "connection refused", 0ms}, t);
    auto next = s.next_deadline();
    REQUIRE(next);
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*next - t));
    t = *next;
    REQUIRE(has(s.on_timer(t), kind::open));
  }
  CHECK(waits[0] == 999ms);
  CHECK(waits[1] == 1998ms);
  CHECK(waits[2] == 3996ms);
  CHECK(waits[4] == 15984ms);
  CHECK(waits[5] == 29970ms);  // capped at 30 s
  CHECK(waits[6] == 29970ms);

  // Full jitter: a draw of 0 retries at once.
  random.values->push_back(0.0);
  s.on_open_result({socket_open_result::kind::transient, "", "timeout", 0ms}, t);
  CHECK(s.next_deadline() == t);
}

TEST_CASE("socket mode: a rate-limited open waits at least its Retry-After", "[socket_mode]") {
  scripted_random random;
  random.values->push_back(0.0);
  socket_mode_session s(random);
  s.start({});
  auto a = s.on_open_result({socket_open_result::kind::rate_limited, "", "ratelimited", 7s}, {});
  CHECK(has(a, kind::log));
  CHECK(s.next_deadline() == clock_type::time_point{} + 7s);
  CHECK(s.on_timer(clock_type::time_point{} + 6s).empty());
  CHECK(has(s.on_timer(clock_type::time_point{} + 7s), kind::open));
  a = s.on_open_result(opened(), clock_type::time_point{} + 8s);
  CHECK(has(a, kind::connect));
}

TEST_CASE("socket mode: the backoff resets after 60 s connected, not before", "[socket_mode]") {
  live_session l;
  // Closed after 10 s: a failure.
  auto a = l.s.on_closed(l.connection, l.t0 + 10s);
  CHECK(l.s.failures() == 1);
  auto next = l.s.next_deadline();
  REQUIRE(next);
  a = l.s.on_timer(*next);
  REQUIRE(has(a, kind::open));
  a = l.s.on_open_result(opened(), *next);
  int second = only(a, kind::connect).at(0).connection;
  l.s.on_connected(second, *next);
  l.s.on_message(second, hello, *next);
  // Closed after 61 s of service: the backoff starts over.
  l.s.on_closed(second, *next + 61s);
  CHECK(l.s.failures() == 1);
}

TEST_CASE("socket mode: no hello within 30 s closes the socket and tries again", "[socket_mode]") {
  scripted_random random;
  socket_mode_session s(random);
  s.start({});
  auto a = s.on_open_result(opened(), {});
  int id = only(a, kind::connect).at(0).connection;
  s.on_connected(id, {});
  CHECK(s.next_deadline() == clock_type::time_point{} + 30s);
  a = s.on_timer(clock_type::time_point{} + 30s);
  CHECK(only(a, kind::close).size() == 1);
  CHECK(s.failures() == 1);
  CHECK_FALSE(s.ready());
}

TEST_CASE("socket mode: stop closes every connection and schedules nothing", "[socket_mode]") {
  live_session l;
  auto a = l.s.stop(l.t0 + 1s);
  CHECK(only(a, kind::close).size() == 1);
  CHECK(l.s.on_closed(l.connection, l.t0 + 2s).empty());
  CHECK_FALSE(l.s.next_deadline());
  CHECK(l.s.on_message(l.connection, envelope("x"), l.t0 + 2s).empty());
}
