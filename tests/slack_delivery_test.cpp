// Slack delivery under faults: the real outbox dispatcher, Slack sender, Web API client
// and SQLite store against the fake Web API on 127.0.0.1:0, which answers with resets,
// truncated bodies, timeouts, 5xx and 429 — before or after it has acted on the call.
// Every reply must end up in the channel exactly once.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include <boost/json.hpp>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/http_server.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/outbox/message.hpp"
#include "bot/slack/sender.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"
#include "fake_slack.hpp"
#include "loop_support.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::fake_slack;
using mlpath::test::run_until;
using mlpath::test::scripted;
namespace json = boost::json;
using fault = net::http_response::fault;

namespace {

dialogs::timestamp wall_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

struct delivery_rig {
  mlpath::test::temp_dir dir;
  std::unique_ptr<storage::store> store = storage::open_sqlite_store({dir.file("d.db")});
  fake_slack fake;
  net::event_loop loop;
  metrics m;
  net::http_client http{loop};
  slack_web_client api{loop, http, fake.api_url(), m, client_options()};
  slack_workspaces workspaces{loop, *store, api, "xoxb-test", wall_now};
  slack_sender sender{*store, api, workspaces, m};
  outbox_dispatcher outbox{loop, *store, m, wall_now, dispatcher_options()};

  static slack_web_client::options client_options() {
    slack_web_client::options o;
    o.timeout = 300ms;
    o.backoff = {10ms, 50ms};
    return o;
  }
  static outbox_dispatcher::options dispatcher_options() {
    outbox_dispatcher::options o;
    o.sweep_every = 5ms;
    o.backoff = {std::chrono::seconds(1), std::chrono::seconds(1)};
    return o;
  }

  delivery_rig() {
    describe_families(m);
    outbox.set_sender([this](const storage::outbox_message& r, const slack::outbound& w, send_done d) {
      sender.send(r, w, std::move(d));
    });
    bool ready = false;
    workspaces.start([&] { ready = true; });
    REQUIRE(run_until(loop, [&] { return ready; }));
  }

  // A reply to post in `channel`; returns its outbox id.
  std::int64_t add_post(const std::string& channel, const std::string& text) {
    outbox::message msg{slack::outbound{slack::post_message{channel, "", json::object{{"text", text}}}}};
    store->outbox_add(outbox::to_record(msg, 0, "T0TEST", wall_now()));
    return store->outbox_pending(0, 1000).back().id;
  }

  bool sent(std::int64_t id) {
    SQLite::Database db(dir.file("d.db"));
    return !db.execAndGet("SELECT sent_at FROM outbox WHERE id = " + std::to_string(id)).isNull();
  }
  int in_doubt(std::int64_t id) {
    SQLite::Database db(dir.file("d.db"));
    return db.execAndGet("SELECT in_doubt FROM outbox WHERE id = " + std::to_string(id)).getInt();
  }
  std::size_t history_calls() { return fake.calls("conversations.history").size(); }
};

}  // namespace

TEST_CASE("slack delivery: every post carries its outbox id in message metadata", "[slack][delivery]") {
  delivery_rig rig;
  auto id = rig.add_post("C1", "hello");
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }));
  auto posts = rig.fake.calls("chat.postMessage");
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].json.at("metadata").at("event_type") == "mlpath_outbox");
  CHECK(posts[0].json.at("metadata").at("event_payload").at("id") == std::to_string(id).c_str());
  CHECK(rig.in_doubt(id) == 0);
  CHECK(rig.history_calls() == 0);  // a clean send needs no lookup
}

TEST_CASE("slack delivery: a lost answer after Slack posted is found in the history, never posted twice",
          "[slack][delivery][faults]") {
  auto f = GENERATE(fault::reset, fault::truncate);
  INFO("fault " << static_cast<int>(f));
  delivery_rig rig;
  scripted s;
  s.fault = f;
  s.acted = true;
  rig.fake.script("chat.postMessage", s);
  auto id = rig.add_post("C2", "hello");
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }));
  CHECK(rig.fake.posts_in("C2") == 1);
  CHECK(rig.fake.calls("chat.postMessage").size() == 1);
  CHECK(rig.history_calls() >= 1);
  CHECK(rig.m.counter_value("mlpath_outbox_reconciled_total", "outcome=\"found\"") == 1);
  CHECK(rig.in_doubt(id) == 0);
}

TEST_CASE("slack delivery: a timeout after Slack posted is reconciled, not repeated", "[slack][delivery][faults]") {
  delivery_rig rig;
  scripted s;
  s.delay = 1500ms;  // longer than the client's 300 ms: mlpath gives up waiting, Slack has posted
  rig.fake.script("chat.postMessage", s);
  auto id = rig.add_post("C3", "hello");
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }));
  CHECK(rig.fake.posts_in("C3") == 1);
  CHECK(rig.m.counter_value("mlpath_outbox_reconciled_total", "outcome=\"found\"") == 1);
}

TEST_CASE("slack delivery: a reset before Slack acted is looked up, absent, and posted once", "[slack][delivery][faults]") {
  delivery_rig rig;
  scripted s;
  s.fault = fault::reset;
  s.acted = false;
  rig.fake.script("chat.postMessage", s);
  auto id = rig.add_post("C4", "hello");
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }));
  CHECK(rig.fake.posts_in("C4") == 1);
  CHECK(rig.m.counter_value("mlpath_outbox_reconciled_total", "outcome=\"absent\"") == 1);
  CHECK(rig.m.counter_value("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"closed\"") >= 1);
}

TEST_CASE("slack delivery: 5xx, 429 and refused answers are retried until Slack takes the post once",
          "[slack][delivery][faults]") {
  delivery_rig rig;
  rig.fake.fail_always("chat.postMessage", 500);
  auto id = rig.add_post("C5", "hello");
  rig.outbox.start();
  // The client's own retries, then the outbox's: still nothing lost while Slack fails.
  REQUIRE(run_until(rig.loop, [&] { return rig.fake.calls("!chat.postMessage").size() >= 5; }));
  CHECK_FALSE(rig.sent(id));
  CHECK(rig.m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 0);
  CHECK(rig.m.counter_value("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"server_error\"") >= 1);
  CHECK(rig.history_calls() == 0);  // a 500 is a certain failure: no lookup needed
  rig.fake.clear_failures();
  rig.fake.script("chat.postMessage", {429, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "1"}}, {}, false});
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }));
  CHECK(rig.fake.posts_in("C5") == 1);
  CHECK(rig.history_calls() == 0);
  CHECK(rig.m.counter_value("mlpath_outbound_429_total", "platform=\"slack\"") == 1);
}

TEST_CASE("slack delivery: resets on every call hold the post without losing or repeating it", "[slack][delivery][faults]") {
  delivery_rig rig;
  rig.fake.break_always("chat.postMessage", fault::reset, false);
  auto id = rig.add_post("C6", "hello");
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.fake.calls("!chat.postMessage").size() >= 2; }, 15s));
  CHECK_FALSE(rig.sent(id));
  CHECK(rig.m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 0);
  rig.fake.clear_failures();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id); }, 15s));
  CHECK(rig.fake.posts_in("C6") == 1);
}

TEST_CASE("slack delivery: a message left in doubt by a crash is found in the history after the restart",
          "[slack][delivery]") {
  delivery_rig rig;
  auto id = rig.add_post("C7", "hello");
  // The crashed process had marked it in doubt and Slack had posted it (with its id).
  rig.store->outbox_doubt(id, true);
  net::client_request post{"POST", rig.fake.api_url() + "chat.postMessage", {{"Content-Type", "application/json"}},
                           json::serialize(json::object{{"channel", "C7"},
                                                        {"text", "hello"},
                                                        {"metadata", slack::outbox_metadata(id)}})};
  REQUIRE(rig.fake.request(post).status == 200);
  auto other = rig.add_post("C7", "second");
  rig.store->outbox_doubt(other, true);  // in doubt too, but Slack never got it
  rig.outbox.start();
  REQUIRE(run_until(rig.loop, [&] { return rig.sent(id) && rig.sent(other); }));
  CHECK(rig.fake.posts_in("C7") == 2);  // the first once, the second once
  CHECK(rig.m.counter_value("mlpath_outbox_reconciled_total", "outcome=\"found\"") == 1);
  CHECK(rig.m.counter_value("mlpath_outbox_reconciled_total", "outcome=\"absent\"") == 1);
}

TEST_CASE("slack web client: a refused connection is transient and certainly undelivered", "[slack][delivery][faults]") {
  net::event_loop loop;
  metrics m;
  net::http_client http{loop};
  slack_web_client::options o;
  o.max_attempts = 2;
  o.backoff = {5ms, 5ms};
  // A port nobody listens on: bind one, then close it.
  std::uint16_t port;
  {
    net::event_loop l2;
    net::http_server s(l2, [](net::http_request&&, net::http_reply r) { r(net::text_response(200, "")); });
    port = s.listen("127.0.0.1", 0);
  }
  slack_web_client api{loop, http, "http://127.0.0.1:" + std::to_string(port) + "/api/", m, o};
  std::optional<slack::api_response> got;
  api.call_json("T1", "xoxb-x", "chat.postMessage", "{}", [&](const slack::api_response& r) { got = r; });
  REQUIRE(run_until(loop, [&] { return got.has_value(); }));
  CHECK(got->http_status == 0);
  CHECK(got->transient());
  CHECK_FALSE(got->maybe_delivered);
  CHECK(got->transport_failure == "connect");
  CHECK(m.counter_value("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"connect\"") == 1);
}
