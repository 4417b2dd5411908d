// SQLite storage: migrations, one transaction per turn, export/delete, backup, and bad files.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <boost/json.hpp>

#include "bot/cli/user_export_json.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::storage;
using mlpath::test::t0;
using mlpath::test::temp_dir;

namespace {

std::vector<std::string> tables(SQLite::Database& db) {
  std::vector<std::string> out;
  SQLite::Statement q(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

long long count(SQLite::Database& db, const std::string& sql) { return db.execAndGet(sql).getInt64(); }

// Plays a few turns for one user through the real service.
void play(conversation_service& svc, const user_ref& u, int answers) {
  svc.handle(u, dialogs::input::open(), t0());
  for (int i = 0; i < answers; ++i) svc.handle(u, dialogs::input::typed("1"), t0(std::chrono::seconds(10 * (i + 1))));
}

// Answers every question (skipping the optional text) and confirms the summary.
void complete(conversation_service& svc, store& s, const user_ref& u) {
  svc.handle(u, dialogs::input::open(), t0());
  for (int i = 0; i < 20 && s.load_conversation(*s.find_user(u)).state.at == dialogs::stage::asking; ++i)
    svc.handle(u, dialogs::input::typed(i == 10 ? "skip" : "1"), t0(std::chrono::seconds(i + 1)));
  svc.handle(u, dialogs::input::typed("yes"), t0(std::chrono::seconds(100)));
}

}  // namespace

TEST_CASE("an empty file is migrated to the latest schema", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("a.db")});
  SQLite::Database db(dir.file("a.db"));
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == latest_schema_version());
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  auto t = tables(db);
  for (const char* name : {"users", "conversations", "answers", "answer_log", "results", "inbox", "outbox",
                           "installations", "checkin_books", "checkin_history"})
    CHECK(std::find(t.begin(), t.end(), name) != t.end());
}

TEST_CASE("every earlier schema version migrates forward with its data intact", "[storage]") {
  for (int v = 1; v < latest_schema_version(); ++v) {
    INFO("from version " << v);
    temp_dir dir;
    std::string path = dir.file("old.db");
    migrate_sqlite_file_to(path, v);
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      REQUIRE(db.execAndGet("PRAGMA user_version").getInt() == v);
      db.exec("INSERT INTO users (platform, tenant, user_ref, created_at) VALUES ('console', '', 'old', 1)");
      db.exec("INSERT INTO conversations (user_id, flow_id, flow_version, stage, current_question) "
              "VALUES (1, 'reflection', 1, 'asking', 'ideal_day')");
    }
    auto s = open_sqlite_store({path});
    auto id = s->find_user({"console", "", "old"});
    REQUIRE(id);
    auto c = s->load_conversation(*id);
    CHECK(c.state.current == "ideal_day");
    CHECK(c.revision == 1);
    SQLite::Database db(path);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == latest_schema_version());
  }
}

TEST_CASE("a database from a newer mlpath is refused", "[storage]") {
  temp_dir dir;
  {
    SQLite::Database db(dir.file("new.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 999");
  }
  CHECK_THROWS_WITH(open_sqlite_store({dir.file("new.db")}), Catch::Contains("newer than this mlpath"));
}

TEST_CASE("a turn saves state, answers, history and result together", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("t.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  user_ref u{"console", "", "ann"};
  play(svc, u, 3);
  auto id = s->find_user(u);
  REQUIRE(id);
  auto c = s->load_conversation(*id);
  CHECK(c.state.at == dialogs::stage::asking);
  CHECK(c.state.current == "languages");
  CHECK(c.state.answers.size() == 3);
  CHECK(c.revision == 4);
  SQLite::Database db(dir.file("t.db"));
  CHECK(count(db, "SELECT count(*) FROM answer_log") == 3);
  // Answering again (back, then a new answer) appends to the history, replaces the answer.
  svc.handle(u, dialogs::input::typed("back"), t0(std::chrono::seconds(100)));
  svc.handle(u, dialogs::input::typed("2"), t0(std::chrono::seconds(110)));
  CHECK(count(db, "SELECT count(*) FROM answer_log") == 4);
  CHECK(count(db, "SELECT count(*) FROM answers") == 3);
}

TEST_CASE("a failed turn rolls back completely", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("r.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  user_ref u{"console", "", "bob"};
  play(svc, u, 2);
  auto id = *s->find_user(u);
  auto before = s->load_conversation(id);
  {
    // Make the history insert fail half-way through the turn's transaction.
    SQLite::Database db(dir.file("r.db"), SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER fail_log BEFORE INSERT ON answer_log BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
  }
  CHECK_THROWS_AS(svc.handle(u, dialogs::input::typed("1"), t0(std::chrono::seconds(500))), storage_error);
  auto after = s->load_conversation(id);
  CHECK(after.revision == before.revision);
  CHECK(after.state == before.state);
}

TEST_CASE("a stale revision is a conflict, and the service replays the turn", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("c.db")});
  auto s2 = open_sqlite_store({dir.file("c.db")});  // a second process on the same file
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  conversation_service svc2(mlpath::test::builtin_engine(), *s2);
  user_ref u{"console", "", "cy"};
  play(svc, u, 1);
  auto id = *s->find_user(u);
  auto loaded = s->load_conversation(id);
  svc2.handle(u, dialogs::input::typed("2"), t0(std::chrono::seconds(60)));  // moves it on meanwhile
  turn_record t;
  t.user_id = id;
  t.expected_revision = loaded.revision;
  t.state = loaded.state;
  CHECK_THROWS_AS(s->save_turn(t), conflict_error);
  // Through the service the turn is replayed on the fresh state instead.
  svc.handle(u, dialogs::input::typed("1"), t0(std::chrono::seconds(70)));
  CHECK(s->load_conversation(id).state.answers.size() == 3);
}

TEST_CASE("export holds everything about a person, delete leaves nothing behind", "[storage]") {
  namespace json = boost::json;
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("e.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  user_ref dana{"console", "", "dana"}, eve{"console", "", "eve"};
  play(svc, eve, 2);
  complete(svc, *s, dana);
  auto id = *s->find_user(dana);
  {
    SQLite::Database db(dir.file("e.db"), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO checkin_books (user_id, scheduled, weekday, minute_of_day, zone, active, next_due_at) VALUES (" +
            std::to_string(id) + ", 1, 1, 540, 'Europe/Berlin', 1, 0)");
    db.exec("INSERT INTO outbox (user_id, platform, kind, body, created_at) VALUES (" + std::to_string(id) +
            ", 'console', 'text', '{\"text\":\"dana-message\"}', 0)");
    db.exec("INSERT INTO inbox (source, event_id, received_at, user_id, payload) VALUES ('slack', 'Ev1', 0, " +
            std::to_string(id) + ", '{\"user\":\"dana\"}')");
  }
  auto exported = s->export_user(dana);
  REQUIRE(exported);
  json::value doc = user_export_json(*exported);
  CHECK(doc.at("user").at("user") == "dana");
  CHECK(doc.at("conversation").at("stage") == "done");
  CHECK(doc.at("conversation").at("answers").as_array().size() == 11);
  CHECK(doc.at("answer_history").as_array().size() == 11);
  CHECK(doc.at("result").at("match").at("roles").as_array().size() == 5);
  CHECK(doc.at("checkins").as_array().size() == 1);
  CHECK(doc.at("messages").as_array().size() == 1);

  REQUIRE(s->erase_user(dana));
  CHECK_FALSE(s->export_user(dana));
  CHECK_FALSE(s->erase_user(dana));
  // Look everywhere for leftovers: no row mentions dana's id or name.
  SQLite::Database db(dir.file("e.db"));
  for (const auto& t : tables(db)) {
    INFO(t);
    SQLite::Statement cols(db, "SELECT name FROM pragma_table_info('" + t + "')");
    while (cols.executeStep()) {
      std::string col = cols.getColumn(0).getString();
      if (col == "user_id")
        CHECK(count(db, "SELECT count(*) FROM " + t + " WHERE user_id = " + std::to_string(id)) == 0);
      CHECK(count(db, "SELECT count(*) FROM " + t + " WHERE CAST(\"" + col + "\" AS TEXT) LIKE '%dana%'") == 0);
    }
  }
  // The inbox keeps the dedupe id so a platform retry is still recognised.
  CHECK(count(db, "SELECT count(*) FROM inbox WHERE event_id = 'Ev1'") == 1);
  // Eve is untouched.
  CHECK(s->load_conversation(*s->find_user(eve)).state.answers.size() == 2);
}

TEST_CASE("the engine's delete erases the person's data", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("d.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  user_ref u{"console", "", "fay"};
  play(svc, u, 2);
  svc.handle(u, dialogs::input::typed("delete"), t0(std::chrono::seconds(50)));
  auto out = svc.handle(u, dialogs::input::typed("yes"), t0(std::chrono::seconds(60)));
  CHECK(out.erased);
  CHECK_FALSE(s->find_user(u));
}

TEST_CASE("a stored result is recomputed when the weights' version changes", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("w.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  user_ref u{"console", "", "gus"};
  complete(svc, *s, u);
  auto id = *s->find_user(u);
  auto r = s->load_result(id);
  REQUIRE(r);
  CHECK(r->scoring_version == mlpath::test::builtin()->scoring.version);
  // Pretend it was computed under an older version.
  stored_result old = *r;
  old.scoring_version = 0;
  old.json = "{}";
  s->save_result(id, old);
  svc.handle(u, dialogs::input::typed("status"), t0(std::chrono::seconds(50)));
  auto fresh = s->load_result(id);
  CHECK(fresh->scoring_version == mlpath::test::builtin()->scoring.version);
  CHECK(fresh->json.find("\"roles\"") != std::string::npos);
}

TEST_CASE("online backup produces a consistent copy", "[storage]") {
  temp_dir dir;
  auto s = open_sqlite_store({dir.file("b.db")});
  conversation_service svc(mlpath::test::builtin_engine(), *s);
  play(svc, {"console", "", "hal"}, 4);
  s->backup(dir.file("copy.db"));
  CHECK(sqlite_integrity_check(dir.file("copy.db")) == "ok");
  auto copy = open_sqlite_store({dir.file("copy.db")});
  auto id = copy->find_user({"console", "", "hal"});
  REQUIRE(id);
  CHECK(copy->load_conversation(*id).state.answers.size() == 4);
  // Through the CLI too.
  auto r = mlpath::test::run({mlpath::test::mlpath_binary(), "backup", dir.file("cli.db"), "--db", dir.file("b.db")});
  CHECK(r.status == 0);
  CHECK(r.out.find("integrity check: ok") != std::string::npos);
  auto again = mlpath::test::run({mlpath::test::mlpath_binary(), "backup", dir.file("cli.db"), "--db", dir.file("b.db")});
  CHECK(again.status == 1);
  CHECK(again.err.find("already exists") != std::string::npos);
}

TEST_CASE("a corrupted file gives one clear error line", "[storage]") {
  temp_dir dir;
  mlpath::test::write_text(dir.path() / "bad.db", std::string(8192, 'x'));
  CHECK_THROWS_WITH(open_sqlite_store({dir.file("bad.db")}), Catch::Contains("corrupted or not an SQLite database"));
  auto r = mlpath::test::run({mlpath::test::mlpath_binary(), "chat", "--db", dir.file("bad.db")}, "hi\n");
  CHECK(r.status == 1);
  CHECK(r.err.find("mlpath: database " + dir.file("bad.db") + ": the file is corrupted") == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("a locked file gives one clear error line", "[storage]") {
  temp_dir dir;
  { open_sqlite_store({dir.file("l.db")}); }
  SQLite::Database holder(dir.file("l.db"), SQLite::OPEN_READWRITE);
  holder.exec("PRAGMA locking_mode = EXCLUSIVE");
  holder.exec("BEGIN EXCLUSIVE");
  CHECK_THROWS_WITH(open_sqlite_store({dir.file("l.db"), false, 100}), Catch::Contains("locked by another process"));
  holder.exec("COMMIT");
}

TEST_CASE("a read-only file gives one clear error line", "[storage]") {
  temp_dir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  { open_sqlite_store({dir.file("ro.db")}); }
  std::filesystem::permissions(dir.file("ro.db"), std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                                      std::filesystem::perms::others_read);
  // As root file permissions do not apply, so the child runs as nobody.
  auto r = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "console", "--user", "x",
                              "--db", dir.file("ro.db")},
                             "", {}, true);
  CHECK(r.status == 1);
  CHECK(r.err.find("is read-only") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("user export and delete find a person by id alone when it is unique, --tenant disambiguates", "[storage][cli]") {
  temp_dir dir;
  {
    auto s = open_sqlite_store({dir.file("u.db")});
    conversation_service svc(mlpath::test::builtin_engine(), *s);
    svc.handle({"slack", "T1", "U7"}, dialogs::input::open(), t0());
    svc.handle({"slack", "T1", "U8"}, dialogs::input::open(), t0());
    svc.handle({"slack", "T2", "U8"}, dialogs::input::open(), t0());
  }
  auto db = "--db=" + dir.file("u.db");
  auto one = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--user", "U7", db});
  CHECK(one.status == 0);
  CHECK(one.out.find("\"tenant\":\"T1\"") != std::string::npos);
  auto two = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "delete", "--platform", "slack", "--user", "U8", db});
  CHECK(two.status == 2);
  CHECK(two.err.find("--tenant") != std::string::npos);
  auto named = mlpath::test::run(
      {mlpath::test::mlpath_binary(), "user", "delete", "--platform", "slack", "--user", "U8", "--tenant", "T2", db});
  CHECK(named.status == 0);
  auto s = open_sqlite_store({dir.file("u.db")});
  CHECK(s->find_user({"slack", "T1", "U8"}));
  CHECK_FALSE(s->find_user({"slack", "T2", "U8"}));
}
