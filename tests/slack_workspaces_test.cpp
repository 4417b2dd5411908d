// Many workspaces (DESIGN §3, §7): each payload is answered with its own installation's
// token (an org-wide install's for the org's teams), knows() says which payloads have an
// installation, app_uninstalled deletes a workspace's tokens and its people's data,
// tokens_revoked only the tokens, app_rate_limited is counted.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include "slack_teams_support.hpp"

using namespace mlpath;
using namespace mlpath::test::teams;
using mlpath::test::recorded_call;
using mlpath::test::run_until;

namespace {

grant workspace(const std::string& team, const std::string& token, const std::string& bot_user = "UBOT") {
  grant g;
  g.team = team;
  g.token = token;
  g.bot_user = bot_user;
  return g;
}

grant org(const std::string& enterprise, const std::string& token) {
  grant g;
  g.enterprise = enterprise;
  g.org_wide = true;
  g.token = token;
  return g;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db);
  return d.execAndGet(sql).getInt64();
}

// A person in `team` who has talked to mlpath (conversation, answers) and set up weekly
// check-ins, with a reply still waiting in the outbox.
std::int64_t person_with_everything(rig& r, const std::string& team, const std::string& user) {
  dialogs::user_ref who{"slack", team, user};
  auto now = r.now;
  r.conversations.handle(who, dialogs::input::typed("hi"), now);
  r.conversations.handle(who, dialogs::input::typed("1"), now + 1s);
  r.conversations.handle(who, dialogs::input::typed("checkin mon 09:00 Europe/Berlin"), now + 2s);
  auto id = r.store->find_user(who);
  REQUIRE(id);
  outbox::message msg{slack::outbound{slack::post_message{"D" + user, "", json::object{{"text", "pending"}}}}};
  r.store->outbox_add(outbox::to_record(msg, *id, team, now + 1h));  // far ahead: not sent during the test
  return *id;
}

}  // namespace

TEST_CASE("workspaces: knows() accepts only payloads of an installation", "[slack][oauth]") {
  rig r;
  r.start();
  CHECK_FALSE(r.workspaces->knows("T1", "", false));  // nothing installed yet
  r.install(workspace("T1", "xoxb-1"));
  r.install(org("E1", "xoxb-org"));
  CHECK(r.workspaces->knows("T1", "", false));
  CHECK(r.workspaces->knows("T1", "E7", false));     // a workspace install inside some org
  CHECK_FALSE(r.workspaces->knows("T2", "", false));
  CHECK_FALSE(r.workspaces->knows("", "", false));
  // Org-wide: the payload says so, and the org has the org-wide installation.
  CHECK(r.workspaces->knows("T5", "E1", true));
  CHECK(r.workspaces->knows("", "E1", true));
  CHECK_FALSE(r.workspaces->knows("T5", "E2", true));
  CHECK_FALSE(r.workspaces->knows("T5", "E1", false));  // not an install of T5 itself
  CHECK_FALSE(r.workspaces->knows("E1", "", false));    // the org's install is not a workspace's
  CHECK_FALSE(r.workspaces->knows("T1", "T1", true));   // a workspace install claimed as org-wide
}

TEST_CASE("workspaces: with SLACK_BOT_TOKEN, knows() is true until auth.test names the workspace, then only for it",
          "[slack][oauth]") {
  rig r("xoxb-single");
  CHECK(r.workspaces->knows("T0TEST", "", false));
  CHECK(r.workspaces->knows("TOTHER", "", false));  // unknown yet: the event waits in the inbox
  CHECK(r.workspaces->token_for("TOTHER") == "xoxb-single");
  r.start();
  REQUIRE(run_until(r.loop, [&] { return r.ready; }));
  CHECK(r.workspaces->knows("T0TEST", "", false));  // the fake's auth.test answers T0TEST
  CHECK_FALSE(r.workspaces->knows("TOTHER", "", false));
  CHECK(r.workspaces->token_for("T0TEST") == "xoxb-single");
  CHECK(r.workspaces->token_for("TOTHER").empty());  // another workspace never gets this token
  CHECK(r.workspaces->identity("T0TEST").user_id == "U0BOT");
  CHECK(r.workspaces->identity("TOTHER").user_id.empty());
}

TEST_CASE("workspaces: two workspaces each answered with their own token", "[slack][oauth]") {
  rig r;
  r.start();
  r.install(workspace("T1", "xoxb-one", "UB1"));
  r.install(workspace("T2", "xoxb-two", "UB2"));
  CHECK(r.workspaces->token_for("T1") == "xoxb-one");
  CHECK(r.workspaces->token_for("T2") == "xoxb-two");
  CHECK(r.workspaces->identity("T1").user_id == "UB1");
  CHECK(r.workspaces->identity("T2").user_id == "UB2");
  CHECK(r.workspaces->token_for("T3").empty());

  r.deliver("Ev1", dm_event("Ev1", "T1", "U1", "D1", "hi"));
  r.deliver("Ev2", dm_event("Ev2", "T2", "U1", "D2", "hi"));  // the same user id in another workspace
  REQUIRE(run_until(r.loop, [&] { return !r.posts_to("D1").empty() && !r.posts_to("D2").empty(); }));
  for (const auto& c : r.posts_to("D1")) CHECK(c.auth == "Bearer xoxb-one");
  for (const auto& c : r.posts_to("D2")) CHECK(c.auth == "Bearer xoxb-two");
  // Every call Slack saw for the people went with their workspace's token.
  for (const auto& c : r.fake.calls()) {
    if (c.method == "users.info" || c.method == "chat.postMessage") {
      bool one = c.auth == "Bearer xoxb-one", two = c.auth == "Bearer xoxb-two";
      CHECK((one || two));
    }
  }
  CHECK(r.store->find_user({"slack", "T1", "U1"}) != r.store->find_user({"slack", "T2", "U1"}));

  // The bot's own message in T2 is recognised by T2's bot user, not T1's.
  json::value own = json::parse(dm_event("Ev3", "T2", "UB2", "D2", "1"));
  r.deliver("Ev3", json::serialize(own));
  REQUIRE(run_until(r.loop, [&] { return r.processed("Ev3"); }));
  auto u = r.store->find_user({"slack", "T2", "UB2"});
  CHECK_FALSE(u);
}

TEST_CASE("workspaces: a team of an org-wide install is answered with the org's token, after a restart too",
          "[slack][oauth]") {
  rig r;
  r.start();
  r.install(org("E1", "xoxb-org"));
  r.install(workspace("T9", "xoxb-nine"));
  CHECK(r.workspaces->token_for("T5").empty());  // not yet known to be the org's

  r.deliver("Ev1", dm_event("Ev1", "T5", "U5", "D5", "hi", "E1", true));
  REQUIRE(run_until(r.loop, [&] { return !r.posts_to("D5").empty(); }));
  for (const auto& c : r.posts_to("D5")) CHECK(c.auth == "Bearer xoxb-org");
  CHECK(r.workspaces->token_for("T5") == "xoxb-org");
  CHECK(r.workspaces->identity("T5").user_id == "UBOT");
  auto teams = r.store->slack_teams();
  REQUIRE(teams.size() == 1);
  CHECK(teams[0] == std::make_pair(std::string("T5"), std::string("E1")));
  // A team with an installation of its own keeps its own token even when an org payload names it.
  r.workspaces->note_team("T9", "E1");
  CHECK(r.workspaces->token_for("T9") == "xoxb-nine");
  // A payload of a workspace install never maps a team to an org.
  r.deliver("Ev2", dm_event("Ev2", "T6", "U6", "D6", "hi", "E1", false));
  REQUIRE(run_until(r.loop, [&] { return r.processed("Ev2"); }));
  CHECK(r.workspaces->token_for("T6").empty());

  // Another process (or a restart) on the same database finds the team's org.
  auto second = storage::open_sqlite_store(rig::db_options(r.db_path));
  slack_workspaces again(r.loop, *second, r.api, "", r.clock, rig::workspace_options());
  bool ready = false;
  again.start([&] { ready = true; });
  REQUIRE(ready);
  CHECK(again.token_for("T5") == "xoxb-org");
  CHECK(again.token_for("T6").empty());
  CHECK(again.token_for("T9") == "xoxb-nine");
  again.stop();
}

TEST_CASE("workspaces: app_uninstalled deletes the workspace's tokens, schedules, outbox and people, others untouched",
          "[slack][oauth]") {
  rig r;
  r.start();
  r.install(workspace("T1", "xoxb-one", "UB1"));
  r.install(workspace("T2", "xoxb-two", "UB2"));
  r.install(org("E1", "xoxb-org"));
  r.workspaces->note_team("T5", "E1");
  auto gone = person_with_everything(r, "T1", "U1");
  auto stays = person_with_everything(r, "T2", "U2");
  auto org_person = person_with_everything(r, "T5", "U5");
  // A message to nobody in particular in T1 (as after an erase).
  outbox::message note{slack::outbound{slack::post_message{"C1", "", json::object{{"text", "bye"}}}}};
  r.store->outbox_add(outbox::to_record(note, 0, "T1", r.now + 1h));
  auto people = [&](const std::string& team) {
    return count(r.db_path, "SELECT count(*) FROM users WHERE tenant = '" + team + "'");
  };
  auto by_user = [&](const std::string& table, std::int64_t id) {
    return count(r.db_path, "SELECT count(*) FROM " + table + " WHERE user_id = " + std::to_string(id));
  };
  REQUIRE(by_user("checkin_books", gone) == 1);
  REQUIRE(by_user("answers", gone) >= 1);
  REQUIRE(by_user("checkin_books", stays) == 1);

  r.deliver("EvU1", event_envelope("EvU1", "T1", json::object{{"type", "app_uninstalled"}}));
  REQUIRE(run_until(r.loop, [&] { return r.processed("EvU1"); }));
  CHECK(r.workspaces->token_for("T1").empty());
  CHECK_FALSE(r.workspaces->knows("T1", "", false));
  CHECK_FALSE(r.store->find_installation("slack", "T1"));
  CHECK(people("T1") == 0);
  for (const char* table : {"conversations", "answers", "answer_log", "checkin_books", "outbox"})
    CHECK(by_user(table, gone) == 0);
  CHECK(count(r.db_path, "SELECT count(*) FROM outbox WHERE tenant = 'T1'") == 0);
  // Another workspace is untouched.
  CHECK(r.workspaces->token_for("T2") == "xoxb-two");
  CHECK(r.store->find_installation("slack", "T2"));
  CHECK(people("T2") == 1);
  CHECK(by_user("checkin_books", stays) == 1);
  CHECK(count(r.db_path, "SELECT count(*) FROM checkin_books WHERE active = 1 AND user_id = " + std::to_string(stays)) == 1);
  CHECK(by_user("outbox", stays) == 1);
  CHECK(people("T5") == 1);

  // A DM from T1 that was stored before the uninstall and is processed after it: dropped,
  // nobody recreated, nothing sent.
  r.deliver("EvLate", mlpath::test::slack_dm_event("EvLate", "U1", "hi", "D1", "T1"));
  REQUIRE(run_until(r.loop, [&] { return r.processed("EvLate"); }));
  CHECK(people("T1") == 0);
  CHECK(count(r.db_path, "SELECT count(*) FROM outbox WHERE tenant = 'T1'") == 0);

  // The org's uninstall takes the people of its teams.
  r.deliver("EvU2", event_envelope("EvU2", "T5", json::object{{"type", "app_uninstalled"}}, "E1", true));
  REQUIRE(run_until(r.loop, [&] { return r.processed("EvU2"); }));
  CHECK_FALSE(r.store->find_installation("slack", "E1"));
  CHECK(r.workspaces->token_for("T5").empty());
  CHECK(people("T5") == 0);
  CHECK(by_user("checkin_books", org_person) == 0);
  CHECK(r.store->slack_teams().empty());
  CHECK(people("T2") == 1);
  CHECK(r.workspaces->token_for("T2") == "xoxb-two");
}

TEST_CASE("workspaces: team_access_revoked deletes the people of the teams the org install left, the rest stays",
          "[slack][oauth]") {
  rig r;
  r.start();
  r.install(org("E1", "xoxb-org"));
  r.install(workspace("T9", "xoxb-nine"));
  r.workspaces->note_team("T5", "E1");
  r.workspaces->note_team("T6", "E1");
  auto left = person_with_everything(r, "T5", "U5");
  auto stays = person_with_everything(r, "T6", "U6");
  auto own = person_with_everything(r, "T9", "U9");
  auto by_user = [&](const std::string& table, std::int64_t id) {
    return count(r.db_path, "SELECT count(*) FROM " + table + " WHERE user_id = " + std::to_string(id));
  };
  json::object event{{"type", "team_access_revoked"}, {"team_ids", json::array{"T5", "T9"}}};
  r.deliver("EvT1", event_envelope("EvT1", "", event, "E1", true));
  REQUIRE(run_until(r.loop, [&] { return r.processed("EvT1"); }));
  for (const char* table : {"conversations", "answers", "checkin_books", "outbox"}) CHECK(by_user(table, left) == 0);
  CHECK(count(r.db_path, "SELECT count(*) FROM users WHERE tenant = 'T5'") == 0);
  CHECK(r.workspaces->token_for("T5").empty());
  // The org's other team and a team with its own installation keep everything.
  CHECK(by_user("checkin_books", stays) == 1);
  CHECK(by_user("outbox", stays) == 1);
  CHECK(r.workspaces->token_for("T6") == "xoxb-org");
  CHECK(by_user("checkin_books", own) == 1);
  CHECK(r.workspaces->token_for("T9") == "xoxb-nine");
  CHECK(r.store->find_installation("slack", "E1"));
  auto teams = r.store->slack_teams();
  REQUIRE(teams.size() == 1);
  CHECK(teams[0].first == "T6");
  // Never for an empty team, the org itself, or a team recorded for another org.
  r.store->note_slack_team("T7", "E2", r.now);
  auto other_org = person_with_everything(r, "T7", "U7");
  CHECK_FALSE(r.store->erase_slack_team("", "E1"));
  CHECK_FALSE(r.store->erase_slack_team("E1", "E1"));
  CHECK_FALSE(r.store->erase_slack_team("T7", "E1"));
  CHECK(by_user("checkin_books", other_org) == 1);
  CHECK(by_user("checkin_books", stays) == 1);
}

TEST_CASE("workspaces: tokens_revoked deletes the bot token and stops sending with it, people's data stays",
          "[slack][oauth]") {
  rig r;
  r.start();
  r.install(workspace("T1", "xoxb-one", "UB1"));
  r.install(workspace("T2", "xoxb-two", "UB2"));
  auto person = person_with_everything(r, "T1", "U1");
  auto other = person_with_everything(r, "T2", "U2");

  SECTION("user tokens only: nothing changes") {
    r.deliver("EvR1", event_envelope("EvR1", "T1",
                                     json::object{{"type", "tokens_revoked"},
                                                  {"tokens", json::object{{"oauth", json::array{"U1"}}}}}));
    REQUIRE(run_until(r.loop, [&] { return r.processed("EvR1"); }));
    CHECK(r.workspaces->token_for("T1") == "xoxb-one");
    CHECK(r.store->find_installation("slack", "T1"));
  }
  SECTION("another bot's token: nothing changes") {
    r.deliver("EvR2", event_envelope("EvR2", "T1",
                                     json::object{{"type", "tokens_revoked"},
                                                  {"tokens", json::object{{"bot", json::array{"UOTHER"}}}}}));
    REQUIRE(run_until(r.loop, [&] { return r.processed("EvR2"); }));
    CHECK(r.workspaces->token_for("T1") == "xoxb-one");
  }
  SECTION("our bot's token") {
    r.deliver("EvR3", event_envelope("EvR3", "T1",
                                     json::object{{"type", "tokens_revoked"},
                                                  {"tokens", json::object{{"oauth", json::array{}}, {"bot", json::array{"UB1"}}}}}));
    REQUIRE(run_until(r.loop, [&] { return r.processed("EvR3"); }));
    CHECK(r.workspaces->token_for("T1").empty());
    CHECK_FALSE(r.workspaces->knows("T1", "", false));
    CHECK_FALSE(r.store->find_installation("slack", "T1"));
    // The person's data stays; their check-ins stop and what was waiting is given up.
    CHECK(r.store->find_user({"slack", "T1", "U1"}) == std::optional<std::int64_t>(person));
    CHECK(r.store->load_conversation(person).revision > 0);
    CHECK(count(r.db_path, "SELECT count(*) FROM answers WHERE user_id = " + std::to_string(person)) >= 1);
    CHECK(count(r.db_path, "SELECT active FROM checkin_books WHERE user_id = " + std::to_string(person)) == 0);
    for (const auto& m : r.store->outbox_pending(0, 100)) CHECK(m.tenant != "T1");
    // Nothing is sent there any more: a new reply for the person is given up, not sent.
    outbox::message msg{slack::outbound{slack::post_message{"D1", "", json::object{{"text", "after"}}}}};
    r.store->outbox_add(outbox::to_record(msg, person, "T1", wall_now()));
    r.outbox.kick();
    REQUIRE(run_until(r.loop, [&] {
      for (const auto& m : r.store->outbox_pending(0, 100))
        if (m.tenant == "T1") return false;
      return true;
    }));
    CHECK(r.posts_to("D1").empty());
    // The other workspace goes on.
    CHECK(r.workspaces->token_for("T2") == "xoxb-two");
    CHECK(count(r.db_path, "SELECT active FROM checkin_books WHERE user_id = " + std::to_string(other)) == 1);
  }
}

TEST_CASE("workspaces: app_rate_limited is logged and counted", "[slack][oauth]") {
  rig r;
  r.start();
  r.install(workspace("T1", "xoxb-one"));
  CHECK(r.m.counter_value("mlpath_slack_app_rate_limited_total") == 0);
  CHECK(r.m.render().find("# TYPE mlpath_slack_app_rate_limited_total counter") != std::string::npos);
  std::string body = R"({"token":"x","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A0MLPATH"})";
  storage::inbox_event ev{"slack", "sig:rl1", mlpath::test::slack::json_type, body, wall_now()};
  REQUIRE(r.store->inbox_add(ev));
  r.processor->accept(ev, std::nullopt);  // read back as after a restart
  REQUIRE(run_until(r.loop, [&] { return r.processed("sig:rl1"); }));
  CHECK(r.m.counter_value("mlpath_slack_app_rate_limited_total") == 1);
  CHECK(r.workspaces->token_for("T1") == "xoxb-one");
}
