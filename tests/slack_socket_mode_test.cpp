// Slack Socket Mode over real websockets: the runner (bot/slack/socket_mode) against a fake
// Socket Mode server on 127.0.0.1:0 (hello, envelopes, redelivery, each disconnect reason,
// a silent half-open socket, an open answered 429 then ok, invalid_auth, link_disabled),
// and the whole service (`mlpath serve` with an app token and no signing secret).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/slack/socket_mode.hpp"
#include "bot/slack/web_client.hpp"
#include "fake_slack.hpp"
#include "fake_socket_mode.hpp"
#include "loop_support.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::fake_slack;
using mlpath::test::fake_socket_mode;
using mlpath::test::run_until;
using mlpath::test::scripted;
using mlpath::test::socket_envelope;
namespace json = boost::json;

namespace {

std::string event_payload(const std::string& event_id, const std::string& text = "hi") {
  return json::serialize(json::object{
      {"type", "event_callback"},
      {"team_id", "T0TEST"},
      {"event_id", event_id},
      {"event", json::object{{"type", "message"}, {"channel_type", "im"}, {"channel", "D0TEST"}, {"user", "U1"},
                             {"text", text}, {"ts", "1700000000.000100"}}}});
}

// The runner on the test's thread, with short timings, collecting envelopes; each one is
// acknowledged at once unless `hold` is set.
struct runner_rig {
  fake_slack fake;
  fake_socket_mode server;
  net::event_loop loop;
  metrics m;
  net::http_client http{loop};
  slack_web_client api{loop, http, fake.api_url(), m, client_options()};
  std::vector<std::pair<int, slack::socket_frame>> envelopes;
  bool hold = false;
  std::unique_ptr<slack_socket_mode> socket;

  static slack_web_client::options client_options() {
    slack_web_client::options o;
    o.timeout = 2s;
    o.backoff = {10ms, 50ms};
    o.max_attempts = 1;  // the session decides about retries
    return o;
  }

  explicit runner_rig(slack::socket_mode_session::timings t = fast()) {
    describe_families(m);
    fake.socket_mode_urls([this] { return server.url(); });
    socket = std::make_unique<slack_socket_mode>(loop, api, m, "xapp-1-test-app-token", "",
                                                 [this](int c, slack::socket_frame f) {
                                                   std::string id = f.envelope_id;
                                                   envelopes.emplace_back(c, std::move(f));
                                                   if (!hold) socket->ack(c, id, "");
                                                 },
                                                 t);
  }

  static slack::socket_mode_session::timings fast() {
    slack::socket_mode_session::timings t;
    t.first_backoff = 20ms;
    t.max_backoff = 200ms;
    t.ping_interval = 300ms;
    t.pong_timeout = 300ms;
    t.hello_timeout = 2s;
    return t;
  }

  std::size_t opens() const { return fake.calls("apps.connections.open").size(); }
  std::size_t open_connections() const {
    std::size_t n = 0;
    for (const auto& c : server.connections()) n += c.open;
    return n;
  }
  fake_socket_mode::connection_id latest() const { return server.connections().back().id; }
  double metric(const std::string& event) const {
    return m.counter_value("mlpath_socket_mode_connections_total", "event=\"" + event + "\"");
  }
};

}  // namespace

TEST_CASE("socket mode: connects with the app token, says ready on hello, acknowledges every envelope type",
          "[slack][socket_mode][net]") {
  MLPATH_REQUIRE_FIXTURES("slack");
  runner_rig rig;
  rig.socket->start();
  REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }));
  auto open = rig.fake.calls("apps.connections.open");
  REQUIRE(open.size() == 1);
  CHECK(open[0].auth == "Bearer xapp-1-test-app-token");
  auto conn = rig.latest();
  CHECK(rig.server.connections().back().target.find("ticket=1") != std::string::npos);

  namespace fx = mlpath::test;
  for (const char* name : {"envelope_events_api_message.json", "envelope_events_api_app_mention.json",
                           "envelope_slash_commands.json", "envelope_interactive_shortcut.json"}) {
    INFO(name);
    std::string frame = fx::read_text(fx::shared_fixtures("slack") / "socket_mode" / name);
    auto id = std::string(json::parse(frame).at("envelope_id").as_string());
    rig.server.send(conn, frame);
    REQUIRE(run_until(rig.loop, [&] { return rig.server.acks_of(id) == 1; }));
  }
  REQUIRE(rig.envelopes.size() == 4);
  CHECK(rig.envelopes[2].second.type == "slash_commands");
  CHECK(rig.envelopes[2].second.accepts_response_payload);
  CHECK(rig.metric("hello") == 1);
}

TEST_CASE("socket mode: disconnect (warning, refresh_requested, too_many_websockets): the new hello before the old "
          "close, and the old connection still delivers in between",
          "[slack][socket_mode][net]") {
  for (std::string reason : {"warning", "refresh_requested", "too_many_websockets"}) {
    CAPTURE(reason);
    runner_rig rig;
    rig.socket->start();
    REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }));
    auto first = rig.latest();
    rig.server.auto_hello(false);  // the replacement waits for our hello
    rig.server.disconnect(first, reason);
    REQUIRE(run_until(rig.loop, [&] { return rig.server.connections().size() == 2; }));
    auto second = rig.latest();
    CHECK(rig.opens() == 2);
    // Between the disconnect and the new hello: the old connection is still open, still ready,
    // and an envelope on it is delivered and acknowledged there.
    CHECK(rig.server.connections().front().open);
    CHECK(rig.socket->ready());
    rig.server.send(first, socket_envelope("env-between", "events_api", event_payload("Ev-between")));
    REQUIRE(run_until(rig.loop, [&] { return rig.server.acks_of("env-between") == 1; }));
    CHECK(*rig.server.wait_ack("env-between", 1s) == first);
    CHECK(rig.server.connections().front().open);
    // The new hello: now the old one is closed, by us, normally.
    rig.server.hello(second);
    REQUIRE(run_until(rig.loop, [&] { return !rig.server.connections().front().open; }));
    CHECK(rig.server.connections().front().close_code == 1000);
    CHECK(rig.server.connections().back().open);
    rig.server.send(second, socket_envelope("env-after", "events_api", event_payload("Ev-after")));
    REQUIRE(run_until(rig.loop, [&] { return rig.server.acks_of("env-after") == 1; }));
    CHECK(rig.socket->ready());
    CHECK(rig.metric("disconnect") == 1);
  }
}

TEST_CASE("socket mode: an envelope not acknowledged before its connection closed is redelivered and acknowledged once",
          "[slack][socket_mode][net]") {
  runner_rig rig;
  rig.socket->start();
  REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }));
  rig.hold = true;  // stored, not yet acknowledged
  auto first = rig.latest();
  rig.server.send(first, socket_envelope("env-held", "events_api", event_payload("Ev-held")));
  REQUIRE(run_until(rig.loop, [&] { return rig.envelopes.size() == 1; }));
  rig.server.close(first, 1001);
  REQUIRE(run_until(rig.loop, [&] { return rig.server.connections().size() == 2 && rig.socket->ready(); }));
  // The late acknowledgement has nowhere to go; Slack redelivers on the new connection.
  rig.socket->ack(rig.envelopes[0].first, "env-held", "");
  rig.hold = false;
  rig.server.send(rig.latest(), socket_envelope("env-held", "events_api", event_payload("Ev-held"), false, 1));
  REQUIRE(run_until(rig.loop, [&] { return rig.server.acks_of("env-held") == 1; }));
  CHECK(rig.server.wait_ack("env-held", 1s) == rig.latest());
}

TEST_CASE("socket mode: a silent half-open socket is noticed by the ping watchdog and replaced",
          "[slack][socket_mode][net]") {
  runner_rig rig;
  rig.socket->start();
  REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }));
  // Pongs come back while the peer reads: no reconnect for a while.
  auto first = rig.latest();
  rig.loop.after(1s, [&] { rig.loop.stop(); });
  rig.loop.run();
  CHECK(rig.server.connections().size() == 1);
  rig.server.silence(first);
  REQUIRE(run_until(rig.loop, [&] { return rig.server.connections().size() == 2 && rig.socket->ready(); }, 5s));
  CHECK(rig.metric("half_open") == 1);
  rig.server.send(rig.latest(), socket_envelope("env-new", "events_api", event_payload("Ev-new")));
  REQUIRE(run_until(rig.loop, [&] { return rig.server.acks_of("env-new") == 1; }));
}

TEST_CASE("socket mode: an open answered 429 waits its Retry-After, then connects", "[slack][socket_mode][net]") {
  runner_rig rig;
  scripted limited;
  limited.status = 429;
  limited.body = R"({"ok":false,"error":"ratelimited"})";
  limited.headers = {{"Retry-After", "1"}};
  rig.fake.script("apps.connections.open", limited);
  auto started = std::chrono::steady_clock::now();
  rig.socket->start();
  REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }, 5s));
  auto opens = rig.fake.calls("apps.connections.open");
  REQUIRE(opens.size() == 1);  // the refused one is recorded as "!apps.connections.open"
  CHECK(opens[0].at - started >= 1s);
  CHECK(rig.metric("rate_limited") == 1);
}

TEST_CASE("socket mode: invalid_auth and link_disabled stop Socket Mode with one line, not ready",
          "[slack][socket_mode][net]") {
  SECTION("invalid_auth") {
    runner_rig rig;
    rig.fake.socket_mode_urls({});  // the fake answers invalid_auth
    rig.socket->start();
    REQUIRE(run_until(rig.loop, [&] { return rig.socket->failed(); }));
    CHECK(rig.socket->failure().find("invalid_auth") != std::string::npos);
    CHECK(rig.socket->failure().find("xapp-1-test") == std::string::npos);
    CHECK_FALSE(rig.socket->ready());
    rig.loop.after(300ms, [&] { rig.loop.stop(); });
    rig.loop.run();
    CHECK(rig.fake.calls().size() == 1);  // answered ok:false invalid_auth: never tried again
  }
  SECTION("link_disabled") {
    runner_rig rig;
    rig.socket->start();
    REQUIRE(run_until(rig.loop, [&] { return rig.socket->ready(); }));
    rig.server.disconnect(rig.latest(), "link_disabled");
    REQUIRE(run_until(rig.loop, [&] { return rig.socket->failed(); }));
    CHECK(rig.socket->failure().find("link_disabled") != std::string::npos);
    REQUIRE(run_until(rig.loop, [&] { return rig.open_connections() == 0; }));
    rig.loop.after(300ms, [&] { rig.loop.stop(); });
    rig.loop.run();
    CHECK(rig.opens() == 1);
    CHECK_FALSE(rig.socket->ready());
  }
}

// --- the whole service -------------------------------------------------------------

namespace {

struct socket_serve : mlpath::test::serve_process {
  socket_serve(const mlpath::test::temp_dir& dir, fake_slack& fake)
      : mlpath::test::serve_process({"MLPATH_DB=" + dir.file("socket.db"), "MLPATH_LISTEN=127.0.0.1:0",
                                     "SLACK_APP_TOKEN=xapp-1-A0TEST-1-secretsecret", "SLACK_BOT_TOKEN=xoxb-test-token",
                                     "SLACK_API_URL=" + fake.api_url(), "MLPATH_LOG_LEVEL=warn"}) {}
};

std::size_t posts_asking(const std::vector<mlpath::test::recorded_call>& calls, const std::string& question) {
  std::size_t n = 0;
  for (const auto& c : calls) n += c.method == "chat.postMessage" && c.body.find("q:" + question) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("slack over Socket Mode: the reflection with no public URL, redeliveries answered once, /slack/events is 404",
          "[slack][socket_mode][e2e]") {
  mlpath::test::temp_dir dir;
  fake_slack fake;
  fake_socket_mode server;
  fake.socket_mode_urls([&] { return server.url(); });
  socket_serve s(dir, fake);
  REQUIRE(server.wait_for([](const auto& conns) { return !conns.empty(); }));
  auto conn = server.connections().front().id;

  // Ready once auth.test passed and the connection said hello.
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    net::client_request r;
    r.method = "GET";
    r.url = s.url("/readyz");
    ready = fake.request(r).status == 200;
    if (!ready) std::this_thread::sleep_for(20ms);
  }
  CHECK(ready);
  {
    net::client_request r;
    r.method = "POST";
    r.url = s.url("/slack/events");
    r.headers = {{"Content-Type", "application/json"}};
    r.body = event_payload("Ev-http");
    CHECK(fake.request(r).status == 404);  // no signing secret: no HTTP ingress
  }

  server.send(conn, socket_envelope("env-1", "events_api", event_payload("Ev-1")));
  REQUIRE(server.wait_ack("env-1"));
  REQUIRE(fake.wait_for([](const auto& c) { return posts_asking(c, "motivation") == 1; }));

  // Slack redelivers (a new envelope id, the same event): acknowledged, not answered again.
  server.send(conn, socket_envelope("env-1-retry", "events_api", event_payload("Ev-1"), false, 1));
  REQUIRE(server.wait_ack("env-1-retry"));

  // A typed answer moves on.
  server.send(conn, socket_envelope("env-2", "events_api", event_payload("Ev-2", "1")));
  REQUIRE(server.wait_ack("env-2"));
  REQUIRE(fake.wait_for([](const auto& c) { return posts_asking(c, "ideal_day") == 1; }));
  CHECK(posts_asking(fake.calls(), "motivation") == 1);

  // A slash command's acknowledgement carries the response payload.
  json::object cmd{{"team_id", "T0TEST"}, {"channel_id", "C1"}, {"user_id", "U1"}, {"command", "/mlpath"},
                   {"text", "status"}, {"trigger_id", "trig-s"}, {"response_url", "https://hooks.slack.com/x"}};
  server.send(conn, socket_envelope("env-cmd", "slash_commands", json::serialize(cmd), true));
  REQUIRE(server.wait_ack("env-cmd"));
  auto ack = json::parse(*server.ack_of("env-cmd"));
  CHECK(ack.at("payload").at("response_type") == "ephemeral");
  CHECK(!ack.at("payload").at("text").as_string().empty());

  // A button press arrives as an interactive envelope.
  auto ideal = fake.calls("chat.postMessage").back();
  json::object press = json::parse(mlpath::test::slack_button_press_json("U1", "q:ideal_day:ship_models:r1",
                                                                         ideal.response_ts, "trig-b"))
                           .as_object();
  server.send(conn, socket_envelope("env-press", "interactive", json::serialize(press)));
  REQUIRE(server.wait_ack("env-press"));
  REQUIRE(fake.wait_for([](const auto& c) { return posts_asking(c, "subfields") == 1; }));

  // Shared cards and stats: the card in the channel through the acknowledgement.
  cmd["text"] = "share";
  server.send(conn, socket_envelope("env-share", "slash_commands", json::serialize(cmd), true));
  REQUIRE(server.wait_ack("env-share"));
  auto share = json::parse(*server.ack_of("env-share"));
  CHECK(share.at("payload").at("response_type") == "in_channel");
  CHECK(json::serialize(share).find("cmd:start") != std::string::npos);
  for (const auto& c : fake.calls("chat.postMessage")) CHECK(c.auth == "Bearer xoxb-test-token");
}
