// Weekly check-ins (DESIGN §6): the calendar in many zones and across DST, the dialog with
// an injected clock (schedule, check-in, streak, snooze, skip, pause, stop, reminder,
// downtime), and the scheduler with storage (exactly once per week, restarts, two
// instances, the indexed due query).
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <boost/json/serialize.hpp>

#include "adapters/console/reply_json.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/schedule/checkin_planner.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/turns/conversation_service.hpp"
#include "dialogs/action_token.hpp"
#include "dialogs/checkin_dialog.hpp"
#include "dialogs/engine.hpp"
#include "engine_driver.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
using namespace std::chrono_literals;

namespace {

const tz_calendar& cal() { return system_calendar(); }

timestamp utc(const char* iso) { return parse_instant(iso); }
std::string iso(timestamp t) { return format_utc(t); }

weekly_slot slot(const char* day, int h, int m, const char* zone) {
  return weekly_slot{static_cast<int>(parse_weekday(day)), h, m, zone};
}

// An engine with the system calendar, driven with a fake clock.
const engine& checkin_engine() {
  static const engine e(mlpath::test::builtin(), &system_calendar());
  return e;
}

struct driver : mlpath::test::engine_driver {
  driver() { e = &checkin_engine(); }
  const checkin_book& book() const { return c.checkins; }
  std::string text() const {
    std::string s = all_text();
    for (const auto& r : last)
      if (auto* q = std::get_if<question_reply>(&r)) s += "[question " + q->question + "]\n";
    return s;
  }
  void at(timestamp t) { now = t - 5s; }  // send() adds 5 s
  void finish_reflection() {
    answer_all();
    say("confirm");
  }
};

}  // namespace

// --- the calendar -------------------------------------------------------------------------

TEST_CASE("calendar: DST in both directions in Berlin, New York and Sydney", "[checkins][calendar]") {
  // A time inside the spring-forward gap moves to the first valid minute after it.
  CHECK(iso(cal().next_after(slot("sun", 2, 30, "Europe/Berlin"), utc("2026-03-25T00:00:00Z"))) == "2026-03-29T01:00:00Z");
  CHECK(iso(cal().next_after(slot("sun", 2, 30, "America/New_York"), utc("2026-03-05T00:00:00Z"))) == "2026-03-08T07:00:00Z");
  CHECK(iso(cal().next_after(slot("sun", 2, 30, "Australia/Sydney"), utc("2026-10-01T00:00:00Z"))) == "2026-10-03T16:00:00Z");
  // A time that happens twice (fall back) is taken the first time.
  CHECK(iso(cal().next_after(slot("sun", 2, 30, "Europe/Berlin"), utc("2026-10-20T00:00:00Z"))) == "2026-10-25T00:30:00Z");
  CHECK(iso(cal().next_after(slot("sun", 1, 30, "America/New_York"), utc("2026-10-28T00:00:00Z"))) == "2026-11-01T05:30:00Z");
  CHECK(iso(cal().next_after(slot("sun", 2, 30, "Australia/Sydney"), utc("2026-04-01T00:00:00Z"))) == "2026-04-04T15:30:00Z");
  // Ordinary times keep their wall-clock hour through the change: 09:00 before and after.
  auto berlin = slot("mon", 9, 0, "Europe/Berlin");
  CHECK(iso(cal().next_after(berlin, utc("2026-03-25T00:00:00Z"))) == "2026-03-30T07:00:00Z");  // CEST
  CHECK(iso(cal().next_after(berlin, utc("2026-03-18T00:00:00Z"))) == "2026-03-23T08:00:00Z");  // CET
}

TEST_CASE("calendar: no week skipped or doubled across a year of DST changes", "[checkins][calendar]") {
  for (const char* zone : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Asia/Kathmandu"}) {
    INFO(zone);
    for (auto s : {slot("sun", 2, 30, zone), slot("mon", 9, 0, zone), slot("sat", 22, 27, zone)}) {
      timestamp t = utc("2026-01-01T00:00:00Z");
      std::string last_week;
      for (int i = 0; i < 60; ++i) {
        timestamp next = cal().next_after(s, t);
        CHECK(next > t);
        auto gap = next - t;
        if (i > 0) {
          CHECK(gap >= 6 * 24h + 22h);  // a week, give or take one DST hour
          CHECK(gap <= 7 * 24h + 2h);
          CHECK(cal().iso_week(next, zone) != last_week);
        }
        CHECK(cal().latest_at_or_before(s, next) == next);
        last_week = cal().iso_week(next, zone);
        t = next;
      }
    }
  }
}

TEST_CASE("calendar: half- and three-quarter-hour zones, ISO week 53 and the year boundary", "[checkins][calendar]") {
  CHECK(iso(cal().next_after(slot("mon", 9, 0, "Asia/Kolkata"), utc("2026-12-06T00:00:00Z"))) == "2026-12-07T03:30:00Z");
  CHECK(iso(cal().next_after(slot("sat", 22, 27, "Asia/Kathmandu"), utc("2026-12-06T08:00:00Z"))) == "2026-12-12T16:42:00Z");
  CHECK(cal().local_text(utc("2026-12-12T16:42:00Z"), "Asia/Kathmandu") == "Sat 12 Dec 22:27");
  // 2026 has 53 ISO weeks; 3 January 2027 is still in 2026-W53, in the person's zone.
  CHECK(cal().iso_week(utc("2026-12-31T12:00:00Z"), "UTC") == "2026-W53");
  CHECK(cal().iso_week(utc("2027-01-03T12:00:00Z"), "UTC") == "2026-W53");
  CHECK(cal().iso_week(utc("2027-01-04T00:30:00Z"), "Europe/Berlin") == "2027-W01");
  CHECK(cal().iso_week(utc("2027-01-03T23:30:00Z"), "Europe/Berlin") == "2027-W01");  // already Monday there
  CHECK(cal().iso_week(utc("2024-12-30T12:00:00Z"), "UTC") == "2025-W01");
  CHECK(round_of_week("2026-W53") == 202653);
  CHECK(cal().known_zone("Asia/Kathmandu"));
  CHECK_FALSE(cal().known_zone("Mars/Olympus"));
  CHECK_FALSE(cal().known_zone(""));
}

// --- the dialog ---------------------------------------------------------------------------

TEST_CASE("checkin: the typed form sets the schedule and says it back with the zone and the next one", "[checkins]") {
  driver d;
  d.at(utc("2026-12-06T08:00:00Z"));
  d.say("checkin sat 22:27 Asia/Kathmandu");
  CHECK(d.text().find("Saturdays 22:27 Asia/Kathmandu \xE2\x80\x94 next: Sat 12 Dec 22:27") != std::string::npos);
  REQUIRE(d.book().next_due);
  CHECK(iso(*d.book().next_due) == "2026-12-12T16:42:00Z");
  CHECK(d.book().active);
  // Today, if the time is still ahead: the first check-in is the next occurrence after now.
  d.at(utc("2026-12-07T07:00:00Z"));  // Monday 08:00 in Berlin
  d.say("checkin monday 09:30 europe/berlin");
  REQUIRE(d.book().next_due);
  CHECK(iso(*d.book().next_due) == "2026-12-07T08:30:00Z");
  CHECK(d.book().slot.zone == "Europe/Berlin");
  // Malformed: a clear hint, nothing changed.
  d.say("checkin someday 25:00");
  CHECK(d.has_error());
  CHECK(d.book().slot.zone == "Europe/Berlin");
  d.say("checkin mon 09:00 Mars/Olympus");
  CHECK(d.text().find("do not know the time zone") != std::string::npos);
}

TEST_CASE("checkin: without a zone it asks for one, from a short list or typed", "[checkins]") {
  driver d;
  d.at(utc("2026-12-06T08:00:00Z"));
  d.say("checkin mon 09:00");
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_zone");
  d.say("kathmandu");
  CHECK(d.book().slot.zone == "Asia/Kathmandu");
  CHECK(d.text().find("Mondays 09:00 Asia/Kathmandu") != std::string::npos);
  // The zone chosen before is used next time.
  d.say("checkin fri 18:00");
  CHECK(d.book().slot.zone == "Asia/Kathmandu");
  CHECK(d.book().slot.weekday == 5);
}

TEST_CASE("checkin: set up with questions (day, hour or another time, zone)", "[checkins]") {
  driver d;
  d.at(utc("2026-12-06T08:00:00Z"));
  d.say("checkin");
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_day");
  d.press(answer_token("checkin_day", "wed", d.book().round));
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_time");
  d.press(answer_token("checkin_time", "other", d.book().round));
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_time_text");
  d.say("7:45");
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_zone");
  d.send(input::choose("checkin_zone", {"america_new_york"}));
  CHECK(d.book().slot == weekly_slot{3, 7, 45, "America/New_York"});
  CHECK(d.text().find("Wednesdays 07:45 America/New_York") != std::string::npos);
}

TEST_CASE("checkin: a due check-in, its questions, the plan's steps and the streak", "[checkins]") {
  driver d;
  d.at(utc("2026-12-01T08:00:00Z"));
  d.finish_reflection();
  REQUIRE(d.c.at == stage::done);
  CHECK(d.text().find("weekly check-in") != std::string::npos);  // the offer at the end of the reflection
  d.say("checkin mon 09:00 Europe/Berlin");
  REQUIRE(d.book().next_due);
  CHECK(iso(*d.book().next_due) == "2026-12-07T08:00:00Z");

  d.at(utc("2026-12-07T08:00:30Z"));
  d.send(input::due("checkin_due"));
  REQUIRE(d.question());
  CHECK(d.question()->prompt.find("Time for your weekly check-in") != std::string::npos);
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_progress");
  CHECK(d.question()->round == 202650);
  bool snooze = false;
  for (const auto& a : d.question()->actions) snooze = snooze || a.id.rfind("cmd:snooze", 0) == 0;
  CHECK(snooze);
  CHECK(d.book().open_week == "2026-W50");
  REQUIRE(d.book().next_due);
  CHECK(iso(*d.book().next_due) == "2026-12-14T08:00:00Z");

  d.press(answer_token("checkin_progress", "made_progress", 202650));
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_moved");
  REQUIRE(d.question()->options.size() == 3);  // the plan's next three steps, by their ids
  std::string step = d.question()->options.front().id;
  CHECK(checkin_engine().material().plan.find_step(step));
  d.send(input::choose("checkin_moved", {step}));
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_next_step");
  d.say("Finish the first lesson on Saturday.");
  std::string closing = d.text();
  CHECK(closing.find("streak: 1 week") != std::string::npos);
  CHECK(closing.find("Next in your plan:") != std::string::npos);
  CHECK(closing.find("Next check-in: Mon 14 Dec 09:00") != std::string::npos);
  const checkin_entry* e = d.c.checkins.find("2026-W50");
  REQUIRE(e);
  CHECK(e->progress == "made_progress");
  CHECK(e->moved == std::vector<std::string>{step});
  CHECK(e->next_step == "Finish the first lesson on Saturday.");
  CHECK(d.book().asking.empty());

  // The next week offers the next steps, not the one already done.
  d.at(utc("2026-12-14T08:00:10Z"));
  d.send(input::due("checkin_due"));
  d.say("a little");
  REQUIRE(d.question());
  for (const auto& o : d.question()->options) CHECK(o.id != step);
  d.say("skip");
  d.say("skip");
  CHECK(d.text().find("streak: 2 weeks") != std::string::npos);
  // A stale button from last week's check-in changes nothing.
  d.press(answer_token("checkin_progress", "stuck", 202650));
  CHECK(d.text().find("already") != std::string::npos);
  CHECK(d.c.checkins.find("2026-W50")->progress == "made_progress");
}

TEST_CASE("checkin: the streak forgives one quiet week, not two", "[checkins]") {
  auto entry = [](const char* week, const char* progress) {
    checkin_entry e;
    e.week = week;
    e.progress = progress;
    e.answered = utc("2026-12-01T00:00:00Z");
    return e;
  };
  std::vector<checkin_entry> h = {entry("2026-W50", "made_progress"), entry("2026-W49", "not_this_time"),
                                  entry("2026-W48", "a_little"), entry("2026-W47", "made_progress"),
                                  entry("2026-W46", "stuck"), entry("2026-W45", "not_this_time"),
                                  entry("2026-W44", "made_progress")};
  CHECK(streak_of(h) == 3);
  CHECK(streak_of({entry("2026-W50", "stuck"), entry("2026-W49", "made_progress")}) == 1);
  CHECK(streak_of({entry("2026-W50", "stuck"), entry("2026-W49", "stuck"), entry("2026-W48", "made_progress")}) == 0);
  CHECK(streak_of({}) == 0);
  checkin_entry open;
  open.week = "2026-W51";
  h.insert(h.begin(), open);
  CHECK(streak_of(h, "2026-W51") == 3);
}

TEST_CASE("checkin: snooze, skip this week, pause until a date or for two weeks, stop and resume", "[checkins]") {
  driver d;
  d.at(utc("2026-12-01T08:00:00Z"));
  d.say("checkin mon 09:00 Europe/Berlin");
  d.at(utc("2026-12-07T08:00:05Z"));
  d.send(input::due("checkin_due"));
  d.press(command_token("snooze", "", 202650));
  REQUIRE(d.book().next_due);
  CHECK(*d.book().next_due == utc("2026-12-08T08:00:10Z"));
  CHECK(d.book().next_week == "2026-W50");
  d.at(utc("2026-12-08T08:00:10Z"));
  d.send(input::due("checkin_due"));  // the same week's check-in, once more
  CHECK(d.book().open_week == "2026-W50");
  REQUIRE(d.question());
  CHECK(d.question()->question == "checkin_progress");
  d.press(command_token("skip_week", "", 202650));
  CHECK(d.c.checkins.find("2026-W50")->skipped);
  CHECK(d.book().open_week.empty());
  CHECK(iso(*d.book().next_due) == "2026-12-14T08:00:00Z");

  d.press(command_token("pause", "", 202650));  // the button: two weeks
  CHECK(d.book().paused);
  REQUIRE(d.book().paused_until);
  CHECK(iso(*d.book().next_due) == "2026-12-28T08:00:00Z");
  d.say("pause 2027-01-15");
  CHECK(iso(*d.book().next_due) == "2027-01-18T08:00:00Z");
  d.say("pause");  // typed: until checkin again
  CHECK_FALSE(d.book().next_due);
  d.say("checkin on");
  CHECK_FALSE(d.book().paused);
  CHECK(d.book().next_due);
  d.say("stop");
  CHECK_FALSE(d.book().active);
  CHECK(d.book().scheduled);  // kept, marked off
  CHECK_FALSE(d.book().next_due);
  d.send(input::due("checkin_due"));
  CHECK(d.last.empty());
  d.say("checkin");
  CHECK(d.text().find("turned off") != std::string::npos);
  d.say("checkin off");
  CHECK(d.text().find("already off") != std::string::npos);
}

TEST_CASE("checkin: one reminder 24 hours after an unanswered check-in, then silence", "[checkins]") {
  driver d;
  d.at(utc("2026-12-01T08:00:00Z"));
  d.say("checkin mon 09:00 Europe/Berlin");
  d.at(utc("2026-12-07T08:00:05Z"));
  d.send(input::due("checkin_due"));
  d.at(utc("2026-12-08T08:01:00Z"));
  d.send(input::due("checkin_reminder"));
  CHECK(d.text().find("gentle reminder") != std::string::npos);
  CHECK(d.c.checkins.find("2026-W50")->reminded);
  d.send(input::due("checkin_reminder"));
  CHECK(d.last.empty());
}

TEST_CASE("checkin: after three weeks of downtime, one late check-in for the latest week, never a backlog", "[checkins]") {
  driver d;
  d.at(utc("2026-11-10T08:00:00Z"));
  d.say("checkin mon 09:00 Europe/Berlin");
  CHECK(iso(*d.book().next_due) == "2026-11-16T08:00:00Z");
  d.at(utc("2026-12-08T10:00:00Z"));  // due on 16, 23, 30 November and 7 December: all missed
  d.send(input::due("checkin_due"));
  REQUIRE(d.question());
  CHECK(d.question()->prompt.find("a little late") != std::string::npos);
  CHECK(d.book().history.size() == 1);
  CHECK(d.book().open_week == "2026-W50");
  CHECK(d.book().history.front().late);
  CHECK(iso(*d.book().next_due) == "2026-12-14T08:00:00Z");
  d.send(input::due("checkin_due"));  // asked again at once: nothing more
  CHECK(d.last.empty());
  CHECK(d.book().history.size() == 1);
  // On time (within the hour) is not late.
  d.at(utc("2026-12-14T08:30:00Z"));
  d.send(input::due("checkin_due"));
  REQUIRE(d.question());
  CHECK(d.question()->prompt.find("late") == std::string::npos);
}

TEST_CASE("checkin: a pause because the platform could not deliver is told once", "[checkins]") {
  driver d;
  d.at(utc("2026-12-01T08:00:00Z"));
  d.say("checkin mon 09:00 UTC");
  d.c.checkins.paused = true;
  d.c.checkins.paused_reason = "cannot be messaged (50007)";
  d.c.checkins.reason_shown = false;
  d.say("status");
  CHECK(d.text().find("50007") != std::string::npos);
  d.say("status");
  CHECK(d.text().find("50007") == std::string::npos);
}

TEST_CASE("checkin: start_checkin gives the same replies to everyone due that week", "[checkins]") {
  checkin_book a, b;
  for (auto* x : {&a, &b}) {
    x->scheduled = x->active = true;
    x->slot = slot("mon", 9, 0, "UTC");
    x->next_due = utc("2026-12-07T09:00:00Z");
  }
  b.round = 7;
  b.done_steps = {"python_onramp"};
  auto now = utc("2026-12-07T09:00:20Z");
  auto sa = start_checkin(*mlpath::test::builtin(), cal(), a, now);
  auto sb = start_checkin(*mlpath::test::builtin(), cal(), b, now);
  REQUIRE(sa.sent);
  REQUIRE(sb.sent);
  CHECK(sa.week == "2026-W50");
  auto as_text = [](const std::vector<reply>& rs) {
    std::string t;
    for (const auto& r : rs) t += boost::json::serialize(console::to_json(r)) + "\n";
    return t;
  };
  CHECK(as_text(sa.replies) == as_text(sb.replies));
  // Not due yet, or off: nothing.
  CHECK_FALSE(start_checkin(*mlpath::test::builtin(), cal(), a, utc("2026-12-07T08:59:59Z")).sent);
  a.active = false;
  CHECK_FALSE(start_checkin(*mlpath::test::builtin(), cal(), a, now).sent);
}

// --- the scheduler and storage ---------------------------------------------------------------

namespace {

struct rig {
  mlpath::test::temp_dir dir;
  std::unique_ptr<storage::store> store = storage::open_sqlite_store({dir.file("c.db")});
  net::event_loop loop;
  metrics m;
  timestamp now = utc("2026-12-01T08:00:00Z");
  conversation_service svc{checkin_engine(), *store};
  outbox_dispatcher outbox{loop, *store, m, [this] { return now; }, {}};
  std::unique_ptr<scheduler> sched = make();

  std::unique_ptr<scheduler> make() {
    auto s = std::make_unique<scheduler>(loop, *store, svc, outbox, m, cal(), [this] { return now; }, scheduler::options{});
    s->add_platform("slack", [](const std::vector<reply>& r) { return outbox::direct_messages("slack", r); });
    return s;
  }
  std::int64_t schedule(const std::string& user, const std::string& typed) {
    storage::user_ref u{"slack", "T1", user};
    svc.handle(u, input::typed(typed), now);
    return *store->find_user(u);
  }
  long long count(const std::string& sql) {
    SQLite::Database db(dir.file("c.db"));
    return db.execAndGet(sql).getInt64();
  }
};

// What the scheduler stores for a due check-in, with one message of its own.
storage::started_checkin_record started_record(const storage::due_checkin& d, timestamp now) {
  auto s = start_checkin(*mlpath::test::builtin(), cal(), d.book, now);
  storage::started_checkin_record rec;
  rec.user_id = d.user_id;
  rec.expected_revision = d.revision;
  rec.book = s.book;
  rec.entry = *s.book.find(s.week);
  rec.tenant = d.user.tenant;
  storage::outbox_message m;
  m.platform = "slack";
  m.kind = "slack.post";
  m.body = R"({"channel":"","ref":"","payload":{"text":"hi"}})";
  rec.outbox = std::make_shared<const std::vector<storage::outbox_message>>(1, m);
  rec.now = now;
  return rec;
}

}  // namespace

TEST_CASE("scheduler: each week's check-in is stored with its message once, across a restart", "[checkins][scheduler]") {
  rig r;
  auto id = r.schedule("U1", "checkin mon 09:00 Europe/Berlin");
  r.schedule("U2", "checkin tue 09:00 Europe/Berlin");
  CHECK(r.sched->run_once() == 0);
  r.now = utc("2026-12-07T08:00:02Z");
  CHECK(r.sched->send_due_checkins(r.now) == 1);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE week = '2026-W50'") == 1);
  CHECK(r.count("SELECT count(*) FROM outbox WHERE user_id = " + std::to_string(id)) == 1);  // the greeting leads the question
  // A restart: a new scheduler on the same database sends nothing more for this week.
  auto before = r.count("SELECT count(*) FROM outbox");
  r.sched = r.make();
  CHECK(r.sched->send_due_checkins(r.now) == 0);
  r.now += 1h;
  CHECK(r.sched->run_once() == 0);
  CHECK(r.count("SELECT count(*) FROM outbox") == before);
  // The book is where a turn left it: the check-in is open for the person's answer.
  auto loaded = r.store->load_conversation(id);
  CHECK(loaded.state.checkins.open_week == "2026-W50");
  r.svc.handle({"slack", "T1", "U1"}, input::typed("1"), r.now);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE progress = 'made_progress'") == 1);
}

TEST_CASE("scheduler: two instances racing send a week's check-in once", "[checkins][scheduler]") {
  rig r;
  r.schedule("U1", "checkin mon 09:00 UTC");
  auto other = storage::open_sqlite_store({r.dir.file("c.db")});
  r.now = utc("2026-12-07T09:00:01Z");
  auto due_a = r.store->due_checkins(r.now, {"slack"}, 10);
  auto due_b = other->due_checkins(r.now, {"slack"}, 10);
  REQUIRE(due_a.size() == 1);
  REQUIRE(due_b.size() == 1);
  CHECK(r.store->record_started_checkins({started_record(due_a[0], r.now)}) == 1);
  CHECK(other->record_started_checkins({started_record(due_b[0], r.now)}) == 0);
  CHECK(r.count("SELECT count(*) FROM outbox") == 1);
  CHECK(r.count("SELECT count(*) FROM checkin_history") == 1);
}

TEST_CASE("scheduler: everyone due shares one stored copy of the message body, read back in full", "[checkins][scheduler]") {
  rig r;
  r.schedule("U1", "checkin mon 09:00 UTC");
  r.schedule("U2", "checkin mon 09:00 UTC");
  r.schedule("U3", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  CHECK(r.sched->send_due_checkins(r.now) == 3);
  CHECK(r.count("SELECT count(*) FROM outbox WHERE body_id IS NOT NULL AND body = '' AND tenant = 'T1'") == 3);
  CHECK(r.count("SELECT count(*) FROM outbox_bodies") == 1);
  auto pending = r.store->outbox_pending(0, 100);
  REQUIRE(pending.size() == 3);
  for (const auto& m : pending) {
    CHECK(m.body.find("\"payload\"") != std::string::npos);  // the whole body, not the row's empty one
    CHECK(m.body == pending.front().body);
  }
  auto e = r.store->export_user({"slack", "T1", "U2"});
  REQUIRE(e);
  REQUIRE(e->messages.size() == 1);
  CHECK(e->messages[0].body == pending.front().body);
  // The copy stays while any message names it.
  CHECK(r.store->erase_user({"slack", "T1", "U1"}));
  CHECK(r.count("SELECT count(*) FROM outbox_bodies") == 1);
  CHECK(r.store->erase_user({"slack", "T1", "U2"}));
  CHECK(r.store->erase_user({"slack", "T1", "U3"}));
  CHECK(r.count("SELECT count(*) FROM outbox_bodies") == 0);
}

TEST_CASE("scheduler: a book changed after it was read sends nothing and leaves no week behind", "[checkins][scheduler]") {
  rig r;
  auto id1 = r.schedule("U1", "checkin mon 09:00 UTC");
  r.schedule("U2", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  auto due = r.store->due_checkins(r.now, {"slack"}, 10);
  REQUIRE(due.size() == 2);
  // U1 changes their schedule between the scheduler's read and its write.
  r.svc.handle({"slack", "T1", "U1"}, input::typed("checkin tue 10:00 UTC"), r.now);
  auto outbox_before = r.count("SELECT count(*) FROM outbox");
  CHECK(r.store->record_started_checkins({started_record(due[0], r.now), started_record(due[1], r.now)}) == 1);
  CHECK(r.count("SELECT count(*) FROM outbox") == outbox_before + 1);
  CHECK(r.count("SELECT count(*) FROM checkin_history") == 1);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE user_id = " + std::to_string(id1)) == 0);
  // U1's own change stands.
  auto book = r.store->load_conversation(id1).state.checkins;
  CHECK(book.slot.weekday == 2);
  CHECK(book.slot.hour == 10);
  CHECK(book.open_week.empty());
}

TEST_CASE("scheduler: a snoozed check-in is sent again the next day, its week kept once", "[checkins][scheduler]") {
  rig r;
  r.schedule("U1", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  CHECK(r.sched->send_due_checkins(r.now) == 1);
  auto sent = r.count("SELECT count(*) FROM outbox");
  r.svc.handle({"slack", "T1", "U1"}, input::cmd("snooze", ""), r.now);
  r.now += 23h;
  CHECK(r.sched->send_due_checkins(r.now) == 0);
  r.now += 2h;
  CHECK(r.sched->send_due_checkins(r.now) == 1);  // the same week, once more
  CHECK(r.count("SELECT count(*) FROM outbox") > sent);
  CHECK(r.count("SELECT count(*) FROM checkin_history") == 1);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE week = '2026-W50' AND sent_at IS NOT NULL") == 1);
  CHECK(r.sched->send_due_checkins(r.now) == 0);
}

TEST_CASE("scheduler: a week already stored sends nothing again, and the schedule still moves on", "[checkins][scheduler]") {
  rig r;
  auto id = r.schedule("U1", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  // The week's entry is there already (sent before, e.g. by another instance), the book not moved.
  {
    SQLite::Database db(r.dir.file("c.db"), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO checkin_history (user_id, week, due_at, sent_at) VALUES (" + std::to_string(id) +
            ", '2026-W50', 1796634000, 1796634000)");
  }
  auto outbox_before = r.count("SELECT count(*) FROM outbox");
  CHECK(r.sched->send_due_checkins(r.now) == 0);
  CHECK(r.count("SELECT count(*) FROM outbox") == outbox_before);
  auto book = r.store->load_conversation(id).state.checkins;
  CHECK(book.open_week.empty());
  REQUIRE(book.next_due);
  CHECK(iso(*book.next_due) == "2026-12-14T09:00:00Z");
  CHECK(r.sched->send_due_checkins(r.now) == 0);
}

TEST_CASE("scheduler: reminders are worked off in slices, the loop free in between", "[checkins][scheduler]") {
  rig r;
  for (const char* u : {"U1", "U2", "U3"}) r.schedule(u, "checkin mon 09:00 UTC");
  scheduler::options o;
  o.turns = 2;
  auto s = std::make_unique<scheduler>(r.loop, *r.store, r.svc, r.outbox, r.m, cal(), [&r] { return r.now; }, o);
  s->add_platform("slack", [](const std::vector<reply>& rs) { return outbox::direct_messages("slack", rs); });
  r.now = utc("2026-12-07T09:00:01Z");
  CHECK(s->send_due_checkins(r.now) == 3);
  r.now += 25h;
  CHECK(s->run_once() == 2);
  CHECK(s->run_once() == 1);
  CHECK(s->run_once() == 0);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE reminded_at IS NOT NULL") == 3);
}

TEST_CASE("scheduler: sent messages older than 30 days go, checked once a day", "[checkins][scheduler]") {
  rig r;
  r.schedule("U1", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  CHECK(r.sched->send_due_checkins(r.now) == 1);
  auto first = r.store->outbox_pending(0, 100);
  REQUIRE(first.size() == 1);
  r.store->outbox_sent(first[0].id, r.now);
  auto body_of_first = r.count("SELECT body_id FROM outbox WHERE id = " + std::to_string(first[0].id));
  r.now += 31 * 24h;
  r.sched->run_once();  // the late check-in goes out, and the old message goes
  CHECK(r.count("SELECT count(*) FROM outbox WHERE id = " + std::to_string(first[0].id)) == 0);
  CHECK(r.count("SELECT count(*) FROM outbox_bodies WHERE id = " + std::to_string(body_of_first)) == 0);
  CHECK(r.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") >= 1);  // the late check-in, still to send
  // The next look is a day later.
  auto old_sent = [&] {
    SQLite::Database db(r.dir.file("c.db"), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO outbox (platform, tenant, queue, kind, body, created_at, next_attempt_at, sent_at) "
            "VALUES ('slack', 'T1', 'q', 'slack.post', '{}', 0, 0, 1)");
  };
  old_sent();
  r.now += 1h;
  r.sched->run_once();
  CHECK(r.count("SELECT count(*) FROM outbox WHERE created_at = 0") == 1);
  r.now += 24h;
  r.sched->run_once();
  CHECK(r.count("SELECT count(*) FROM outbox WHERE created_at = 0") == 0);
}

TEST_CASE("scheduler: reminders and the next wake-up", "[checkins][scheduler]") {
  rig r;
  r.schedule("U1", "checkin mon 09:00 UTC");
  auto w = r.store->next_wakeups({"slack"});
  REQUIRE(w.checkin_due);
  CHECK(iso(*w.checkin_due) == "2026-12-07T09:00:00Z");
  CHECK(r.store->next_wakeups({"discord"}).checkin_due == std::nullopt);
  r.now = utc("2026-12-07T09:00:01Z");
  CHECK(r.sched->run_once() == 1);
  w = r.store->next_wakeups({"slack"});
  REQUIRE(w.reminder_sent);
  CHECK(*w.reminder_sent == r.now);
  r.now += 23h;
  CHECK(r.sched->run_once() == 0);
  r.now += 2h;
  CHECK(r.sched->run_once() == 1);  // the reminder
  CHECK(r.sched->run_once() == 0);  // once
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE reminded_at IS NOT NULL") == 1);
}

TEST_CASE("scheduler: the due query uses its index with 100,000 people scheduled", "[checkins][scheduler]") {
  rig r;
  {
    SQLite::Database db(r.dir.file("c.db"), SQLite::OPEN_READWRITE);
    db.exec("BEGIN");
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
            "INSERT INTO users (id, platform, tenant, user_ref, created_at) SELECT i, 'slack', 'T1', 'U' || i, 0 FROM n");
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
            "INSERT INTO checkin_books (user_id, scheduled, weekday, minute_of_day, zone, active, next_due_at) "
            "SELECT i, 1, i % 7, 540, 'UTC', 1, 1796000000 + (i % 10080) * 60 FROM n");
    db.exec("COMMIT");
    db.exec("ANALYZE");
    SQLite::Statement plan(db,
                           "EXPLAIN QUERY PLAN SELECT b.user_id FROM checkin_books b JOIN users u ON u.id = b.user_id "
                           "WHERE b.active = 1 AND b.next_due_at IS NOT NULL AND b.next_due_at <= 1796000600 "
                           "AND u.platform IN ('slack') ORDER BY b.next_due_at LIMIT 1000");
    std::string details;
    while (plan.executeStep()) details += plan.getColumn(3).getString() + "\n";
    INFO(details);
    CHECK(details.find("checkin_books_due") != std::string::npos);
    CHECK(details.find("SCAN b") == std::string::npos);
  }
  auto due = r.store->due_checkins(timestamp(1796000600s), {"slack"}, 1000);
  CHECK(due.size() == 109);  // i % 10080 <= 10 for i in 1..100000
}

TEST_CASE("checkins: export shows the schedule and every answer, delete erases them", "[checkins][storage]") {
  rig r;
  auto id = r.schedule("U1", "checkin mon 09:00 UTC");
  r.now = utc("2026-12-07T09:00:01Z");
  r.sched->run_once();
  r.svc.handle({"slack", "T1", "U1"}, input::typed("2"), r.now);
  r.svc.handle({"slack", "T1", "U1"}, input::typed("stop"), r.now);
  auto e = r.store->export_user({"slack", "T1", "U1"});
  REQUIRE(e);
  REQUIRE(e->checkins);
  CHECK_FALSE(e->checkins->active);
  REQUIRE(e->checkins->history.size() == 1);
  CHECK(e->checkins->history[0].progress == "a_little");
  CHECK(r.store->erase_user({"slack", "T1", "U1"}));
  CHECK(r.count("SELECT count(*) FROM checkin_books WHERE user_id = " + std::to_string(id)) == 0);
  CHECK(r.count("SELECT count(*) FROM checkin_history WHERE user_id = " + std::to_string(id)) == 0);
}

TEST_CASE("checkin: the profile's zone is used when none is given, and never overrides one the person chose",
          "[checkins]") {
  driver d;
  d.at(utc("2026-12-06T08:00:00Z"));
  d.send(input::due("zone_hint", "Asia/Kolkata"));
  CHECK(d.last.empty());  // learned silently
  d.say("checkin mon 09:00");
  CHECK(d.book().slot.zone == "Asia/Kolkata");
  d.send(input::due("zone_hint", "Europe/Berlin"));  // they moved: the schedule follows the profile
  CHECK(d.book().slot.zone == "Europe/Berlin");
  CHECK(iso(*d.book().next_due) == "2026-12-07T08:00:00Z");
  d.say("checkin mon 09:00 America/New_York");  // chosen by the person
  d.send(input::due("zone_hint", "Asia/Tokyo"));
  CHECK(d.book().slot.zone == "America/New_York");
}
