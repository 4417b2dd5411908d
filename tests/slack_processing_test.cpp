// Slack processing on a real store and event loop, with a store decorator that fails one
// batch commit: what a rolled-back batch learned (a person's DM channel) is learned again.
#include <catch2/catch.hpp>

#include "adapters/slack/inbound.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/slack/processing.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"
#include "bot/turns/conversation_service.hpp"
#include "fake_slack.hpp"
#include "loop_support.hpp"
#include "slack_support.hpp"
#include "storage/sqlite_store.hpp"
#include "store_decorator.hpp"
#include "test_support.hpp"

using namespace mlpath;
using mlpath::test::t0;
using namespace std::chrono_literals;
namespace fx = mlpath::test::slack;

namespace {

// Fails the next `failures` batch commits (the batch is then rolled back by its guard).
class failing_commit_store : public mlpath::test::forwarding_store {
 public:
  using forwarding_store::forwarding_store;
  int failures = 0;
  int commits = 0;
  int rollbacks = 0;
  void commit_batch() override {
    ++commits;
    if (failures > 0) {
      --failures;
      throw storage::storage_error("injected: the disk said no");
    }
    s_.commit_batch();
  }
  void rollback_batch() override {
    ++rollbacks;
    s_.rollback_batch();
  }
};

struct slack_rig {
  mlpath::test::temp_dir dir;
  std::unique_ptr<storage::store> real = storage::open_sqlite_store({dir.file("p.db")});
  failing_commit_store store{*real};
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0();
  wall_clock_fn clock = [this] { return now; };
  conversation_service conversations{mlpath::test::builtin_engine(), store};
  net::http_client http{loop};  // never called: the workspace needs no auth.test
  slack_web_client api{loop, http, "http://127.0.0.1:9/api/", m, slack_web_client::options{}};
  slack_workspaces workspaces{loop, store, api, "", clock};
  outbox_dispatcher outbox{loop, store, m, clock, outbox_dispatcher::options{}};
  slack_processor processor{loop, store, conversations, workspaces, api, outbox, m, clock};

  slack_rig() {
    // The workspace is installed (OAuth), so its events are processed.
    real->save_installation({"slack", "T0TEST", "xoxb-test", "U0BOT", "B0BOT", "chat:write", now});
    bool ready = false;
    workspaces.start([&] { ready = true; });
    REQUIRE(ready);
    REQUIRE(workspaces.ready());
  }

  void deliver(const std::string& event_id, const std::string& body) {
    storage::inbox_event ev{"slack", event_id, fx::json_type, body, now};
    REQUIRE(store.inbox_add(ev));
    processor.accept(ev, fx::parse_ok(fx::json_type, body));
  }

  bool processed(const std::string& event_id) {
    for (const auto& e : real->inbox_pending(100))
      if (e.event_id == event_id) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("slack processing: a DM channel seen in a rolled-back batch is stored when the batch is redone",
          "[slack][processing]") {
  slack_rig rig;
  rig.store.failures = 1;
  rig.deliver("Ev01", mlpath::test::slack_dm_event("Ev01", "U1", "hello", "D0FIRST", "T0TEST"));
  REQUIRE(mlpath::test::run_until(rig.loop, [&] { return rig.processed("Ev01"); }, 10s));
  CHECK(rig.store.commits >= 2);
  CHECK(rig.store.rollbacks >= 1);

  auto uid = rig.real->find_user({"slack", "T0TEST", "U1"});
  REQUIRE(uid);
  auto dm = rig.real->dm_channel(*uid);
  REQUIRE(dm);
  CHECK(*dm == "D0FIRST");
  // The turn itself was redone once, not twice: one conversation, one reply set.
  CHECK(rig.real->load_conversation(*uid).state.at == dialogs::stage::asking);
  auto replies = rig.real->outbox_pending(0, 100);
  REQUIRE(!replies.empty());
  for (const auto& r : replies) CHECK(r.kind == "slack.post");

  SECTION("a later message from another DM channel replaces it") {
    rig.deliver("Ev02", mlpath::test::slack_dm_event("Ev02", "U1", "1", "D0SECOND", "T0TEST"));
    REQUIRE(mlpath::test::run_until(rig.loop, [&] { return rig.processed("Ev02"); }));
    CHECK(*rig.real->dm_channel(*uid) == "D0SECOND");
  }
}

TEST_CASE("slack processing: without a failure the DM channel is stored with the first turn", "[slack][processing]") {
  slack_rig rig;
  rig.deliver("Ev10", mlpath::test::slack_dm_event("Ev10", "U9", "hello", "D0NINE", "T0TEST"));
  REQUIRE(mlpath::test::run_until(rig.loop, [&] { return rig.processed("Ev10"); }));
  CHECK(rig.store.rollbacks == 0);
  auto uid = rig.real->find_user({"slack", "T0TEST", "U9"});
  REQUIRE(uid);
  CHECK(rig.real->dm_channel(*uid) == std::optional<std::string>("D0NINE"));
}
