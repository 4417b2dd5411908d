// The scheduler: stale conversations (one nudge after a day of silence, expiry after a
// week) and weekly check-ins, only for people a platform can message.
#include <catch2/catch.hpp>

#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using mlpath::test::t0;
using namespace std::chrono_literals;

TEST_CASE("scheduler: one nudge after 24 hours, expiry after 7 days, per platform", "[scheduler][silence]") {
  mlpath::test::temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("q.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *store);
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0();
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, {});
  scheduler watch(loop, *store, svc, outbox, m, system_calendar(), [&] { return now; }, {});
  std::vector<std::string> sent;
  watch.add_platform("slack", [&](const std::vector<dialogs::reply>& replies) {
    for (const auto& r : replies)
      if (auto* x = std::get_if<dialogs::text_reply>(&r)) sent.push_back(x->text);
    return std::vector<outbox::message>{};
  });
  storage::user_ref slack_user{"slack", "T1", "U1"}, console_user{"console", "", "me"};
  svc.handle(slack_user, dialogs::input::open(), now);
  svc.handle(console_user, dialogs::input::open(), now);

  now = t0(23h);
  CHECK(watch.run_once() == 0);
  now = t0(25h);
  CHECK(watch.run_once() == 1);  // the console person has nobody to message them
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].find("question 1 of 11") != std::string::npos);
  now = t0(49h);
  CHECK(watch.run_once() == 0);  // one nudge per silence
  now = t0(24h * 8);
  CHECK(watch.run_once() == 1);
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].find("unfinished for a week") != std::string::npos);
  CHECK(store->load_conversation(*store->find_user(slack_user)).state.at == dialogs::stage::expired);
  CHECK(store->load_conversation(*store->find_user(console_user)).state.at == dialogs::stage::asking);
  now = t0(24h * 9);
  CHECK(watch.run_once() == 0);
}
