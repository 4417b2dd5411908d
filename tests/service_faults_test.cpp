// The whole service in this process (bot/app/service) under a full disk: the database is
// capped a few pages above its size (SQLite answers SQLITE_FULL past it, as on a full
// disk). The service stays up, refuses to acknowledge what it cannot store (Slack
// retries), says so in /readyz and /metrics, and once the space is back (a restart
// without the cap) every acknowledged event is answered exactly once.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include <boost/json.hpp>
#include <map>

#include "adapters/slack/signature.hpp"
#include "bot/app/service.hpp"
#include "bot/net/crypto.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "fake_slack.hpp"
#include "loop_support.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::fake_slack;
using mlpath::test::run_until;

namespace {

const std::string secret = "disk-full-secret";

// Sends one signed Slack event to the in-process service and runs its loop until the
// answer is back; returns the HTTP status (0 = no answer).
int send_event(net::event_loop& loop, net::http_client& client, const std::string& base, int n) {
  std::string body = mlpath::test::slack_dm_event("EvF" + std::to_string(n), "U" + std::to_string(n), "hi",
                                                  "D" + std::to_string(n));
  std::string ts =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  net::client_request req{"POST", base + "/slack/events",
                          {{"Content-Type", "application/json"},
                           {"X-Slack-Request-Timestamp", ts},
                           {"X-Slack-Signature", slack::sign_request(net::crypto_primitives(), secret, ts, body)}},
                          body};
  std::optional<int> status;
  client.send(std::move(req), [&](net::client_response r) { status = r.status; });
  if (!run_until(loop, [&] { return status.has_value(); }, 20s)) return -1;
  return *status;
}

config slack_config(const std::string& db, const fake_slack& fake) {
  config c;
  c.db_path = db;
  c.listen_host = "127.0.0.1";
  c.listen_port = 0;
  c.slack_signing_secret = secret;
  c.slack_bot_token = "xoxb-disk";
  c.slack_api_url = fake.api_url();
  return c;
}

}  // namespace

TEST_CASE("disk full: the service stays up, acknowledges nothing it cannot store, says so, and catches up",
          "[faults][storage][e2e]") {
  mlpath::test::temp_dir dir;
  fake_slack fake;
  std::string db = dir.file("full.db");
  long pages = 0;
  {
    auto s = storage::open_sqlite_store({db});
    s.reset();
    pages = SQLite::Database(db).execAndGet("PRAGMA page_count").getInt();
  }
  std::map<int, int> status;  // person -> last answer
  {
    net::event_loop loop;
    service::options o;
    o.max_db_pages = pages + 4;
    o.probe_every = 200ms;
    service svc(loop, slack_config(db, fake), o);
    std::uint16_t port = svc.start();
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    REQUIRE(run_until(loop, [&] { return svc.running() && svc.ready().ready; }));
    net::http_client client(loop);
    int n = 0;
    bool full = false;
    for (; n < 400 && !full; ++n) {
      status[n] = send_event(loop, client, base, n);
      REQUIRE((status[n] == 200 || status[n] == 500));
      full = status[n] == 500;
    }
    REQUIRE(full);
    // A few more while full: all refused, none acknowledged.
    for (int i = 0; i < 5; ++i, ++n) {
      status[n] = send_event(loop, client, base, n);
      CHECK(status[n] == 500);
    }
    auto report = svc.ready();
    CHECK_FALSE(report.ready);
    REQUIRE(report.not_ready.count("database"));
    CHECK(report.not_ready["database"].find("full") != std::string::npos);
    CHECK(svc.stats().counter_value("mlpath_sqlite_write_failures_total") > 0);
    std::optional<int> health;
    client.send({"GET", base + "/healthz", {}, ""}, [&](net::client_response r) { health = r.status; });
    REQUIRE(run_until(loop, [&] { return health.has_value(); }));
    CHECK(*health == 200);
    bool stopped = false;
    svc.stop([&] { stopped = true; });
    REQUIRE(run_until(loop, [&] { return stopped; }, 15s));
  }
  // Space again: a restart without the cap; Slack retries what was refused.
  net::event_loop loop;
  service svc(loop, slack_config(db, fake), {});
  std::string base = "http://127.0.0.1:" + std::to_string(svc.start());
  REQUIRE(run_until(loop, [&] { return svc.running(); }));
  net::http_client client(loop);
  for (auto& [person, last] : status)
    if (last != 200) {
      last = send_event(loop, client, base, person);
      CHECK(last == 200);
    }
  auto answered = [&] {
    for (const auto& [person, last] : status)
      if (fake.posts_in("D" + std::to_string(person)) < 2) return false;
    return true;
  };
  bool all_answered = run_until(loop, answered, 30s);
  if (!all_answered) {
    for (const auto& [person, last] : status)
      if (fake.posts_in("D" + std::to_string(person)) < 2)
        UNSCOPED_INFO("person " << person << " has " << fake.posts_in("D" + std::to_string(person)) << " posts, last answer "
                                << last);
    SQLite::Database check(db);
    UNSCOPED_INFO("inbox pending " << check.execAndGet("SELECT count(*) FROM inbox WHERE processed_at IS NULL").getInt()
                                   << ", outbox pending "
                                   << check.execAndGet("SELECT count(*) FROM outbox WHERE sent_at IS NULL").getInt()
                                   << ", failed "
                                   << check.execAndGet("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL").getInt());
  }
  REQUIRE(all_answered);
  REQUIRE(run_until(loop, [&] { return svc.ready().ready; }, 15s));
  for (const auto& [person, last] : status) {
    INFO("person " << person);
    CHECK(fake.posts_in("D" + std::to_string(person)) == 2);
  }
  bool stopped = false;
  svc.stop([&] { stopped = true; });
  REQUIRE(run_until(loop, [&] { return stopped; }, 15s));
}
