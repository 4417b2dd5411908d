// Running mlpath in production: configuration checked at start and by --check-config,
// secrets kept out of every output, JSON logs, complete /metrics, /readyz and a graceful
// SIGTERM. Real `mlpath serve` processes; fakes on 127.0.0.1:0.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <signal.h>

#include <boost/json.hpp>
#include <regex>

#include "fake_discord.hpp"
#include "fake_slack.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

namespace json = boost::json;
using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::child_process;
using mlpath::test::fake_slack;
using mlpath::test::temp_dir;

namespace {

std::string binary() { return mlpath::test::mlpath_binary(); }

using serve = mlpath::test::serve_process;

// Polls `probe` until it holds: waiting for an outcome the service reaches on its own
// timers (the readiness probe), never a fixed sleep.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return probe();
}

const std::vector<std::string> families = {
    "mlpath_inbound_requests_total",      "mlpath_ack_latency_seconds",          "mlpath_engine_turns_total",
    "mlpath_outbox_depth",                "mlpath_outbox_oldest_age_seconds",    "mlpath_outbound_requests_total",
    "mlpath_outbound_retries_total",      "mlpath_outbound_429_total",           "mlpath_gateway_sessions_total",
    "mlpath_socket_mode_connections_total", "mlpath_scheduler_lag_seconds",      "mlpath_checkins_total",
    "mlpath_sqlite_transaction_seconds"};

}  // namespace

TEST_CASE("serve --check-config prints what would run, contacts no platform, and exits 0", "[ops][config]") {
  temp_dir dir;
  fake_slack slack;
  mlpath::test::fake_discord discord;
  auto r = mlpath::test::run({binary(), "serve", "--check-config"}, "",
                             {"MLPATH_DB=" + dir.file("c.db"), "MLPATH_LISTEN=0.0.0.0:8080",
                              "SLACK_SIGNING_SECRET=s1", "SLACK_BOT_TOKEN=xoxb-1", "SLACK_API_URL=" + slack.api_url(),
                              "DISCORD_BOT_TOKEN=d1", "DISCORD_APPLICATION_ID=APP1",
                              "DISCORD_PUBLIC_KEY=" + discord.public_key_hex(), "DISCORD_API_URL=" + discord.api_url(),
                              "MLPATH_DURABILITY=fsync", "MLPATH_LOG_FORMAT=text"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("listen      0.0.0.0:8080") != std::string::npos);
  CHECK(r.out.find(dir.file("c.db") + ", SQLite: a new file") != std::string::npos);
  CHECK(r.out.find("durability  fsync") != std::string::npos);
  CHECK(r.out.find("slack       HTTP, one workspace") != std::string::npos);
  CHECK(r.out.find("discord     interactions endpoint POST /discord/interactions, gateway") != std::string::npos);
  CHECK(r.out.find("logs        text") != std::string::npos);
  CHECK(r.out.find("configuration ok") != std::string::npos);
  CHECK(r.err.empty());
  CHECK(slack.calls().empty());
  CHECK(discord.calls().empty());
  CHECK(discord.connections() == 0);
  CHECK_FALSE(std::filesystem::exists(dir.file("c.db")));  // offline: nothing created either

  // An existing database from an older mlpath is reported as one to migrate.
  storage::migrate_sqlite_file_to(dir.file("old.db"), 3);
  auto old = mlpath::test::run({binary(), "serve", "--check-config"}, "", {"MLPATH_DB=" + dir.file("old.db")});
  CHECK(old.status == 0);
  CHECK(old.out.find("schema 3, migrated to") != std::string::npos);
  CHECK(old.out.find("slack       off") != std::string::npos);
}

TEST_CASE("a bad setting stops --check-config and start-up with the same one line, exit 2", "[ops][config]") {
  temp_dir dir;
  std::filesystem::create_directory(dir.file("ro"));
  storage::migrate_sqlite_file_to(dir.file("new.db"), storage::latest_schema_version());
  {
    SQLite::Database db(dir.file("new.db"), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(storage::latest_schema_version() + 1));
  }
  struct bad {
    std::vector<std::string> env;
    std::string names;
  };
  std::vector<bad> cases = {
      {{"MLPATH_LISTEN=localhost:3000"}, "MLPATH_LISTEN"},
      {{"MLPATH_LISTEN=127.0.0.1:http"}, "MLPATH_LISTEN"},
      {{"MLPATH_LOG_FORMAT=yaml"}, "MLPATH_LOG_FORMAT"},
      {{"MLPATH_LOG_LEVEL=loud"}, "MLPATH_LOG_LEVEL"},
      {{"MLPATH_DURABILITY=sometimes"}, "MLPATH_DURABILITY"},
      {{"MLPATH_DB=" + dir.file("missing/dir/x.db")}, "MLPATH_DB"},
      {{"MLPATH_DB=" + dir.file("new.db")}, "MLPATH_DB"},  // written by a newer mlpath
      {{"MLPATH_DB=" + dir.path().string()}, "MLPATH_DB"},  // a directory
      {{"MLPATH_DB=postgresql://mlpath:pw@db/mlpath"}, "MLPATH_DB"},
      {{"MLPATH_CONTENT_DIR=" + dir.file("nowhere")}, "MLPATH_CONTENT_DIR"},
      {{"MLPATH_CA_FILE=" + dir.file("nowhere.pem")}, "MLPATH_CA_FILE"},
      {{"MLPATH_PUBLIC_URL=http://example.com"}, "MLPATH_PUBLIC_URL"},
      {{"SLACK_BOT_TOKEN=xoxb-1"}, "SLACK_SIGNING_SECRET"},
      {{"SLACK_APP_TOKEN=xapp-1"}, "SLACK_BOT_TOKEN"},
      {{"SLACK_SIGNING_SECRET=s", "SLACK_CLIENT_ID=1"}, "SLACK_CLIENT_SECRET"},
      {{"SLACK_SIGNING_SECRET=s", "SLACK_BOT_TOKEN=xoxp-user"}, "SLACK_BOT_TOKEN"},
      {{"SLACK_SIGNING_SECRET=s\n", "SLACK_BOT_TOKEN=xoxb-1"}, "SLACK_SIGNING_SECRET"},
      {{"SLACK_SIGNING_SECRET=s", "SLACK_BOT_TOKEN=xoxb-1", "SLACK_API_URL=http://slack.example.com/api/"},
       "SLACK_API_URL"},
      {{"DISCORD_BOT_TOKEN=t"}, "DISCORD_APPLICATION_ID"},
      {{"DISCORD_PUBLIC_KEY=abc"}, "DISCORD_PUBLIC_KEY"},
      {{"DISCORD_BOT_TOKEN=t", "DISCORD_APPLICATION_ID=1", "DISCORD_SHARDS=4/2"}, "DISCORD_SHARDS"},
      {{"DISCORD_APPLICATION_ID=1"}, "DISCORD_APPLICATION_ID"},
  };
  for (const auto& c : cases) {
    auto env = c.env;
    env.push_back("MLPATH_LISTEN=127.0.0.1:0");
    if (c.names == "MLPATH_LISTEN") env.pop_back();
    bool has_db = false;
    for (const auto& e : env) has_db = has_db || e.rfind("MLPATH_DB=", 0) == 0;
    if (!has_db) env.push_back("MLPATH_DB=" + dir.file("ok.db"));
    INFO(c.env.front());
    auto check = mlpath::test::run({binary(), "serve", "--check-config"}, "", env);
    auto start = mlpath::test::run({binary(), "serve"}, "", env);
    CHECK(check.status == 2);
    CHECK(start.status == 2);
    CHECK(check.out.empty());
    CHECK(start.out.empty());  // it never listened
    CHECK(check.err == start.err);
    CHECK(std::count(check.err.begin(), check.err.end(), '\n') == 1);
    CHECK(check.err.find(c.names) != std::string::npos);
    CHECK(check.err.find("pw@") == std::string::npos);
  }
}

TEST_CASE("no secret appears in any output: logs, errors, metrics, --check-config, exports", "[ops][secrets]") {
  temp_dir dir;
  fake_slack slack;
  mlpath::test::fake_discord discord;
  const std::string signing = "q7W9e2SgNx4vTb", bot = "xoxb-4k8ZbQtY1wHj", client_secret = "m3N6cLqEnTs9Rz",
                    discord_token = "p5R1dIzCgRd7.aBcXy";
  const std::vector<std::string> secrets = {signing, bot, client_secret, discord_token};
  std::vector<std::string> env = {"MLPATH_DB=" + dir.file("s.db"),
                                  "MLPATH_LISTEN=127.0.0.1:0",
                                  "MLPATH_LOG_LEVEL=debug",
                                  "SLACK_SIGNING_SECRET=" + signing,
                                  "SLACK_BOT_TOKEN=" + bot,
                                  "SLACK_CLIENT_ID=1234.5678",
                                  "SLACK_CLIENT_SECRET=" + client_secret,
                                  "SLACK_API_URL=" + slack.api_url(),
                                  "DISCORD_BOT_TOKEN=" + discord_token,
                                  "DISCORD_APPLICATION_ID=APP1",
                                  "DISCORD_PUBLIC_KEY=" + discord.public_key_hex(),
                                  "DISCORD_API_URL=" + discord.api_url()};
  std::string everything;
  auto check = mlpath::test::run({binary(), "serve", "--check-config"}, "", env);
  REQUIRE(check.status == 0);
  everything += check.out + check.err;
  {
    serve s(env);
    REQUIRE(slack.wait_for([](const auto& c) {
      for (const auto& x : c) if (x.method == "auth.test") return true;
      return false;
    }));
    // A conversation on each platform, a rejected request, a failing send and the pages.
    REQUIRE(slack.post_signed(s.url("/slack/events"), signing, "application/json",
                              mlpath::test::slack_dm_event("EvS1", "U1", "hi"))
                .status == 200);
    REQUIRE(slack.post_signed(s.url("/slack/events"), "wrong", "application/json",
                              mlpath::test::slack_dm_event("EvS2", "U1", "hi"))
                .status == 401);
    REQUIRE(slack.wait_for([](const auto& c) {
      for (const auto& x : c) if (x.method == "chat.postMessage") return true;
      return false;
    }));
    REQUIRE(discord.post_interaction(s.url("/discord/interactions"), mlpath::test::discord_command("900", "U1", "start"))
                .status == 200);
    auto install = slack.request({"GET", s.url("/slack/install"), {}, ""});
    everything += install.body;
    for (const auto& [k, v] : install.headers) everything += k + ": " + v + "\n";
    everything += slack.request({"GET", s.url("/slack/oauth_redirect?code=x&state=forged"), {}, ""}).body;
    everything += slack.request({"GET", s.url("/metrics"), {}, ""}).body;
    everything += slack.request({"GET", s.url("/readyz"), {}, ""}).body;
    auto [status, took] = s.terminate();
    CHECK(status == 0);
    everything += s.proc().read_all() + s.proc().read_stderr();
  }
  for (const auto& who : {std::vector<std::string>{"--platform", "slack", "--user", "U1", "--tenant", "T0TEST"},
                          std::vector<std::string>{"--platform", "discord", "--user", "U1"}}) {
    std::vector<std::string> argv{binary(), "user", "export", "--db", dir.file("s.db")};
    argv.insert(argv.end(), who.begin(), who.end());
    auto exp = mlpath::test::run(argv, "", env);
    CHECK(exp.status == 0);
    everything += exp.out + exp.err;
  }
  // Every error path that names a credential variable.
  for (const auto& bad : {std::vector<std::string>{"SLACK_BOT_TOKEN=" + bot},
                          std::vector<std::string>{"SLACK_SIGNING_SECRET=" + signing, "SLACK_BOT_TOKEN=xoxp-" + bot},
                          std::vector<std::string>{"SLACK_SIGNING_SECRET=" + signing + " ", "SLACK_BOT_TOKEN=" + bot},
                          std::vector<std::string>{"DISCORD_BOT_TOKEN=" + discord_token},
                          std::vector<std::string>{"SLACK_CLIENT_SECRET=" + client_secret}}) {
    auto r = mlpath::test::run({binary(), "serve", "--check-config"}, "", bad);
    CHECK(r.status == 2);
    everything += r.out + r.err;
  }
  for (const auto& secret : secrets) {
    INFO(secret);
    // Not even in part: no 6-character piece of any secret.
    for (std::size_t i = 0; i + 6 <= secret.size(); ++i) {
      std::string piece = secret.substr(i, 6);
      if (piece.find("xoxb-") != std::string::npos) continue;  // the public prefix of every bot token
      INFO(piece);
      CHECK(everything.find(piece) == std::string::npos);
    }
  }
}

TEST_CASE("logs: one JSON object per line with time, level, component, msg and context, no message text at info",
          "[ops][logs]") {
  temp_dir dir;
  fake_slack slack;
  std::vector<std::string> env = {"MLPATH_DB=" + dir.file("l.db"), "MLPATH_LISTEN=127.0.0.1:0",
                                  "SLACK_SIGNING_SECRET=s",       "SLACK_BOT_TOKEN=xoxb-1",
                                  "SLACK_API_URL=" + slack.api_url()};
  const std::string personal = "my very personal answer 7731";
  std::string stdout_text, stderr_text;
  for (std::string level : {"info", "debug"}) {
    auto run_env = env;
    run_env.push_back("MLPATH_LOG_LEVEL=" + level);
    serve s(run_env);
    auto posted_before = slack.calls("chat.postMessage").size();
    REQUIRE(slack.post_signed(s.url("/slack/events"), "s", "application/json",
                              mlpath::test::slack_dm_event("EvJ" + level, "U" + level, "hi"))
                .status == 200);
    REQUIRE(slack.post_signed(s.url("/slack/events"), "s", "application/json",
                              mlpath::test::slack_dm_event("EvK" + level, "U" + level, personal))
                .status == 200);
    REQUIRE(slack.post_signed(s.url("/slack/events"), "bad", "application/json", "{}").status == 401);
    // Both turns answered (the greeting and question, then the re-ask of the question).
    REQUIRE(slack.wait_for([&](const std::vector<mlpath::test::recorded_call>& c) {
      return static_cast<std::size_t>(std::count_if(c.begin(), c.end(), [](const auto& x) {
               return x.method == "chat.postMessage";
             })) >= posted_before + 3;
    }));
    auto [status, took] = s.terminate();
    CHECK(status == 0);
    stdout_text = s.proc().read_all();
    stderr_text = s.proc().read_stderr();
    INFO(level << "\nstdout:\n" << stdout_text << "\nstderr:\n" << stderr_text);
    // stdout: only the announcement, itself a JSON line.
    auto first_nl = stdout_text.find('\n');
    CHECK(stdout_text.find('\n', first_nl + 1) == std::string::npos);
    static const std::regex rfc3339(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$)");
    bool saw_ack = false, saw_rejection = false;
    std::istringstream lines(stderr_text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
      ++n;
      INFO(line);
      std::error_code ec;
      json::value v = json::parse(line, ec);
      REQUIRE_FALSE(ec);
      REQUIRE(v.is_object());
      const auto& o = v.as_object();
      REQUIRE(o.contains("time"));
      REQUIRE(o.contains("level"));
      REQUIRE(o.contains("component"));
      REQUIRE(o.contains("msg"));
      CHECK(std::regex_match(std::string(o.at("time").as_string()), rfc3339));
      std::string lvl(o.at("level").as_string());
      CHECK((lvl == "debug" || lvl == "info" || lvl == "warn" || lvl == "error"));
      if (lvl != "debug") CHECK(line.find("personal answer") == std::string::npos);
      std::string msg(o.at("msg").as_string());
      if (msg.rfind("acknowledged event_callback", 0) == 0) {
        saw_ack = true;
        CHECK(o.at("component") == "slack");
        CHECK(o.at("platform") == "slack");
        CHECK(o.at("team") == "T0TEST");
        CHECK(o.contains("event_id"));
        CHECK(o.contains("latency_ms"));
      }
      if (msg.find("rejected a request") != std::string::npos) {
        saw_rejection = true;
        CHECK(o.at("level") == "warn");
        CHECK(o.at("platform") == "slack");
      }
    }
    CHECK(n >= 2);
    CHECK(saw_rejection);
    CHECK(saw_ack == (level == "debug"));
  }
  // Text on request.
  auto text_env = env;
  text_env.push_back("MLPATH_LOG_FORMAT=text");
  serve t(text_env);
  t.terminate();
  std::string text_log = t.proc().read_stderr();
  INFO("stderr:\n" << text_log);
  CHECK(text_log.find(" info serve: ") != std::string::npos);
}

TEST_CASE("/metrics: every family with HELP and TYPE, whatever is configured", "[ops][metrics]") {
  temp_dir dir;
  fake_slack client;
  serve s({"MLPATH_DB=" + dir.file("m.db"), "MLPATH_LISTEN=127.0.0.1:0"});
  auto r = client.request({"GET", s.url("/metrics"), {}, ""});
  REQUIRE(r.status == 200);
  for (const auto& f : families) {
    INFO(f);
    CHECK(r.body.find("# HELP " + f + " ") != std::string::npos);
    CHECK(r.body.find("# TYPE " + f + " ") != std::string::npos);
  }
  // Zero when unused.
  CHECK(r.body.find("\nmlpath_engine_turns_total 0\n") != std::string::npos);
  CHECK(r.body.find("\nmlpath_outbox_depth 0\n") != std::string::npos);
  CHECK(r.body.find("mlpath_gateway_sessions_total{event=\"identify\"} 0") != std::string::npos);
  CHECK(r.body.find("mlpath_checkins_total{state=\"late\"} 0") != std::string::npos);
  CHECK(r.body.find("mlpath_outbound_429_total{platform=\"discord\"} 0") != std::string::npos);
  CHECK(r.body.find("mlpath_sqlite_transaction_seconds_count") != std::string::npos);
  CHECK(r.body.find("mlpath_ack_latency_seconds_bucket{route=\"/slack/events\",le=\"+Inf\"} 0") != std::string::npos);
  // Every sample line belongs to a family announced above it.
  std::istringstream lines(r.body);
  std::string line, family;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) family = line.substr(7, line.find(' ', 7) - 7);
    if (line.empty() || line[0] == '#') continue;
    INFO(line);
    CHECK(line.rfind(family, 0) == 0);
  }
  s.terminate();
}

TEST_CASE("/readyz: 503 naming what is not ready while migrations wait and while another process holds the database",
          "[ops][readyz][faults]") {
  temp_dir dir;
  fake_slack client;
  std::string path = dir.file("r.db");
  storage::migrate_sqlite_file_to(path, 4);  // an older schema: the start has migrations to run
  SQLite::Database(path, SQLite::OPEN_READWRITE).exec("PRAGMA journal_mode = WAL");
  auto get = [&](const std::string& url) { return client.request({"GET", url, {}, ""}); };
  auto locker = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
  locker->exec("BEGIN IMMEDIATE");  // another process writing: migrations must wait
  serve s({"MLPATH_DB=" + path, "MLPATH_LISTEN=127.0.0.1:0"});
  CHECK(get(s.url("/healthz")).status == 200);
  auto r = get(s.url("/readyz"));
  CHECK(r.status == 503);
  CHECK(json::parse(r.body).at("not_ready").at("database") == "opening the database and running migrations");
  locker->exec("ROLLBACK");
  REQUIRE(eventually([&] { return get(s.url("/readyz")).status == 200; }));
  CHECK(json::parse(get(s.url("/readyz")).body).at("ready") == true);

  // Held again while running: the probe notices, /readyz names the database, and the
  // service stays up; released, it is ready again.
  locker->exec("BEGIN IMMEDIATE");
  REQUIRE(eventually([&] { return get(s.url("/readyz")).status == 503; }));
  auto held = json::parse(get(s.url("/readyz")).body);
  CHECK(std::string(held.at("not_ready").at("database").as_string()).find("locked") != std::string::npos);
  CHECK(get(s.url("/healthz")).status == 200);
  auto metrics = get(s.url("/metrics")).body;
  CHECK(metrics.find("\nmlpath_ready 0\n") != std::string::npos);
  CHECK(metrics.find("\nmlpath_sqlite_write_failures_total 0\n") == std::string::npos);
  locker->exec("ROLLBACK");
  REQUIRE(eventually([&] { return get(s.url("/readyz")).status == 200; }));
  auto [status, took] = s.terminate();
  CHECK(status == 0);
}

TEST_CASE("a database locked for longer than start-up waits stops it with one line, exit 2", "[ops][faults]") {
  temp_dir dir;
  std::string path = dir.file("l.db");
  storage::migrate_sqlite_file_to(path, 4);
  SQLite::Database locker(path, SQLite::OPEN_READWRITE);
  locker.exec("BEGIN IMMEDIATE");
  auto r = mlpath::test::run({binary(), "serve"}, "", {"MLPATH_DB=" + path, "MLPATH_LISTEN=127.0.0.1:0"});
  CHECK(r.status == 2);
  CHECK(r.err.find("MLPATH_DB") != std::string::npos);
  CHECK(r.err.find("locked by another process") != std::string::npos);
  locker.exec("ROLLBACK");
}

TEST_CASE("SIGTERM: exit 0 promptly, the write-ahead log checkpointed", "[ops][shutdown]") {
  temp_dir dir;
  fake_slack slack;
  serve s({"MLPATH_DB=" + dir.file("t.db"), "MLPATH_LISTEN=127.0.0.1:0", "SLACK_SIGNING_SECRET=s",
           "SLACK_BOT_TOKEN=xoxb-1", "SLACK_API_URL=" + slack.api_url()});
  REQUIRE(slack.post_signed(s.url("/slack/events"), "s", "application/json",
                            mlpath::test::slack_dm_event("EvT1", "U1", "hi"))
              .status == 200);
  REQUIRE(slack.wait_for([](const auto& c) {
    for (const auto& x : c) if (x.method == "chat.postMessage") return true;
    return false;
  }));
  auto [status, took] = s.terminate();
  CHECK(status == 0);
  CHECK(took < 10s);
  std::error_code ec;
  auto wal = std::filesystem::file_size(dir.file("t.db-wal"), ec);
  CHECK((ec || wal == 0));  // everything moved into the database file
}

TEST_CASE("an unwritable database file or directory stops start-up with one line naming MLPATH_DB, exit 2",
          "[ops][config][faults]") {
  temp_dir dir;
  namespace fs = std::filesystem;
  fs::permissions(dir.path(), fs::perms::all);
  fs::create_directory(dir.file("locked"));
  fs::permissions(dir.file("locked"), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                          fs::perms::others_read | fs::perms::others_exec);
  storage::migrate_sqlite_file_to(dir.file("ro.db"), storage::latest_schema_version());
  fs::permissions(dir.file("ro.db"), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  for (const auto& [db, why] : {std::pair<std::string, std::string>{dir.file("ro.db"), "read-only"},
                                std::pair<std::string, std::string>{dir.file("locked/new.db"), "not writable"}}) {
    INFO(db);
    std::vector<std::string> env{"MLPATH_DB=" + db, "MLPATH_LISTEN=127.0.0.1:0"};
    // As root file permissions do not apply, so the children run as nobody.
    auto check = mlpath::test::run({binary(), "serve", "--check-config"}, "", env, true);
    auto start = mlpath::test::run({binary(), "serve"}, "", env, true);
    CHECK(check.status == 2);
    CHECK(start.status == 2);
    CHECK(check.err == start.err);
    CHECK(check.err.rfind("mlpath: MLPATH_DB: database " + db + ": ", 0) == 0);
    CHECK(check.err.find(why) != std::string::npos);
    CHECK(std::count(check.err.begin(), check.err.end(), '\n') == 1);
  }
}
