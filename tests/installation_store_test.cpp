// Installations in storage (schema 9): the whole Slack installation round-trips, migration
// 9 keeps what schema 8 stored, the teams of org-wide installs are remembered, and erasing
// an installation takes exactly its people (the org's teams' for an org-wide one).
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::t0;
using mlpath::test::temp_dir;

namespace {

storage::sqlite_options at_path(const std::string& path) {
  storage::sqlite_options o;
  o.path = path;
  return o;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db);
  return d.execAndGet(sql).getInt64();
}

storage::installation slack_install(const std::string& tenant, const std::string& token) {
  storage::installation i;
  i.platform = "slack";
  i.tenant = tenant;
  i.bot_token = token;
  i.bot_user_id = "UB";
  i.installed_at = t0();
  return i;
}

}  // namespace

TEST_CASE("installations: every field round-trips, and a reinstall replaces the row whole", "[storage][oauth]") {
  temp_dir dir;
  auto s = storage::open_sqlite_store(at_path(dir.file("i.db")));
  storage::installation i = slack_install("E1", "xoxe.xoxb-1");
  i.bot_id = "B1";
  i.scopes = "chat:write,commands";
  i.enterprise_id = "E1";
  i.is_enterprise_install = true;
  i.app_id = "A1";
  i.installer_user_id = "U9";
  i.refresh_token = "xoxe-1-r";
  i.token_expires_at = t0(12h);
  i.updated_at = t0(1s);
  s->save_installation(i);
  auto back = s->find_installation("slack", "E1");
  REQUIRE(back);
  CHECK(back->bot_token == "xoxe.xoxb-1");
  CHECK(back->bot_id == "B1");
  CHECK(back->scopes == "chat:write,commands");
  CHECK(back->installed_at == t0());
  CHECK(back->enterprise_id == "E1");
  CHECK(back->is_enterprise_install);
  CHECK(back->app_id == "A1");
  CHECK(back->installer_user_id == "U9");
  CHECK(back->refresh_token == "xoxe-1-r");
  CHECK(back->token_expires_at == std::optional<storage::timestamp>(t0(12h)));
  CHECK(back->updated_at == t0(1s));
  CHECK_FALSE(s->find_installation("slack", "E2"));
  CHECK_FALSE(s->find_installation("discord", "E1"));

  // Reinstalled without rotation: nothing of the old rotation state is left.
  storage::installation again = slack_install("E1", "xoxb-2");
  s->save_installation(again);
  back = s->find_installation("slack", "E1");
  REQUIRE(back);
  CHECK(back->bot_token == "xoxb-2");
  CHECK(back->refresh_token.empty());
  CHECK_FALSE(back->token_expires_at);
  CHECK_FALSE(back->is_enterprise_install);
  CHECK(back->updated_at == t0());  // an unset updated_at is the install time
  CHECK(s->installations("slack").size() == 1);
}

TEST_CASE("installations: migration 9 keeps schema 8's installations", "[storage][oauth]") {
  temp_dir dir;
  std::string path = dir.file("old.db");
  storage::migrate_sqlite_file_to(path, 8);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO installations (platform, tenant, bot_token, bot_user_id, bot_id, scopes, installed_at) "
            "VALUES ('slack', 'T1', 'xoxb-old', 'UB', 'BB', 'chat:write', 1700000000)");
  }
  auto s = storage::open_sqlite_store(at_path(path));
  CHECK(storage::latest_schema_version() >= 9);
  auto i = s->find_installation("slack", "T1");
  REQUIRE(i);
  CHECK(i->bot_token == "xoxb-old");
  CHECK(i->bot_user_id == "UB");
  CHECK(i->refresh_token.empty());
  CHECK_FALSE(i->token_expires_at);
  CHECK_FALSE(i->is_enterprise_install);
  CHECK(i->updated_at == storage::timestamp(std::chrono::seconds(1700000000)));
  CHECK(s->slack_teams().empty());
}

TEST_CASE("installations: the teams of org-wide installs are remembered, written only when they change",
          "[storage][oauth]") {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto s = storage::open_sqlite_store(at_path(path));
  s->note_slack_team("T1", "E1", t0());
  s->note_slack_team("T1", "E1", t0(1h));  // the same: untouched
  s->note_slack_team("T2", "E1", t0(2h));
  CHECK(count(path, "SELECT seen_at FROM slack_teams WHERE team_id = 'T1'") == t0().time_since_epoch().count());
  s->note_slack_team("T1", "E2", t0(3h));  // moved to another org
  CHECK(count(path, "SELECT seen_at FROM slack_teams WHERE team_id = 'T1'") == t0(3h).time_since_epoch().count());
  auto teams = s->slack_teams();
  REQUIRE(teams.size() == 2);
  CHECK(teams[0] == std::make_pair(std::string("T1"), std::string("E2")));
  CHECK(teams[1] == std::make_pair(std::string("T2"), std::string("E1")));
}

TEST_CASE("installations: erasing one takes its people and what waits for them, nothing of anyone else",
          "[storage][oauth]") {
  temp_dir dir;
  std::string path = dir.file("e.db");
  auto s = storage::open_sqlite_store(at_path(path));
  auto org = slack_install("E1", "xoxb-org");
  org.is_enterprise_install = true;
  org.enterprise_id = "E1";
  s->save_installation(org);
  s->save_installation(slack_install("T3", "xoxb-3"));  // a team of E1 with its own installation
  s->save_installation(slack_install("T4", "xoxb-4"));  // another workspace
  s->note_slack_team("T1", "E1", t0());
  s->note_slack_team("T2", "E1", t0());
  s->note_slack_team("T3", "E1", t0());
  std::map<std::string, std::int64_t> ids;
  for (std::string team : {"T1", "T2", "T3", "T4"}) ids[team] = s->ensure_user({"slack", team, "U1"}, t0());
  ids["discord"] = s->ensure_user({"discord", "T1", "U1"}, t0());  // same tenant id, other platform
  for (const auto& [name, id] : ids) {
    storage::outbox_message m;
    m.user_id = id;
    m.platform = name == "discord" ? "discord" : "slack";
    m.tenant = name == "discord" ? "T1" : name;
    m.kind = "slack.post";
    m.body = "{}";
    m.next_attempt_at = t0();
    s->outbox_add(m);
    m.user_id = 0;  // and one to nobody in particular
    s->outbox_add(m);
    s->set_dm_channel(id, "D" + name);
  }
  storage::inbox_event ev{"slack", "Ev1", "application/json", "{\"text\":\"from T1\"}", t0()};
  s->inbox_add(ev);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE inbox SET user_id = " + std::to_string(ids["T1"]));
  }

  CHECK(s->erase_installation("slack", "E1"));
  CHECK_FALSE(s->erase_installation("slack", "E1"));  // already gone
  CHECK_FALSE(s->find_installation("slack", "E1"));
  CHECK_FALSE(s->find_user({"slack", "T1", "U1"}));
  CHECK_FALSE(s->find_user({"slack", "T2", "U1"}));
  CHECK(s->find_user({"slack", "T3", "U1"}));  // served by its own installation
  CHECK(s->find_user({"slack", "T4", "U1"}));
  CHECK(s->find_user({"discord", "T1", "U1"}));
  CHECK(count(path, "SELECT count(*) FROM outbox WHERE platform = 'slack' AND tenant IN ('T1', 'T2')") == 0);
  CHECK(count(path, "SELECT count(*) FROM outbox WHERE platform = 'slack' AND tenant = 'T3'") == 2);
  CHECK(count(path, "SELECT count(*) FROM outbox WHERE platform = 'discord'") == 2);
  CHECK(count(path, "SELECT count(*) FROM dm_channels") == 3);
  CHECK(count(path, "SELECT count(*) FROM inbox WHERE event_id = 'Ev1' AND payload IS NULL AND user_id IS NULL") == 1);
  CHECK(s->slack_teams().empty());
  CHECK(s->find_installation("slack", "T3"));
  CHECK(s->find_installation("slack", "T4"));

  CHECK(s->erase_installation("slack", "T4"));
  CHECK_FALSE(s->find_user({"slack", "T4", "U1"}));
  CHECK(s->find_user({"slack", "T3", "U1"}));
}
