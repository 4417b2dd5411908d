// The typed outbox in storage: migration 5 rewriting unsent rows of the old shapes,
// to_record/from_record, outbox_summary and the dispatcher's gauges read from the store,
// retries while a message is younger than a day, and uninstall clean-up at the given time.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/outbox/message.hpp"
#include "loop_support.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using mlpath::test::t0;
using mlpath::test::temp_dir;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::int64_t secs(dialogs::timestamp t) { return t.time_since_epoch().count(); }

void insert_legacy(SQLite::Database& db, std::optional<int> user_id, const std::string& platform, const std::string& tenant,
                   const std::string& channel, const std::string& kind, const std::string& ref, const std::string& body,
                   std::int64_t created_at, int attempts = 0, std::optional<std::int64_t> sent_at = {},
                   std::optional<std::int64_t> failed_at = {}) {
  SQLite::Statement q(db,
                      "INSERT INTO outbox (user_id, platform, tenant, channel, kind, ref, body, created_at, attempts, "
                      "next_attempt_at, sent_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (user_id) q.bind(1, *user_id);
  else q.bind(1);
  q.bind(2, platform);
  q.bind(3, tenant);
  q.bind(4, channel);
  q.bind(5, kind);
  q.bind(6, ref);
  q.bind(7, body);
  q.bind(8, created_at);
  q.bind(9, attempts);
  q.bind(10, created_at + 7);
  if (sent_at) q.bind(11, *sent_at);
  else q.bind(11);
  if (failed_at) q.bind(12, *failed_at);
  else q.bind(12);
  q.exec();
}

json::object payload(const std::string& text) {
  return json::object{{"text", text},
                      {"blocks", json::array{json::object{{"type", "section"},
                                                          {"text", json::object{{"type", "mrkdwn"}, {"text", text}}}}}},
                      {"n", 3},
                      {"ratio", 1.5},
                      {"on", true}};
}

template <class T>
const T& slack_as(const std::optional<outbox::message>& m) {
  REQUIRE(m);
  const auto* s = std::get_if<slack::outbound>(&*m);
  REQUIRE(s);
  const T* x = std::get_if<T>(s);
  if (!x) FAIL("slack message of kind " << slack::kind_of(*s));
  return *x;
}

template <class T>
const T& discord_as(const std::optional<outbox::message>& m) {
  REQUIRE(m);
  const auto* d = std::get_if<discord::outbound>(&*m);
  REQUIRE(d);
  const T* x = std::get_if<T>(d);
  if (!x) FAIL("discord message of kind " << discord::kind_of(*d));
  return *x;
}

storage::outbox_message message_at(dialogs::timestamp at, std::int64_t user_id = 0, const std::string& tenant = "T1",
                                   const std::string& platform = "slack") {
  outbox::message m = platform == "slack" ? outbox::message{slack::outbound{slack::post_message{"C1", "", payload("x")}}}
                                          : outbox::message{discord::outbound{discord::create_message{"C1", payload("x")}}};
  return outbox::to_record(m, user_id, tenant, at);
}

// The value a gauge has in the /metrics text.
std::optional<double> gauge_value(const std::string& text, const std::string& name) {
  std::string prefix = "\n" + name + " ";
  auto at = ("\n" + text).find(prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + prefix.size() - 1));
}

}  // namespace

TEST_CASE("migration 5 rewrites unsent outbox rows of every old shape into typed bodies", "[storage][outbox][migration]") {
  temp_dir dir;
  std::string path = dir.file("v4.db");
  storage::migrate_sqlite_file_to(path, 4);
  json::object p_post = payload("posted \"here\" caf\xC3\xA9"), p_dm = payload("to the DM"), p_update = payload("answered"),
               p_ref = payload("answered by ref"), p_eph = payload("only you"), p_discord = payload("discord dm"),
               p_share = payload("share card"), p_follow = payload("follow-up"), p_sent = payload("long gone"),
               p_no_channel = payload("update without channel in body");
  json::object view{{"type", "modal"}, {"callback_id", "q:goal_note:r2"}, {"blocks", json::array{}}};
  json::object callback{{"type", 4}, {"data", json::object{{"content", "hi"}, {"flags", 64}}}};
  auto spliced = [](json::object body, const std::string& channel, const std::string& ts) {
    if (!channel.empty()) body["channel"] = channel;
    body["ts"] = ts;
    return json::serialize(body);
  };
  std::string sent_body = json::serialize(p_sent);
  std::string failed_body = spliced(p_update, "D0OLD", "1600000000.000001");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO users (id, platform, tenant, user_ref, created_at) VALUES (1, 'slack', 'T1', 'U1', 0)");
    db.exec("INSERT INTO users (id, platform, tenant, user_ref, created_at) VALUES (2, 'discord', '', '5390', 0)");
    insert_legacy(db, 1, "slack", "T1", "D0TEST", "slack.post", "q:motivation:r1", json::serialize(p_post), 100, 2);
    insert_legacy(db, 1, "slack", "T1", "", "slack.post", "", json::serialize(p_dm), 101);
    insert_legacy(db, 1, "slack", "T1", "D0TEST", "slack.update", "", spliced(p_update, "D0TEST", "1700000000.000100"), 102);
    insert_legacy(db, 1, "slack", "T1", "", "slack.update_ref", "q:ideal_day:r1", json::serialize(p_ref), 103);
    insert_legacy(db, 1, "slack", "T1", "C5", "slack.ephemeral", "", json::serialize(p_eph), 104);
    insert_legacy(db, 1, "slack", "T1", "", "slack.views_open", "",
                  json::serialize(json::object{{"trigger_id", "trig-7"}, {"view", view}}), 105);
    insert_legacy(db, 2, "discord", "", "DM22", "discord.post", "", json::serialize(p_discord), 106);
    insert_legacy(db, std::nullopt, "discord", "", "C9", "discord.post", "", json::serialize(p_share), 107);
    insert_legacy(db, 2, "discord", "", "", "discord.followup", "TOKEN9", json::serialize(p_follow), 108);
    insert_legacy(db, 2, "discord", "", "", "discord.callback", "846462639134605312/TOKEN10", json::serialize(callback), 109);
    insert_legacy(db, 1, "slack", "T1", "D0X", "slack.update", "", spliced(p_no_channel, "", "1700000000.000200"), 110);
    insert_legacy(db, 1, "slack", "T1", "D0OLD", "slack.post", "q:old:r1", sent_body, 50, 1, 60);
    insert_legacy(db, 1, "slack", "T1", "D0OLD", "slack.update", "", failed_body, 51, 5, std::nullopt, 70);
  }

  auto store = storage::open_sqlite_store({path});
  auto pending = store->outbox_pending(0, 100);
  REQUIRE(pending.size() == 11);
  std::vector<std::optional<outbox::message>> typed;
  for (const auto& r : pending) {
    INFO("row " << r.id << " " << r.kind << " " << r.body);
    typed.push_back(outbox::from_record(r));
    CHECK(typed.back());
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    CHECK(pending[i].id == static_cast<std::int64_t>(i + 1));
    CHECK(storage::timestamp(std::chrono::seconds(100 + i)) == pending[i].created_at);
  }

  const auto& post = slack_as<slack::post_message>(typed[0]);
  CHECK(post.channel == "D0TEST");
  CHECK(post.ref == "q:motivation:r1");
  CHECK(post.payload == p_post);
  CHECK(pending[0].attempts == 2);
  CHECK(pending[0].next_attempt_at == storage::timestamp(std::chrono::seconds(107)));
  CHECK(pending[0].user_id == 1);
  CHECK(pending[0].tenant == "T1");
  CHECK(pending[0].queue.empty());

  const auto& dm = slack_as<slack::post_message>(typed[1]);
  CHECK(dm.channel.empty());
  CHECK(dm.ref.empty());
  CHECK(dm.payload == p_dm);

  const auto& update = slack_as<slack::update_message>(typed[2]);
  CHECK(update.channel == "D0TEST");
  CHECK(update.ts == "1700000000.000100");
  CHECK(update.payload == p_update);  // channel and ts no longer inside the payload

  const auto& by_ref = slack_as<slack::update_posted>(typed[3]);
  CHECK(by_ref.ref == "q:ideal_day:r1");
  CHECK(by_ref.payload == p_ref);

  const auto& eph = slack_as<slack::post_ephemeral>(typed[4]);
  CHECK(eph.channel == "C5");
  CHECK(eph.user == "U1");
  CHECK(eph.payload == p_eph);

  const auto& modal = slack_as<slack::open_view>(typed[5]);
  CHECK(modal.trigger_id == "trig-7");
  CHECK(modal.view == view);

  const auto& dpost = discord_as<discord::create_message>(typed[6]);
  CHECK(dpost.channel == "DM22");
  CHECK(dpost.payload == p_discord);
  CHECK(pending[6].queue.empty());

  const auto& share = discord_as<discord::create_message>(typed[7]);
  CHECK(share.channel == "C9");
  CHECK(share.payload == p_share);
  CHECK(pending[7].user_id == 0);
  CHECK(pending[7].queue == "channel:discord:C9");  // nobody's messages keep their channel's order

  const auto& follow = discord_as<discord::followup>(typed[8]);
  CHECK(follow.token == "TOKEN9");
  CHECK(follow.payload == p_follow);

  const auto& cb = discord_as<discord::interaction_callback>(typed[9]);
  CHECK(cb.interaction_id == "846462639134605312");
  CHECK(cb.token == "TOKEN10");
  CHECK(cb.payload == callback);

  const auto& no_channel = slack_as<slack::update_message>(typed[10]);
  CHECK(no_channel.channel == "D0X");  // from the old column when the body had none
  CHECK(no_channel.ts == "1700000000.000200");
  CHECK(no_channel.payload == p_no_channel);

  // Rows already sent or given up on keep their old bodies.
  SQLite::Database db(path);
  SQLite::Statement q(db, "SELECT id, kind, body, sent_at, failed_at, attempts, queue FROM outbox WHERE id > 11 ORDER BY id");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(1).getString() == "slack.post");
  CHECK(q.getColumn(2).getString() == sent_body);
  CHECK(q.getColumn(3).getInt64() == 60);
  CHECK(q.getColumn(4).isNull());
  CHECK(q.getColumn(5).getInt() == 1);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(2).getString() == failed_body);
  CHECK(q.getColumn(4).getInt64() == 70);
  CHECK(q.getColumn(5).getInt() == 5);
  CHECK_FALSE(q.executeStep());
  // The destination lives in the body now.
  SQLite::Statement cols(db, "SELECT name FROM pragma_table_info('outbox')");
  std::vector<std::string> names;
  while (cols.executeStep()) names.push_back(cols.getColumn(0).getString());
  CHECK(std::find(names.begin(), names.end(), "channel") == names.end());
  CHECK(std::find(names.begin(), names.end(), "ref") == names.end());
  CHECK(std::find(names.begin(), names.end(), "queue") != names.end());
}

TEST_CASE("outbox records: every kind survives to_record, the store and from_record", "[outbox]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("o.db")});
  auto uid = store->ensure_user({"slack", "T1", "U1"}, t0());
  std::vector<outbox::message> all{
      slack::outbound{slack::post_message{"C1", "q:x:r1", payload("a")}},
      slack::outbound{slack::update_message{"C1", "1.2", payload("b")}},
      slack::outbound{slack::update_posted{"q:y:r1", payload("c")}},
      slack::outbound{slack::post_ephemeral{"C1", "U1", payload("d")}},
      slack::outbound{slack::open_view{"trig", json::object{{"type", "modal"}}}},
      discord::outbound{discord::create_message{"", payload("e")}},
      discord::outbound{discord::followup{"tok", payload("f")}},
      discord::outbound{discord::interaction_callback{"99", "tok", payload("g")}},
  };
  for (const auto& m : all) store->outbox_add(outbox::to_record(m, uid, "T1", t0(5s)));
  // A gateway interaction's callback belongs to nobody and stands in a queue of its own.
  auto lone = outbox::to_record(discord::outbound{discord::interaction_callback{"77", "tok2", payload("h")}}, 0, "", t0());
  CHECK(lone.queue == "interaction:77");
  CHECK(lone.user_id == 0);
  CHECK(outbox::to_record(all[7], uid, "", t0()).queue.empty());
  store->outbox_add(lone);

  auto rows = store->outbox_pending(0, 100);
  REQUIRE(rows.size() == all.size() + 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    INFO(rows[i].kind);
    CHECK(rows[i].platform == outbox::platform_of(all[i]));
    CHECK(rows[i].user_id == uid);
    CHECK(rows[i].next_attempt_at == t0(5s));
    auto back = outbox::from_record(rows[i]);
    REQUIRE(back);
    REQUIRE(back->index() == all[i].index());
    // Encoding again gives the same text: the same kind with the same fields.
    std::string again = std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, slack::outbound>) return std::string(slack::kind_of(x)) + slack::encode(x);
          else return std::string(discord::kind_of(x)) + discord::encode(x);
        },
        *back);
    CHECK(again == rows[i].kind + rows[i].body);
  }
  CHECK(rows.back().queue == "interaction:77");
  CHECK(rows.back().user_id == 0);
  CHECK(rows[0].kind == "slack.post");
  CHECK(rows[5].platform == "discord");

  // A row whose kind belongs to the other platform, or a kind this version does not know, reads as nothing.
  storage::outbox_message odd = rows[0];
  odd.platform = "discord";
  CHECK_FALSE(outbox::from_record(odd));
  odd.platform = "teams";
  CHECK_FALSE(outbox::from_record(odd));
  odd = rows[0];
  odd.kind = "slack.post_v2";
  CHECK_FALSE(outbox::from_record(odd));
  odd = rows[0];
  odd.body = "{}";
  CHECK_FALSE(outbox::from_record(odd));
}

// outbox_summary() once prepared "... WHERE id = min(o.id)", which SQLite refuses ("misuse
// of aggregate function min()"), so both outbox gauges always read -1.
TEST_CASE("outbox_summary: depth and the oldest waiting message, from the store", "[storage][outbox]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("s.db")});
  auto empty = store->outbox_summary();
  CHECK(empty.depth == 0);
  CHECK_FALSE(empty.oldest);
  for (int i = 1; i <= 4; ++i) store->outbox_add(message_at(t0(std::chrono::seconds(10 * i))));
  auto s = store->outbox_summary();
  CHECK(s.depth == 4);
  REQUIRE(s.oldest);
  CHECK(*s.oldest == t0(10s));
  store->outbox_sent(1, t0(50s));
  s = store->outbox_summary();
  CHECK(s.depth == 3);
  CHECK(*s.oldest == t0(20s));
  store->outbox_failed(2, "channel_not_found", t0(50s));
  store->outbox_retry(3, 1, t0(90s), "HTTP 503");  // still waiting
  s = store->outbox_summary();
  CHECK(s.depth == 2);
  CHECK(*s.oldest == t0(30s));
  store->outbox_sent(3, t0(95s));
  store->outbox_sent(4, t0(95s));
  s = store->outbox_summary();
  CHECK(s.depth == 0);
  CHECK_FALSE(s.oldest);
}

TEST_CASE("outbox gauges report the store's depth and age even beyond what the dispatcher holds",
          "[outbox][metrics]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("g.db")});
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0(100s);
  outbox_dispatcher::options o;
  o.max_loaded = 2;
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, o);
  std::vector<std::int64_t> offered;
  // A sender that never answers keeps what it was given in flight.
  outbox.set_sender([&](const storage::outbox_message& r, const slack::outbound&, send_done) { offered.push_back(r.id); });
  for (int i = 0; i < 5; ++i) store->outbox_add(message_at(t0(std::chrono::seconds(10 + i)), 0, "T1"));
  outbox.start();
  REQUIRE(mlpath::test::run_until(loop, [&] { return offered.size() == 2; }));
  loop.poll();
  CHECK(offered.size() == 2);  // no more than max_loaded held at once

  std::string text = m.render();
  CHECK(text.find("# TYPE mlpath_outbox_depth gauge") != std::string::npos);
  CHECK(text.find("# TYPE mlpath_outbox_oldest_age_seconds gauge") != std::string::npos);
  CHECK(gauge_value(text, "mlpath_outbox_depth") == Approx(5));
  CHECK(gauge_value(text, "mlpath_outbox_oldest_age_seconds") == Approx(90));

  // Changes made elsewhere show at the next scrape.
  store->outbox_sent(1, now);
  store->outbox_add(message_at(t0(200s)));
  now = t0(111s);
  text = m.render();
  CHECK(gauge_value(text, "mlpath_outbox_depth") == Approx(5));
  CHECK(gauge_value(text, "mlpath_outbox_oldest_age_seconds") == Approx(100));  // message 2, created at t0+11s
  for (std::int64_t id = 2; id <= 6; ++id) store->outbox_sent(id, now);
  text = m.render();
  CHECK(gauge_value(text, "mlpath_outbox_depth") == Approx(0));
  CHECK(gauge_value(text, "mlpath_outbox_oldest_age_seconds") == Approx(0));
}

TEST_CASE("outbox dispatcher: transient failures retried while the message is younger than a day", "[outbox]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("r.db")});
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0();
  outbox_dispatcher::options o;
  o.sweep_every = 5ms;
  o.min_attempts_to_give_up = 3;
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, o);
  int attempts = 0;
  outbox.set_sender([&](const storage::outbox_message&, const slack::outbound&, send_done done) {
    ++attempts;
    done(send_result::again("HTTP 503"));
  });
  store->outbox_add(message_at(t0()));
  outbox.start();
  REQUIRE(mlpath::test::run_until(loop, [&] { return attempts == 1; }));

  SQLite::Database db(dir.file("r.db"));
  auto row = [&](const char* column) { return db.execAndGet(std::string("SELECT ") + column + " FROM outbox WHERE id = 1"); };
  CHECK(row("attempts").getInt() == 1);
  CHECK(row("failed_at").isNull());
  auto next = row("next_attempt_at").getInt64();
  CHECK(next >= secs(t0(1s)));   // backoff: not at once
  CHECK(next <= secs(t0(5min)));  // capped
  CHECK(row("last_error").getString() == "HTTP 503");
  // Nothing more happens until the next attempt is due.
  loop.poll();
  CHECK(attempts == 1);

  now = t0(23h);
  REQUIRE(mlpath::test::run_until(loop, [&] { return attempts == 2; }));
  CHECK(row("attempts").getInt() == 2);
  CHECK(row("failed_at").isNull());
  CHECK(row("next_attempt_at").getInt64() > secs(t0(23h)));

  now = t0(24h + 1s);
  REQUIRE(mlpath::test::run_until(loop, [&] { return attempts == 3; }));
  REQUIRE(mlpath::test::run_until(loop, [&] { return !row("failed_at").isNull(); }, 2s));
  CHECK(row("failed_at").getInt64() == secs(t0(24h + 1s)));
  CHECK(row("sent_at").isNull());
  CHECK(store->outbox_pending(0, 10).empty());
  CHECK(m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 1);
  now = t0(48h);
  loop.poll();
  CHECK(attempts == 3);
}

TEST_CASE("outbox dispatcher: a clock jumping forward ends no message, one jumping back delays none", "[outbox][faults]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("j.db")});
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0();
  outbox_dispatcher::options o;
  o.sweep_every = 5ms;
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, o);
  int attempts = 0;
  bool platform_up = false;
  outbox.set_sender([&](const storage::outbox_message&, const slack::outbound&, send_done done) {
    ++attempts;
    done(platform_up ? send_result::ok() : send_result::again("HTTP 503"));
  });
  store->outbox_add(message_at(t0()));
  outbox.start();
  REQUIRE(mlpath::test::run_until(loop, [&] { return attempts == 1; }));
  // The wall clock leaps 30 days ahead: the message is "a month old" after one try.
  now = t0(std::chrono::hours(24 * 30));
  REQUIRE(mlpath::test::run_until(loop, [&] { return attempts == 2; }));
  CHECK(m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 0);
  CHECK(store->outbox_pending(0, 10).size() == 1);
  // Then it leaps back to a week before the start: the next attempt, scheduled in the
  // "future" month, must not wait for it.
  now = t0(-std::chrono::hours(24 * 7));
  platform_up = true;
  REQUIRE(mlpath::test::run_until(loop, [&] { return store->outbox_pending(0, 10).empty(); }, 5s));
  CHECK(attempts == 3);
  CHECK(m.counter_value("mlpath_outbox_sent_total", "platform=\"slack\"") == 1);
}

TEST_CASE("outbox dispatcher: an unreadable row is given up on, the rest still go", "[outbox]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("u.db")});
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now = t0();
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, {});
  std::vector<std::string> sent;
  outbox.set_sender([&](const storage::outbox_message& r, const slack::outbound& what, send_done done) {
    sent.push_back(std::get<slack::post_message>(what).payload.at("text").as_string().c_str());
    done(send_result::ok());
  });
  storage::outbox_message bad = message_at(t0());
  bad.kind = "slack.carrier_pigeon";
  store->outbox_add(bad);
  store->outbox_add(message_at(t0()));
  outbox.start();
  REQUIRE(mlpath::test::run_until(loop, [&] { return store->outbox_pending(0, 10).empty(); }));
  CHECK(sent == std::vector<std::string>{"x"});
  SQLite::Database db(dir.file("u.db"));
  CHECK_FALSE(db.execAndGet("SELECT failed_at FROM outbox WHERE id = 1").isNull());
  CHECK_FALSE(db.execAndGet("SELECT sent_at FROM outbox WHERE id = 2").isNull());
}

TEST_CASE("delete_installation drops what was still to be sent there, failed at the given time", "[storage][outbox]") {
  temp_dir dir;
  auto store = storage::open_sqlite_store({dir.file("i.db")});
  store->save_installation({"slack", "T1", "xoxb-1", "UB1", "BB1", "chat:write", t0()});
  store->save_installation({"slack", "T2", "xoxb-2", "UB2", "BB2", "chat:write", t0()});
  auto u1 = store->ensure_user({"slack", "T1", "U1"}, t0());
  auto u2 = store->ensure_user({"slack", "T2", "U2"}, t0());
  store->outbox_add(message_at(t0(1s), u1, "T1"));                // 1: pending in T1
  store->outbox_add(message_at(t0(2s), 0, "T1"));                 // 2: pending in T1, nobody's
  store->outbox_add(message_at(t0(3s), u2, "T2"));                // 3: another workspace
  store->outbox_add(message_at(t0(4s), u1, "T1"));                // 4: already sent
  store->outbox_add(message_at(t0(5s), 0, "T1", "discord"));      // 5: same tenant id, other platform
  store->outbox_sent(4, t0(10s));

  auto uninstall_at = t0(3h + 17s);
  CHECK(store->delete_installation("slack", "T1", uninstall_at));
  CHECK_FALSE(store->delete_installation("slack", "T1", uninstall_at + 1h));  // already gone

  SQLite::Database db(dir.file("i.db"));
  SQLite::Statement q(db, "SELECT id, failed_at, last_error, sent_at FROM outbox ORDER BY id");
  std::map<std::int64_t, std::optional<std::int64_t>> failed;
  std::map<std::int64_t, std::string> errors;
  while (q.executeStep()) {
    auto id = q.getColumn(0).getInt64();
    failed[id] = q.getColumn(1).isNull() ? std::nullopt : std::optional<std::int64_t>(q.getColumn(1).getInt64());
    errors[id] = q.getColumn(2).isNull() ? "" : q.getColumn(2).getString();
  }
  REQUIRE(failed.size() == 5);
  CHECK(failed[1] == secs(uninstall_at));
  CHECK(failed[2] == secs(uninstall_at));
  CHECK(errors[1] == "uninstalled");
  CHECK_FALSE(failed[3]);
  CHECK_FALSE(failed[4]);
  CHECK_FALSE(failed[5]);
  auto left = store->outbox_pending(0, 10);
  REQUIRE(left.size() == 2);
  CHECK(left[0].id == 3);
  CHECK(left[1].id == 5);
  auto installs = store->installations("slack");
  REQUIRE(installs.size() == 1);
  CHECK(installs[0].tenant == "T2");
}

TEST_CASE("migration 10: messages stored before shared bodies are read back as they were", "[storage][outbox][migration]") {
  temp_dir dir;
  std::string path = dir.file("v9.db");
  storage::migrate_sqlite_file_to(path, 9);
  std::string body = R"({"channel":"","ref":"q:motivation:r1","payload":{"text":"before"}})";
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO users (id, platform, tenant, user_ref, created_at) VALUES (1, 'slack', 'T1', 'U1', 0)");
    SQLite::Statement q(db, "INSERT INTO outbox (user_id, platform, tenant, queue, kind, body, created_at, next_attempt_at) "
                            "VALUES (1, 'slack', 'T1', 'U1', 'slack.post', ?, 100, 100)");
    q.bind(1, body);
    q.exec();
  }
  auto store = storage::open_sqlite_store({path});
  auto pending = store->outbox_pending(0, 10);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].body == body);
  auto e = store->export_user({"slack", "T1", "U1"});
  REQUIRE(e);
  REQUIRE(e->messages.size() == 1);
  CHECK(e->messages[0].body == body);
}

TEST_CASE("prune: old sent and given-up messages and old processed events go, nothing still to do", "[storage][outbox]") {
  temp_dir dir;
  std::string path = dir.file("p.db");
  auto store = storage::open_sqlite_store({path});
  using namespace std::chrono;
  const auto day = hours(24);
  for (int i = 1; i <= 5; ++i) store->outbox_add(message_at(t0(seconds(i))));
  store->outbox_sent(1, t0(10s));                    // old, sent: goes
  store->outbox_failed(2, "channel_not_found", t0(10s));  // old, given up: goes
  store->outbox_retry(3, 2, t0(60s), "HTTP 503");    // old, still to send: stays
  // 4 is old and waiting: stays. 5 is sent recently:
  store->outbox_sent(5, t0(10s));
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE outbox SET created_at = created_at + " + std::to_string(duration_cast<seconds>(40 * day).count()) +
            " WHERE id = 5");
  }
  auto event = [&](const std::string& id) {
    storage::inbox_event e;
    e.source = "slack";
    e.event_id = id;
    e.payload = "{}";
    e.received_at = t0();
    REQUIRE(store->inbox_add(e));
  };
  event("EvOld");
  event("EvWaiting");
  event("EvNew");
  store->inbox_done("slack", "EvOld", t0(1s));
  store->inbox_done("slack", "EvNew", t0(40 * day));

  auto now = t0(45 * day);
  CHECK(store->prune(now - 30 * day, now - 7 * day, 100) == 3);  // messages 1 and 2, EvOld
  auto count = [&](const std::string& sql) { return SQLite::Database(path).execAndGet(sql).getInt64(); };
  CHECK(SQLite::Database(path).execAndGet("SELECT group_concat(id) FROM (SELECT id FROM outbox ORDER BY id)").getString() ==
        "3,4,5");
  CHECK(count("SELECT count(*) FROM inbox WHERE event_id = 'EvOld'") == 0);
  CHECK(count("SELECT count(*) FROM inbox WHERE event_id IN ('EvWaiting', 'EvNew')") == 2);
  // A retry of a pruned event would be taken again; one still remembered is not.
  storage::inbox_event again;
  again.source = "slack";
  again.event_id = "EvNew";
  again.received_at = now;
  CHECK_FALSE(store->inbox_add(again));
  // In slices: with a limit of 1, one row of each kind per call.
  store->outbox_sent(3, t0(100s));
  store->outbox_sent(4, t0(100s));
  CHECK(store->prune(now - 30 * day, now, 1) == 2);
  CHECK(store->prune(now - 30 * day, now, 1) == 1);
  CHECK(store->prune(now - 30 * day, now, 1) == 0);
  CHECK(SQLite::Database(path).execAndGet("SELECT group_concat(id) FROM outbox").getString() == "5");
}
