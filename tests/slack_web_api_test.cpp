// The Web API's protocol state: reading responses into typed errors, Slack's rate-limit
// tiers, and the per (workspace, method[, channel]) rate limiter on a fake clock.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/slack/web_api.hpp"
#include "slack_support.hpp"

using namespace mlpath::slack;
using namespace std::chrono_literals;
namespace fx = mlpath::test::slack;
using clock_type = rate_limiter::clock;

TEST_CASE("successful responses yield the fields mlpath uses", "[slack][web_api]") {
  auto r = parse_api_response(200, "", R"({"ok":true,"channel":"C1H9RESGL","ts":"1503435956.000247","message":{"ts":"x"}})");
  CHECK(r.ok);
  CHECK(r.http_status == 200);
  CHECK(r.ts == "1503435956.000247");
  CHECK(r.channel_id == "C1H9RESGL");
  CHECK(r.error.empty());
  CHECK_FALSE(r.transient());
  CHECK_FALSE(r.retry_after);

  r = parse_api_response(200, "", R"({"channel":{"id":"D069C7QFK"},"ok":true})");
  CHECK(r.ok);
  CHECK(r.channel_id == "D069C7QFK");

  r = parse_api_response(200, "", R"({"ok":true,"url":"https://x.slack.com/","team":"Team Name","user":"bot",
    "team_id":"T1","user_id":"U1","bot_id":"B1","warning":"superfluous_charset",
    "response_metadata":{"warnings":["superfluous_charset","missing_charset"]}})");
  CHECK(r.ok);
  CHECK(r.team_id == "T1");
  CHECK(r.user_id == "U1");
  CHECK(r.bot_id == "B1");
  CHECK(r.url == "https://x.slack.com/");
  CHECK(r.warning == "superfluous_charset,missing_charset");

  r = parse_api_response(200, "", R"({"ok":true,"user":{"id":"W1","tz":"America/Los_Angeles","tz_offset":-25200}})");
  CHECK(r.tz == "America/Los_Angeles");

  r = parse_api_response(200, "", R"({"ok":true,"access_token":"xoxb-1","token_type":"bot","scope":"chat:write,commands",
    "bot_user_id":"U0KRQLJ9H","app_id":"A0KRD7HC3","team":{"id":"T9TK3CUKW","name":"Softball"},"enterprise":null,
    "authed_user":{"id":"U1234","scope":"chat:write","access_token":"xoxp-1","token_type":"user"}})");
  CHECK(r.ok);
  CHECK(r.access_token == "xoxb-1");
  CHECK(r.scope == "chat:write,commands");
  CHECK(r.bot_user_id == "U0KRQLJ9H");
  CHECK(r.app_id == "A0KRD7HC3");
  CHECK(r.team_id == "T9TK3CUKW");
  CHECK(r.user_id == "U1234");
}

TEST_CASE("ok:false becomes a typed error", "[slack][web_api]") {
  auto r = parse_api_response(200, "", R"({"ok":false,"error":"missing_scope","needed":"chat:write","provided":"commands",
    "warning":"x","response_metadata":{"messages":["[ERROR] missing required field: channel","another"]}})");
  CHECK_FALSE(r.ok);
  CHECK(r.error == "missing_scope");
  CHECK(r.needed == "chat:write");
  CHECK(r.provided == "commands");
  CHECK(r.warning == "x");
  CHECK(r.messages == std::vector<std::string>{"[ERROR] missing required field: channel", "another"});
  CHECK_FALSE(r.transient());

  for (std::string e : {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}) {
    INFO(e);
    CHECK(parse_api_response(200, "", R"({"ok":false,"error":")" + e + R"("})").transient());
  }
  for (std::string e : {"channel_not_found", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
                        "invalid_arguments", "cant_update_message", "expired_trigger_id"}) {
    INFO(e);
    CHECK_FALSE(parse_api_response(200, "", R"({"ok":false,"error":")" + e + R"("})").transient());
  }
}

TEST_CASE("429 with Retry-After, 5xx and unreadable bodies", "[slack][web_api]") {
  auto r = parse_api_response(429, "30", R"({"ok":false,"error":"ratelimited"})");
  CHECK_FALSE(r.ok);
  CHECK(r.error == "ratelimited");
  REQUIRE(r.retry_after);
  CHECK(*r.retry_after == 30s);
  CHECK(r.transient());
  CHECK(*parse_api_response(429, " 1 ", "").retry_after == 1s);
  CHECK(parse_api_response(429, " 1 ", "").error == "ratelimited");
  CHECK(parse_api_response(429, "", "").transient());
  CHECK_FALSE(parse_api_response(429, "", "").retry_after);
  CHECK_FALSE(parse_api_response(429, "Wed, 21 Oct 2015 07:28:00 GMT", "").retry_after);
  CHECK_FALSE(parse_api_response(429, "-5", "").retry_after);
  CHECK(*parse_api_response(429, "99999999999999999999", "").retry_after <= 3600s);
  CHECK(*parse_api_response(429, "86400", "").retry_after == 3600s);

  for (int status : {500, 502, 503, 504}) {
    auto e = parse_api_response(status, "", "<html>Bad Gateway</html>");
    CHECK_FALSE(e.ok);
    CHECK(e.error == "invalid_response");
    CHECK(e.transient());
  }
  // ok:true under a failing status is not success.
  auto odd = parse_api_response(503, "", R"({"ok":true})");
  CHECK_FALSE(odd.ok);
  CHECK(odd.transient());
  CHECK(parse_api_response(404, "", R"({"ok":true})").error == "http_404");

  for (std::string body : std::vector<std::string>{"", "not json", "[]", "{\"ok\":", "{\"error\":\"x\"}", "{\"ok\":\"yes\"}", "{\"ok\":true} trailing",
                           std::string(100000, '[')}) {
    INFO(body.substr(0, 40));
    auto b = parse_api_response(200, "", body);
    CHECK_FALSE(b.ok);
    CHECK(b.error == "invalid_response");
    CHECK_FALSE(b.transient());
  }
}

TEST_CASE("the Web API fixtures read as Slack documents them", "[slack][web_api][conformance]") {
  MLPATH_REQUIRE_SLACK_FIXTURES();
  auto read = [](const std::string& name, int status = 200, std::string_view retry_after = "") {
    return parse_api_response(status, retry_after, fx::fixture("web_api/" + name));
  };
  auto r = read("chat.postMessage.ok.json");
  CHECK(r.ok);
  CHECK(r.ts == "1503435956.000247");
  CHECK(r.channel_id == "C1H9RESGL");
  CHECK(read("chat.postMessage.error.json").error == "too_many_attachments");
  CHECK(read("chat.update.ok.json").ts == "1401383885.000061");
  CHECK(read("chat.update.error.json").error == "cant_update_message");
  CHECK(read("conversations.open.ok.json").channel_id == "D069C7QFK");
  CHECK(read("conversations.open.error.json").error == "channel_not_found");
  CHECK(read("conversations.info.ok.json").channel_id == "C012AB3CD");
  CHECK(read("users.info.ok.json").tz == "America/Los_Angeles");
  CHECK(read("users.info.ok.tz.json").tz == "America/Los_Angeles");
  CHECK(read("users.info.error.json").error == "user_not_found");
  auto vp = read("views.publish.error.json");
  CHECK(vp.error == "invalid_arguments");
  CHECK(vp.messages == std::vector<std::string>{"invalid `user_id`"});
  CHECK(read("views.publish.ok.json").ok);
  auto oauth = read("oauth.v2.access.ok.json");
  CHECK(oauth.access_token == "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy");
  CHECK(oauth.team_id == "T9TK3CUKW");
  CHECK(oauth.bot_user_id == "U0KRQLJ9H");
  CHECK(oauth.app_id == "A0KRD7HC3");
  CHECK(oauth.user_id == "U1234");
  CHECK(read("oauth.v2.access.error.json").error == "invalid_client_id");
  auto limited = read("ratelimited.429.json", 429, "1");
  CHECK(limited.error == "ratelimited");
  CHECK(limited.transient());
  CHECK(*limited.retry_after == 1s);
  auto auth = read("shape/auth.test.json");
  CHECK(auth.user_id == "U00000000");
  CHECK(auth.bot_id == "B00000000");
  CHECK(auth.team_id == "T00000000");
  CHECK(read("shape/users.info.json").tz.empty());
  CHECK(read("shape/apps.connections.open.json").messages.empty());  // [""] carries nothing
  CHECK(read("shape/oauth.v2.access.json").error.empty() == false);   // ok:false with a blank error
}

TEST_CASE("rate-limit tiers follow Slack's table", "[slack][web_api]") {
  CHECK(tier_of("chat.postMessage") == 0);
  CHECK(tier_of("chat.update") == 3);
  CHECK(tier_of("conversations.open") == 3);
  CHECK(tier_of("users.info") == 4);
  CHECK(tier_of("views.open") == 4);
  CHECK(tier_of("views.publish") == 4);
  CHECK(tier_of("chat.postEphemeral") == 4);
  CHECK(tier_of("apps.connections.open") == 1);
  CHECK(tier_of("auth.test") == 4);
  CHECK(tier_of("no.such.method") == 2);

  if (!std::filesystem::is_directory(fx::fixtures_dir())) return;
  auto tiers = boost::json::parse(fx::fixture("web_api/rate_limit_tiers.json")).as_object();
  int checked = 0;
  for (const auto& [method, tier] : tiers) {
    std::string t(tier.as_string());
    if (t.rfind("Tier", 0) != 0) continue;
    int expected = t[4] - '0';
    // Only methods with their own entry: anything else gets the conservative default.
    if (tier_of(method) == 2 && expected != 2) continue;
    INFO(method);
    CHECK(tier_of(method) == expected);
    ++checked;
  }
  for (std::string m : {"chat.update", "conversations.open", "users.info", "views.open", "views.publish", "chat.postEphemeral",
                        "conversations.info", "chat.delete", "oauth.v2.access", "apps.connections.open"}) {
    INFO(m);
    CHECK(tiers.at(m).as_string() == "Tier" + std::to_string(tier_of(m)));
  }
  CHECK(std::string(tiers.at("chat.postMessage").as_string()).find("Special") == 0);
  CHECK(checked > 100);
}

TEST_CASE("the rate limiter spaces calls per tier, with a small burst", "[slack][web_api]") {
  rate_limiter rl;
  auto t = clock_type::time_point{} + 1000h;
  // Tier 3 (50/min): 1.2 s apart after a burst of three.
  CHECK(rl.reserve("T1", "chat.update", "", t) == t);
  CHECK(rl.reserve("T1", "chat.update", "", t) == t);
  CHECK(rl.reserve("T1", "chat.update", "", t) == t);
  CHECK(rl.reserve("T1", "chat.update", "", t) == t + 1200ms);
  CHECK(rl.reserve("T1", "chat.update", "", t) == t + 2400ms);
  // Another workspace and another method are separate budgets; the channel does not matter.
  CHECK(rl.reserve("T2", "chat.update", "", t) == t);
  CHECK(rl.reserve("T1", "users.info", "C1", t) == t);
  CHECK(rl.reserve("T1", "chat.update", "C9", t) == t + 3600ms);
  // Later, the budget has refilled.
  auto later = t + 1h;
  CHECK(rl.reserve("T1", "chat.update", "", later) == later);

  // Tier 1: a minute apart after the burst.
  rate_limiter one;
  for (int i = 0; i < 3; ++i) CHECK(one.reserve("T1", "apps.connections.open", "", t) == t);
  CHECK(one.reserve("T1", "apps.connections.open", "", t) == t + 60s);

  // Tier 4: 0.6 s.
  rate_limiter four;
  for (int i = 0; i < 3; ++i) four.reserve("T1", "views.open", "", t);
  CHECK(four.reserve("T1", "views.open", "", t) == t + 600ms);
}

TEST_CASE("chat.postMessage is limited per channel at about one a second", "[slack][web_api]") {
  rate_limiter rl;
  auto t = clock_type::time_point{} + 1000h;
  std::vector<clock_type::time_point> at;
  for (int i = 0; i < 6; ++i) at.push_back(rl.reserve("T1", "chat.postMessage", "D1", t));
  CHECK(at[0] == t);
  CHECK(at[2] == t);
  CHECK(at[3] == t + 1s);
  CHECK(at[5] == t + 3s);
  // Another channel is not held up by D1.
  CHECK(rl.reserve("T1", "chat.postMessage", "D2", t) == t);
  // Calls that arrive spread out go at once.
  rate_limiter spread;
  for (int i = 0; i < 10; ++i) CHECK(spread.reserve("T1", "chat.postMessage", "D1", t + i * 1s) == t + i * 1s);
  // Thousands of channels do not grow the state without bound once they are idle.
  rate_limiter many;
  for (int i = 0; i < 20000; ++i) many.reserve("T1", "chat.postMessage", "D" + std::to_string(i), t + i * 1s);
  CHECK(many.reserve("T1", "chat.postMessage", "D19999", t + 19999s) == t + 19999s);
}

TEST_CASE("a 429 blocks the method for the workspace until Retry-After has passed", "[slack][web_api]") {
  rate_limiter rl;
  auto t = clock_type::time_point{} + 1000h;
  CHECK(rl.reserve("T1", "chat.update", "", t) == t);
  rl.blocked("T1", "chat.update", 30s, t);
  CHECK(rl.reserve("T1", "chat.update", "", t + 1s) == t + 30s);
  CHECK(rl.reserve("T2", "chat.update", "", t + 1s) == t + 1s);
  CHECK(rl.reserve("T1", "users.info", "", t + 1s) == t + 1s);
  // A shorter block does not shorten a longer one.
  rl.blocked("T1", "chat.update", 5s, t + 2s);
  CHECK(rl.reserve("T1", "chat.update", "", t + 3s) >= t + 30s);

  // chat.postMessage: the block covers every channel of the workspace.
  rate_limiter pm;
  pm.blocked("T1", "chat.postMessage", 10s, t);
  CHECK(pm.reserve("T1", "chat.postMessage", "D1", t) == t + 10s);
  CHECK(pm.reserve("T1", "chat.postMessage", "D2", t + 1s) == t + 10s);
  CHECK(pm.reserve("T1", "chat.postMessage", "D3", t + 11s) == t + 11s);
  CHECK(pm.reserve("T2", "chat.postMessage", "D1", t) == t);
}
