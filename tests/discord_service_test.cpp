// The whole service for Discord: a real `mlpath serve`, signed interactions from the
// test, and an in-process fake of Discord's REST API and gateway on 127.0.0.1:0.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <SQLiteCpp/Database.h>
#include <set>
#include <signal.h>

#include "fake_discord.hpp"
#include "test_support.hpp"

namespace json = boost::json;
using namespace mlpath;
using mlpath::test::child_process;
using mlpath::test::fake_discord;
using mlpath::test::temp_dir;

namespace {

struct discord_serve : mlpath::test::serve_process {
  discord_serve(const temp_dir& dir, const fake_discord& fake)
      : mlpath::test::serve_process({"MLPATH_DB=" + dir.file("d.db"), "MLPATH_LISTEN=127.0.0.1:0",
                                     "DISCORD_PUBLIC_KEY=" + fake.public_key_hex(), "DISCORD_BOT_TOKEN=test-bot-token",
                                     "DISCORD_APPLICATION_ID=APP1", "DISCORD_API_URL=" + fake.api_url(),
                                     "MLPATH_LOG_LEVEL=warn"}) {}
};

json::value answer(const net::client_response& r) {
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

std::string content_of(const json::value& cb) { return std::string(cb.at("data").at("content").as_string()); }

bool has_custom_id(const json::value& v, const std::string& id) {
  return json::serialize(v).find("\"custom_id\":\"" + id + "\"") != std::string::npos;
}

std::vector<mlpath::test::rest_call> posts(const fake_discord& f, const std::string& prefix) {
  std::vector<mlpath::test::rest_call> out;
  for (auto& c : f.calls())
    if ((c.method + " " + c.path).rfind(prefix, 0) == 0) out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE("discord: the interactions endpoint verifies signatures and answers PING", "[discord][e2e]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  auto pong = fake.post_interaction(s.url("/discord/interactions"), R"({"id":"1","application_id":"APP1","type":1,"token":"t","version":1})");
  CHECK(pong.status == 200);
  CHECK(json::parse(pong.body).at("type") == 1);
  CHECK(fake.post_interaction(s.url("/discord/interactions"), R"({"type":1})", false).status == 401);
  net::client_request unsigned_req{"POST", s.url("/discord/interactions"), {{"Content-Type", "application/json"}}, R"({"type":1})"};
  CHECK(fake.request(unsigned_req).status == 401);
  net::client_request garbage{"POST", s.url("/discord/interactions"),
                              {{"X-Signature-Ed25519", "zz"}, {"X-Signature-Timestamp", "1"}}, R"({"type":1})"};
  CHECK(fake.request(garbage).status == 401);
}

TEST_CASE("discord: a member goes through the reflection privately, typed DM answers work over the gateway",
          "[discord][e2e]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  const std::string url = s.url("/discord/interactions");
  // The gateway identifies with GUILDS | DIRECT_MESSAGES only.
  REQUIRE(fake.wait_for([&] {
    for (auto& f : fake.frames())
      if (f.op == 2) return true;
    return false;
  }));
  for (auto& f : fake.frames())
    if (f.op == 2) {
      CHECK(f.json.at("d").at("intents") == 4097);
      CHECK(f.json.at("d").at("token") == "test-bot-token");
    }

  json::value cb = answer(fake.post_interaction(url, mlpath::test::discord_command("100", "U1", "start")));
  CHECK(cb.at("type") == 4);
  CHECK(cb.at("data").at("flags") == 64);  // private in a server channel
  CHECK(has_custom_id(cb, "q:motivation:r1"));

  cb = answer(fake.post_interaction(url, mlpath::test::discord_press("101", "U1", "q:motivation:r1", {"hands_on_coding", "data_insights"}, "G1", 3)));
  CHECK(cb.at("type") == 7);  // updated in place
  CHECK(has_custom_id(cb, "q:ideal_day:ship_models:r1"));
  cb = answer(fake.post_interaction(url, mlpath::test::discord_press("102", "U1", "q:ideal_day:ship_models:r1")));
  CHECK(cb.at("type") == 7);
  // Pressing the same button again is harmless.
  cb = answer(fake.post_interaction(url, mlpath::test::discord_press("103", "U1", "q:ideal_day:ship_models:r1")));
  CHECK(cb.at("type") == 4);
  CHECK(content_of(cb).find("already answered") != std::string::npos);
  // A duplicate interaction id changes nothing either.
  cb = answer(fake.post_interaction(url, mlpath::test::discord_press("102", "U1", "q:ideal_day:ship_models:r1")));
  CHECK(content_of(cb).find("Already handled") != std::string::npos);

  // The rest by typing in the DM (gateway MESSAGE_CREATE -> REST message).
  const std::vector<std::pair<std::string, std::string>> typed = {
      {"skip", "q:languages"},          {"python", "q:data_experience"}, {"databases", "q:strengths"},
      {"debugging", "q:math_comfort"},  {"2", "q:domain"},              {"finance", "q:weekly_hours"},
      {"3", "q:worry"},                 {"skip", "cmd:answer:goal_note"},         {"Ship a recommender", "cmd:confirm"},
      {"yes", "https://"}};
  int n = 0;
  for (const auto& [text, expect] : typed) {
    INFO("typed " << text << ", expecting " << expect);
    auto before = posts(fake, "POST /channels/DMU1/messages").size();
    fake.dispatch_dm("m" + std::to_string(++n), "U1", text);
    REQUIRE(fake.wait_for([&] {
      auto p = posts(fake, "POST /channels/DMU1/messages");
      for (std::size_t i = before; i < p.size(); ++i)
        if (p[i].body.find(expect) != std::string::npos) return true;
      return false;
    }));
  }
  for (const auto& p : posts(fake, "POST /channels/DMU1/messages")) {
    CHECK(p.auth == "Bot test-bot-token");
    CHECK(p.user_agent.rfind("DiscordBot (", 0) == 0);
    CHECK(p.json.at("enforce_nonce") == true);
    CHECK(p.json.at("nonce").as_string().size() <= 25);
  }
  // Our own message on the gateway is ignored.
  auto before = posts(fake, "POST /channels/").size();
  fake.dispatch_dm("own1", "BOT1", "I am the bot", true);
  fake.dispatch_dm("m-status", "U1", "status");
  REQUIRE(fake.wait_for([&] { return posts(fake, "POST /channels/").size() == before + 1; }));

  auto exp = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "discord", "--user", "U1",
                                "--db", dir.file("d.db")});
  REQUIRE(exp.status == 0);
  json::value doc = json::parse(exp.out);
  CHECK(doc.at("conversation").at("stage") == "done");
  CHECK(doc.at("conversation").at("answers").as_array().size() == 11);
}

TEST_CASE("discord: a mentor's share card starts a private flow and stats count it", "[discord][e2e]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  const std::string url = s.url("/discord/interactions");
  json::value card = answer(fake.post_interaction(url, mlpath::test::discord_command("200", "MENTOR", "share", "G7", "32")));
  CHECK(card.at("type") == 4);
  CHECK_FALSE(card.at("data").as_object().contains("flags"));  // public
  CHECK(has_custom_id(card, "cmd:start"));
  json::value started = answer(fake.post_interaction(url, mlpath::test::discord_press("201", "MEMBER1", "cmd:start", {}, "G7")));
  CHECK(has_custom_id(started, "q:motivation:r1"));
  CHECK(json::serialize(started).find("\"flags\":64") != std::string::npos);
  // Stats: only for Manage Server (checked again on our side), aggregates only.
  json::value denied = answer(fake.post_interaction(url, mlpath::test::discord_command("202", "MEMBER1", "stats", "G7", "0")));
  CHECK(content_of(denied).find("Manage Server") != std::string::npos);
  json::value stats = answer(fake.post_interaction(url, mlpath::test::discord_command("203", "MENTOR", "stats", "G7", "32")));
  std::string text = json::serialize(stats);
  CHECK(text.find("<5") != std::string::npos);
  CHECK(text.find("MEMBER1") == std::string::npos);
  CHECK(stats.at("data").at("flags") == 64);
}

TEST_CASE("discord: the gateway reconnects and resumes on op 7 and after a zombie connection", "[discord][e2e]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  auto count_op = [&](int op) {
    int n = 0;
    for (auto& f : fake.frames()) n += f.op == op;
    return n;
  };
  REQUIRE(fake.wait_for([&] { return count_op(2) == 1 && count_op(1) >= 1; }));
  fake.send_op(7, "null");
  REQUIRE(fake.wait_for([&] { return count_op(6) == 1; }));
  for (auto& f : fake.frames())
    if (f.op == 6) CHECK(f.json.at("d").at("session_id") == "session1");
  CHECK(count_op(2) == 1);  // resumed, not re-identified
  // Heartbeat ACKs stop: the bot notices the zombie connection and resumes again.
  fake.set_acks(false);
  REQUIRE(fake.wait_for([&] { return count_op(6) == 2; }, std::chrono::seconds(15)));
  fake.set_acks(true);
  CHECK(fake.connections() >= 3);
  CHECK(count_op(2) == 1);
}

TEST_CASE("discord: REST 429 with fractional retry_after is waited out, the nonce is reused, 50007 is not retried",
          "[discord][e2e]") {
  temp_dir dir;
  fake_discord fake;
  fake.script("POST /channels/DMU5/messages", 429,
              R"({"message":"You are being rate limited.","retry_after":0.35,"global":false,"code":0})",
              {{"X-RateLimit-Scope", "user"}, {"Retry-After", "1"}});
  discord_serve s(dir, fake);
  REQUIRE(fake.wait_for([&] {
    for (auto& f : fake.frames())
      if (f.op == 2) return true;
    return false;
  }));
  fake.dispatch_dm("r1", "U5", "hi");
  REQUIRE(fake.wait_for([&] {
    for (auto& c : posts(fake, "POST /channels/DMU5/messages"))
      if (c.status == 200) return true;
    return false;
  }));
  auto attempts = posts(fake, "POST /channels/DMU5/messages");
  REQUIRE(attempts.size() >= 2);
  CHECK(attempts[0].status == 429);
  CHECK(attempts[1].status == 200);
  CHECK(attempts[0].json.at("nonce") == attempts[1].json.at("nonce"));  // a retry cannot post twice

  // A person who cannot be messaged: one attempt, no retries.
  fake.script("POST /channels/DMU6/messages", 403, R"({"message":"Cannot send messages to this user","code":50007})");
  fake.dispatch_dm("r2", "U6", "hi");
  fake.dispatch_dm("r3", "U7", "hi");  // a marker: its reply comes after U6's attempt
  REQUIRE(fake.wait_for([&] { return !posts(fake, "POST /channels/DMU7/messages").empty(); }));
  CHECK(posts(fake, "POST /channels/DMU6/messages").size() == 1);
}

TEST_CASE("discord: register-commands writes the definitions once and then finds them up to date", "[discord][e2e]") {
  fake_discord fake;
  std::vector<std::string> env = {"DISCORD_BOT_TOKEN=test-bot-token", "DISCORD_APPLICATION_ID=APP1",
                                  "DISCORD_API_URL=" + fake.api_url()};
  auto first = mlpath::test::run({mlpath::test::mlpath_binary(), "discord", "register-commands"}, "", env);
  CHECK(first.status == 0);
  CHECK(first.out.find("registered") != std::string::npos);
  auto second = mlpath::test::run({mlpath::test::mlpath_binary(), "discord", "register-commands"}, "", env);
  CHECK(second.status == 0);
  CHECK(second.out.find("up to date") != std::string::npos);
  int puts = 0;
  for (auto& c : fake.calls()) puts += c.method == "PUT";
  CHECK(puts == 1);
  auto guild = mlpath::test::run({mlpath::test::mlpath_binary(), "discord", "register-commands", "--guild", "G9"}, "", env);
  CHECK(guild.status == 0);
  bool guild_put = false;
  for (auto& c : fake.calls())
    if (c.method == "PUT" && c.path == "/applications/APP1/guilds/G9/commands") {
      guild_put = true;
      CHECK(c.body.find("contexts") == std::string::npos);
    }
  CHECK(guild_put);
  auto missing = mlpath::test::run({mlpath::test::mlpath_binary(), "discord", "register-commands"}, "",
                                   {"DISCORD_API_URL=" + fake.api_url()});
  CHECK(missing.status == 2);  // a missing setting, like any start-up configuration error
  CHECK(missing.err.find("DISCORD_BOT_TOKEN") != std::string::npos);
}

namespace {

// Polls until `probe` holds (the service reaches it on its own timers), with a deadline.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return probe();
}

std::vector<mlpath::test::gateway_frame> frames_with(const fake_discord& f, int op) {
  std::vector<mlpath::test::gateway_frame> out;
  for (auto& x : f.frames())
    if (x.op == op) out.push_back(x);
  return out;
}

}  // namespace

TEST_CASE("discord: SIGTERM closes the gateway resumably and the next start resumes instead of identifying",
          "[discord][e2e][shutdown]") {
  temp_dir dir;
  fake_discord fake;
  {
    discord_serve s(dir, fake);
    REQUIRE(eventually([&] { return fake.request({"GET", s.url("/readyz"), {}, ""}).status == 200; }));
    fake.dispatch_dm("m1", "U1", "hi");
    REQUIRE(fake.wait_for([&] { return !posts(fake, "POST /channels/DMU1/messages").empty(); }));
    ::kill(s.proc().pid(), SIGTERM);
    CHECK(s.proc().wait() == 0);
  }
  REQUIRE(frames_with(fake, 2).size() == 1);
  auto codes = fake.close_codes();
  REQUIRE(!codes.empty());
  CHECK(codes.back() == 4200);  // not 1000/1001, which would end the session

  discord_serve again(dir, fake);
  REQUIRE(fake.wait_for([&] { return !frames_with(fake, 6).empty(); }));
  auto resume = frames_with(fake, 6).front().json.at("d");
  CHECK(resume.at("session_id") == "session1");
  CHECK(resume.at("seq") == 2);  // READY was 1, the DM 2
  CHECK(resume.at("token") == "test-bot-token");
  REQUIRE(eventually([&] { return fake.request({"GET", again.url("/readyz"), {}, ""}).status == 200; }));
  CHECK(frames_with(fake, 2).size() == 1);  // no second Identify
  auto metrics = fake.request({"GET", again.url("/metrics"), {}, ""}).body;
  CHECK(metrics.find("mlpath_gateway_sessions_total{event=\"resume\"} 1") != std::string::npos);
  CHECK(metrics.find("mlpath_gateway_sessions_total{event=\"identify\"} 0") != std::string::npos);
  // The DM before the restart is not answered twice.
  fake.dispatch_dm("m2", "U2", "hi");
  REQUIRE(fake.wait_for([&] { return !posts(fake, "POST /channels/DMU2/messages").empty(); }));
  CHECK(posts(fake, "POST /channels/DMU1/messages").size() == 1);
}

TEST_CASE("discord: with the database locked, interactions get a deferred answer in time and an edit when it clears",
          "[discord][e2e][faults]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  REQUIRE(eventually([&] { return fake.request({"GET", s.url("/readyz"), {}, ""}).status == 200; }));
  auto url = s.url("/discord/interactions");
  // A conversation to press a button in, first.
  json::value first = answer(fake.post_interaction(url, mlpath::test::discord_command("700", "U7", "start")));
  REQUIRE(has_custom_id(first, "q:motivation:r1"));

  SQLite::Database locker(dir.file("d.db"), SQLite::OPEN_READWRITE);
  locker.exec("BEGIN IMMEDIATE");  // another process holds the write lock
  auto t = std::chrono::steady_clock::now();
  auto cmd = fake.post_interaction(url, mlpath::test::discord_command("701", "U8", "start"));
  auto took = std::chrono::steady_clock::now() - t;
  json::value deferred = answer(cmd);
  CHECK(deferred.at("type") == 5);
  CHECK(deferred.at("data").at("flags") == 64);  // private, as the answer will be
  CHECK(took < std::chrono::milliseconds(3000));
  t = std::chrono::steady_clock::now();
  json::value press = answer(fake.post_interaction(
      url, mlpath::test::discord_press("702", "U7", "q:motivation:r1", {"hands_on_coding"}, "G1", 3)));
  CHECK(press.at("type") == 6);
  CHECK(std::chrono::steady_clock::now() - t < std::chrono::milliseconds(3000));
  auto ready = json::parse(fake.request({"GET", s.url("/readyz"), {}, ""}).body);
  CHECK(ready.at("ready") == false);
  CHECK(ready.at("not_ready").as_object().contains("database"));
  CHECK(posts(fake, "PATCH /webhooks/").empty());

  locker.exec("ROLLBACK");
  REQUIRE(fake.wait_for([&] {
    return !posts(fake, "PATCH /webhooks/APP1/tok701/messages/@original").empty() &&
           !posts(fake, "PATCH /webhooks/APP1/tok702/messages/@original").empty();
  }));
  CHECK(posts(fake, "PATCH /webhooks/APP1/tok701/messages/@original").front().body.find("q:motivation") !=
        std::string::npos);
  CHECK(posts(fake, "PATCH /webhooks/APP1/tok702/messages/@original").front().body.find("q:ideal_day") !=
        std::string::npos);
  auto metrics = fake.request({"GET", s.url("/metrics"), {}, ""}).body;
  CHECK(metrics.find("mlpath_discord_deferred_total 2") != std::string::npos);
}

TEST_CASE("discord: 5xx, 429 and resets from the REST API delay a DM reply but never lose it", "[discord][e2e][faults]") {
  temp_dir dir;
  fake_discord fake;
  discord_serve s(dir, fake);
  REQUIRE(eventually([&] { return fake.request({"GET", s.url("/readyz"), {}, ""}).status == 200; }));
  fake.script("POST /channels/DMU5/messages", 500, R"({"message":"oops","code":0})");
  fake.script("POST /channels/DMU5/messages", -1, "");
  fake.script("POST /channels/DMU5/messages", 429, R"({"message":"slow down","retry_after":0.2,"global":false})",
              {{"Retry-After", "1"}});
  fake.script("POST /channels/DMU5/messages", 503, "");
  fake.dispatch_dm("m5", "U5", "hi");
  auto delivered = [&] {
    for (const auto& c : posts(fake, "POST /channels/DMU5/messages"))
      if (c.status == 200) return true;
    return false;
  };
  REQUIRE(fake.wait_for(delivered, std::chrono::seconds(30)));
  int failed = 0, ok = 0;
  std::set<std::string> nonces;
  for (const auto& c : posts(fake, "POST /channels/DMU5/messages")) {
    (c.status == 200 ? ok : failed)++;
    nonces.insert(std::string(c.json.at("nonce").as_string()));
  }
  CHECK(failed == 4);
  CHECK(ok >= 1);
  CHECK(nonces.size() == static_cast<std::size_t>(ok));  // every retry of one message carries its one nonce
  auto metrics = fake.request({"GET", s.url("/metrics"), {}, ""}).body;
  CHECK(metrics.find("mlpath_outbound_429_total{platform=\"discord\"} 1") != std::string::npos);
  CHECK(metrics.find("mlpath_outbox_failed_total{platform=\"discord\"} 0") != std::string::npos);
}
