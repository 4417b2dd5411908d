// Discord REST rate limits as pure state (route keys, buckets from headers, the global
// gate, 429s with fractional retry_after, invalid-response counting), error bodies, and
// the application command definitions with their idempotent compare.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/discord/commands.hpp"
#include "adapters/discord/rest_limits.hpp"
#include "discord_support.hpp"

using namespace mlpath;
using namespace mlpath::discord;
using namespace std::chrono_literals;
namespace fx = mlpath::test::discord;
namespace json = boost::json;
using clock_type = rest_limiter::clock;

namespace {

rest_response_info ok_headers(std::string bucket, std::string limit, std::string remaining, std::string reset_after) {
  rest_response_info r;
  r.status = 200;
  r.bucket = std::move(bucket);
  r.limit = std::move(limit);
  r.remaining = std::move(remaining);
  r.reset_after = std::move(reset_after);
  return r;
}

rest_response_info too_many(std::string body, std::string scope = "user", std::string retry_header = "65") {
  rest_response_info r;
  r.status = 429;
  r.body = std::move(body);
  r.scope = std::move(scope);
  r.retry_after_header = std::move(retry_header);
  return r;
}

const clock_type::time_point t0 = clock_type::time_point{} + 1000h;

}  // namespace

TEST_CASE("route keys keep the major parameter and hide tokens", "[discord][rest]") {
  CHECK(route_key("POST", "/channels/123/messages") == "POST /channels/123/messages");
  CHECK(route_key("patch", "/channels/123/messages/456") == "PATCH /channels/123/messages/:id");
  CHECK(route_key("GET", "/guilds/41771983423143937/members/80351110224678912") ==
        "GET /guilds/41771983423143937/members/:id");
  CHECK(route_key("POST", "/users/@me/channels") == "POST /users/@me/channels");
  CHECK(route_key("PUT", "/applications/290926444748734465/commands") == "PUT /applications/:id/commands");
  CHECK(route_key("PUT", "/applications/1/guilds/2/commands") == "PUT /applications/:id/guilds/:id/commands");
  CHECK(route_key("GET", "/gateway/bot") == "GET /gateway/bot");
  // The API prefix, absolute URLs and queries do not change the route.
  CHECK(route_key("POST", "/api/v10/channels/123/messages") == "POST /channels/123/messages");
  CHECK(route_key("POST", "https://discord.com/api/v10/channels/123/messages?x=1") == "POST /channels/123/messages");
  // Reactions: every emoji shares one bucket.
  CHECK(route_key("PUT", "/channels/1/messages/2/reactions/%F0%9F%94%A5/@me") == "PUT /channels/1/messages/:id/reactions/:reaction");
  // Interaction callbacks: recognisable, no id or token in the key.
  std::string cb = route_key("POST", "/interactions/846462639134605312/aW50ZXJhY3Rpb246MTA5NTY2/callback?with_response=true");
  CHECK(cb == "POST /interactions/:id/:token/callback");
  CHECK(is_interaction_callback(cb));
  CHECK_FALSE(is_interaction_callback("POST /channels/1/messages"));
  // Webhooks: id + token is the major parameter, the token only as a hash.
  std::string w1 = route_key("PATCH", "/webhooks/290926444748734465/tokenAAA/messages/@original");
  std::string w2 = route_key("PATCH", "/webhooks/290926444748734465/tokenBBB/messages/@original");
  CHECK(w1 != w2);
  CHECK(w1.find("tokenAAA") == std::string::npos);
  CHECK(w1.rfind("PATCH /webhooks/290926444748734465/~", 0) == 0);
  CHECK(w1.substr(w1.size() - 19) == "/messages/@original");
  CHECK(route_key("POST", "/webhooks/1/tok?wait=true") == route_key("POST", "/webhooks/1/tok"));
  CHECK(route_key("GET", "/webhooks/123") == "GET /webhooks/123");
  CHECK(route_key("GET", "") == "GET /");
}

TEST_CASE("parse_rest_error: codes, messages, fractional retry_after, global", "[discord][rest]") {
  auto e = parse_rest_error(R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})");
  CHECK(e.code == 0);
  CHECK(e.message == "You are being rate limited.");
  REQUIRE(e.retry_after);
  CHECK(*e.retry_after == Approx(64.57));
  CHECK_FALSE(e.global);
  e = parse_rest_error(R"({"message":"x","retry_after":1,"global":true,"code":0})");
  CHECK(e.global);
  CHECK(*e.retry_after == Approx(1.0));
  e = parse_rest_error(R"({"code":50007,"message":"Cannot send messages to this user"})");
  CHECK(e.code == 50007);
  CHECK_FALSE(e.retry_after);
  e = parse_rest_error(R"({"code":50035,"errors":{"activities":{"0":{"platform":{"_errors":[{"code":"BASE_TYPE_CHOICES","message":"m"}]}}}},"message":"Invalid Form Body"})");
  CHECK(e.code == 50035);
  CHECK(e.message == "Invalid Form Body");
  for (std::string bad : {"", "<html>error code: 1015</html>", "[]", "{", R"({"code":"50007","retry_after":"5","global":"true"})",
                          R"({"retry_after":-3})", R"({"retry_after":1e400})"}) {
    INFO(bad);
    e = parse_rest_error(bad);
    CHECK(e.code == 0);
    CHECK_FALSE(e.retry_after);
    CHECK_FALSE(e.global);
  }
}

TEST_CASE("buckets are learned from headers and shared by major parameter", "[discord][rest]") {
  rest_limiter l;
  std::string a = route_key("POST", "/channels/111/messages");
  std::string b = route_key("POST", "/channels/222/messages");
  std::string a_edit = route_key("PATCH", "/channels/111/messages/5");
  CHECK(l.bucket_of(a) == "route:" + a);
  // Unknown bucket: requests go (spaced by the global gate only).
  auto s1 = l.reserve(a, t0);
  CHECK(s1 == t0);
  l.update(a, ok_headers("abcd1234", "2", "1", "2.5"), t0);
  CHECK(l.bucket_of(a) == "hash:abcd1234/111");
  CHECK(l.bucket_of(b) == "hash:abcd1234/222");  // same route, another channel: another bucket
  // One left in 111's window.
  auto t = t0 + 100ms;
  CHECK(l.reserve(a, t) == t);
  // Exhausted: the next waits for Reset-After (fractional, plus a small margin).
  auto wait = l.reserve(a, t);
  CHECK(wait >= t0 + 2500ms);
  CHECK(wait <= t0 + 2500ms + 100ms);
  // Channel 222 is unaffected.
  auto other = l.reserve(b, t);
  CHECK(other < t + 100ms);
  // A route of another template is its own bucket until Discord says otherwise.
  CHECK(l.reserve(a_edit, t) < t + 100ms);
  // Responses for the reserved requests bring the state up to date.
  l.update(a, ok_headers("abcd1234", "2", "0", "1.25"), t);
  auto next = l.reserve(a, t);
  CHECK(next >= t + 1250ms);
}

TEST_CASE("a 429 on a route waits retry_after from the body, fractional", "[discord][rest]") {
  rest_limiter l;
  std::string r = route_key("POST", "/channels/111/messages");
  (void)l.reserve(r, t0);
  auto resp = too_many(R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})");
  resp.bucket = "abcd1234";
  resp.limit = "10";
  resp.remaining = "0";
  resp.reset_after = "64.57";
  l.update(r, resp, t0);
  auto at = l.reserve(r, t0);
  CHECK(at >= t0 + 64570ms);
  CHECK(at < t0 + 65000ms);  // not the rounded-up Retry-After: 65
  // Other routes go on.
  CHECK(l.reserve(route_key("POST", "/channels/222/messages"), t0) < t0 + 100ms);
  CHECK(l.global_blocked_until() <= t0);
  CHECK(l.invalid_recent(t0) == 1);
  // Without a body, Retry-After; without either, Reset-After.
  rest_limiter m;
  (void)m.reserve(r, t0);
  m.update(r, too_many("", "user", "3"), t0);
  CHECK(m.reserve(r, t0) >= t0 + 3s);
  rest_limiter n;
  (void)n.reserve(r, t0);
  auto only_reset = too_many("", "user", "");
  only_reset.reset_after = "0.75";
  n.update(r, only_reset, t0);
  auto at2 = n.reserve(r, t0);
  CHECK(at2 >= t0 + 750ms);
  CHECK(at2 < t0 + 1s);
}

TEST_CASE("a global 429 holds every route except interaction callbacks", "[discord][rest]") {
  rest_limiter l;
  std::string r = route_key("POST", "/channels/111/messages");
  (void)l.reserve(r, t0);
  auto resp = too_many(R"({"message":"You are being rate limited.","retry_after":64.57,"global":true})", "global", "65");
  resp.global = "true";
  l.update(r, resp, t0);
  CHECK(l.global_blocked_until() >= t0 + 64570ms);
  CHECK(l.global_blocked_until() < t0 + 65s);
  CHECK(l.reserve(route_key("POST", "/users/@me/channels"), t0 + 1s) >= t0 + 64570ms);
  CHECK(l.reserve(route_key("GET", "/gateway/bot"), t0 + 1s) >= t0 + 64570ms);
  std::string cb = route_key("POST", "/interactions/1/tok/callback");
  CHECK(l.reserve(cb, t0 + 1s) == t0 + 1s);
  // The header alone (no body) marks it global too.
  rest_limiter m;
  (void)m.reserve(r, t0);
  auto header_only = too_many("", "", "2");
  header_only.global = "true";
  m.update(r, header_only, t0);
  CHECK(m.global_blocked_until() >= t0 + 2s);
}

TEST_CASE("the global gate keeps under 50 requests in any second", "[discord][rest]") {
  rest_limiter l;
  std::vector<clock_type::time_point> sends;
  for (int i = 0; i < 500; ++i)
    sends.push_back(l.reserve(route_key("POST", "/channels/" + std::to_string(1000 + i) + "/messages"), t0));
  std::sort(sends.begin(), sends.end());
  for (std::size_t i = 0; i + 50 < sends.size(); ++i) CHECK(sends[i + 50] - sends[i] >= 1s);
  // ... while interaction callbacks never wait.
  for (int i = 0; i < 100; ++i) CHECK(l.reserve(route_key("POST", "/interactions/1/t/callback"), t0) == t0);
  // A request reserved far ahead (its bucket is waiting) does not hold back the others.
  rest_limiter m;
  std::string slow = route_key("POST", "/channels/9/messages");
  (void)m.reserve(slow, t0);
  m.update(slow, ok_headers("h", "1", "0", "30"), t0);
  CHECK(m.reserve(slow, t0) >= t0 + 30s);
  CHECK(m.reserve(route_key("POST", "/channels/8/messages"), t0 + 1s) == t0 + 1s);
}

TEST_CASE("shared-scope 429s wait but are not invalid requests", "[discord][rest]") {
  rest_limiter l;
  std::string r = route_key("PATCH", "/channels/111");
  (void)l.reserve(r, t0);
  auto resp = too_many(R"({"message":"The resource is being rate limited.","retry_after":1336.57,"global":false})", "shared", "1337");
  resp.bucket = "abcd1234";
  resp.limit = "10";
  resp.remaining = "9";  // a 429 with requests left: the wait is what counts
  resp.reset_after = "64.57";
  l.update(r, resp, t0);
  CHECK(l.invalid_recent(t0) == 0);
  auto at = l.reserve(r, t0 + 1s);
  CHECK(at >= t0 + 1336570ms);
  CHECK(at < t0 + 1337s);
}

TEST_CASE("invalid responses are counted over a sliding 10 minutes", "[discord][rest]") {
  rest_limiter l;
  std::string r = route_key("POST", "/channels/1/messages");
  auto respond = [&](int status, clock_type::time_point at, std::string scope = "") {
    (void)l.reserve(r, at);
    rest_response_info info;
    info.status = status;
    info.scope = std::move(scope);
    l.update(r, info, at);
  };
  respond(403, t0);                  // 50007: counts
  respond(401, t0 + 1min);
  respond(429, t0 + 2min, "user");
  respond(429, t0 + 3min, "shared");  // not counted
  respond(404, t0 + 4min);
  respond(500, t0 + 4min);
  respond(200, t0 + 4min);
  CHECK(l.invalid_recent(t0 + 5min) == 3);
  CHECK(l.unauthorized());
  CHECK(l.invalid_recent(t0 + 10min) == 2);  // the first one slid out
  CHECK(l.invalid_recent(t0 + 12min + 1s) == 0);
  // Interaction callbacks count too.
  rest_limiter m;
  std::string cb = route_key("POST", "/interactions/1/t/callback");
  (void)m.reserve(cb, t0);
  rest_response_info info;
  info.status = 429;
  m.update(cb, info, t0);
  CHECK(m.invalid_recent(t0) == 1);
}

TEST_CASE("requests in flight are counted against what Discord reports", "[discord][rest]") {
  rest_limiter l;
  std::string r = route_key("POST", "/channels/7/messages");
  (void)l.reserve(r, t0);
  l.update(r, ok_headers("h7", "5", "4", "5"), t0);  // 4 left
  // Four go out at once; the responses arrive afterwards, each saying what was left when
  // it was counted: the limiter must not hand out a fifth.
  for (int i = 0; i < 4; ++i) CHECK(l.reserve(r, t0) < t0 + 1s);
  l.update(r, ok_headers("h7", "5", "3", "4.9"), t0 + 10ms);
  CHECK(l.reserve(r, t0 + 10ms) >= t0 + 4900ms);
  // A failed request (status 0) releases its slot without teaching anything.
  rest_limiter m;
  (void)m.reserve(r, t0);
  rest_response_info none;
  m.update(r, none, t0);
  CHECK(m.reserve(r, t0) == t0 + 21ms);  // only the global spacing
  // A reservation whose update() never comes stops counting after inflight_timeout.
  rest_limiter k;
  (void)k.reserve(r, t0);
  k.update(r, ok_headers("h7", "5", "4", "5"), t0);
  for (int i = 0; i < 4; ++i) (void)k.reserve(r, t0);  // lost: no update for any of them
  auto later = t0 + rest_limiter::inflight_timeout + 1min;
  (void)k.reserve(r, later);
  k.update(r, ok_headers("h7", "5", "4", "5"), later);
  for (int i = 0; i < 4; ++i) CHECK(k.reserve(r, later) < later + 1s);
  CHECK(k.reserve(r, later) >= later + 5s);
}

// --- command definitions ----------------------------------------------------------------------

namespace {

std::string deploy_commands() { return test::read_text(std::filesystem::path(test::source_dir()) / "deploy" / "discord-commands.json"); }

// What GET /applications/{id}/commands returns for `desired`: Discord's additions.
std::string as_discord_returns(const std::string& desired) {
  json::array list = json::parse(desired).as_array();
  int n = 0;
  for (auto& c : list) {
    auto& o = c.as_object();
    o["id"] = "10" + std::to_string(++n);
    o["application_id"] = "290926444748734465";
    o["version"] = "1234567890123456789";
    o["dm_permission"] = true;
    o["default_permission"] = true;
    o["nsfw"] = false;
    if (!o.contains("default_member_permissions")) o["default_member_permissions"] = nullptr;
    if (auto* opts = o.if_contains("options"))
      for (auto& opt : opts->as_array()) {
        opt.as_object()["name_localizations"] = nullptr;
        opt.as_object()["description_localized"] = opt.at("description");
      }
    o["name_localizations"] = nullptr;
    o["description_localizations"] = json::object{};
  }
  // Discord's order need not be ours.
  std::reverse(list.begin(), list.end());
  return json::serialize(list);
}

}  // namespace

TEST_CASE("deploy/discord-commands.json: /mlpath and /mlpath-stats within Discord's rules", "[discord][commands]") {
  std::string desired = deploy_commands();
  auto problems = check_commands(desired);
  for (const auto& p : problems) FAIL_CHECK(p);
  auto list = json::parse(desired).as_array();
  REQUIRE(list.size() == 2);
  const auto& mlpath = list[0].as_object();
  CHECK(mlpath.at("name") == "mlpath");
  CHECK(mlpath.at("type") == 1);
  CHECK(mlpath.at("integration_types") == json::array{0});
  CHECK(mlpath.at("contexts") == json::array{0, 1});
  CHECK_FALSE(mlpath.contains("default_member_permissions"));  // everyone may start
  std::vector<std::string> subs;
  for (const auto& o : mlpath.at("options").as_array()) {
    CHECK(o.at("type") == 1);
    CHECK(o.at("description").as_string().size() <= 100);
    subs.emplace_back(o.at("name").as_string());
  }
  CHECK(subs == std::vector<std::string>{"start", "resume", "status", "result", "back", "restart", "help", "delete", "share", "stats"});
  const auto& stats = list[1].as_object();
  CHECK(stats.at("name") == "mlpath-stats");
  CHECK(stats.at("default_member_permissions") == "32");  // MANAGE_GUILD
  CHECK(stats.at("contexts") == json::array{0});
}

TEST_CASE("commands_match ignores what Discord adds and sees every real change", "[discord][commands]") {
  std::string desired = deploy_commands();
  CHECK(commands_match(desired, desired));
  CHECK(commands_match(desired, as_discord_returns(desired)));
  CHECK_FALSE(commands_match(desired, "[]"));
  CHECK_FALSE(commands_match(desired, "not json"));
  CHECK_FALSE(commands_match("not json", desired));

  auto changed = [&](auto edit) {
    json::array list = json::parse(as_discord_returns(desired)).as_array();
    edit(list);
    return commands_match(desired, json::serialize(list));
  };
  auto mlpath_of = [](json::array& list) -> json::object& {
    for (auto& c : list)
      if (c.at("name") == "mlpath") return c.as_object();
    throw std::runtime_error("no mlpath");
  };
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["description"] = "Old text"; }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["contexts"] = nullptr; }));  // null is not [0,1]
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["contexts"] = json::array{0}; }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["integration_types"] = json::array{0, 1}; }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["default_member_permissions"] = "32"; }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["nsfw"] = true; }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["options"].as_array().pop_back(); }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["options"].as_array()[0].as_object()["description"] = "x"; }));
  CHECK_FALSE(changed([&](json::array& l) {
    auto& opts = mlpath_of(l)["options"].as_array();
    std::swap(opts[0], opts[1]);  // the order people see
  }));
  CHECK_FALSE(changed([&](json::array& l) {
    l.push_back(json::object{{"name", "View Stats"}, {"type", 2}, {"id", "9"}});  // a PUT would remove it
  }));
  CHECK_FALSE(changed([&](json::array& l) { mlpath_of(l)["name_localizations"] = json::object{{"de", "mlpfad"}}; }));
  // Equivalent spellings are equal.
  CHECK(changed([&](json::array& l) { mlpath_of(l).erase("type"); }));  // type defaults to 1
  CHECK(changed([&](json::array& l) {
    mlpath_of(l)["contexts"] = json::array{1, 0};
    mlpath_of(l)["options"].as_array()[0].as_object()["required"] = false;
  }));
  // Omitted integration_types come back as [0].
  std::string without = R"([{"name":"a","description":"b"}])";
  CHECK(commands_match(without, R"([{"name":"a","description":"b","type":1,"integration_types":[0],"contexts":null,"id":"1"}])"));
  CHECK_FALSE(commands_match(without, R"([{"name":"a","description":"b","contexts":[0,1,2]}])"));
  // Options with values compare as numbers.
  CHECK(commands_match(R"([{"name":"a","description":"b","options":[{"type":4,"name":"n","description":"d","min_value":1,"required":true}]}])",
                       R"([{"name":"a","description":"b","options":[{"type":4,"name":"n","description":"d","min_value":1.0,"required":true,"autocomplete":false}]}])"));
}

TEST_CASE("guild registration drops contexts and integration_types", "[discord][commands]") {
  std::string guild = commands_for_guild(deploy_commands());
  auto list = json::parse(guild).as_array();
  REQUIRE(list.size() == 2);
  for (const auto& c : list) {
    CHECK_FALSE(c.as_object().contains("contexts"));
    CHECK_FALSE(c.as_object().contains("integration_types"));
    CHECK(c.as_object().contains("options") == (c.at("name") == "mlpath"));
  }
  CHECK(list[1].at("default_member_permissions") == "32");
  CHECK(check_commands(guild).empty());
  // Discord's GET for guild commands: contexts null, integration_types [0].
  json::array returned = json::parse(as_discord_returns(guild)).as_array();
  for (auto& c : returned) {
    c.as_object()["guild_id"] = "290926798626357999";
    c.as_object()["contexts"] = nullptr;
    c.as_object()["integration_types"] = json::array{0};
  }
  CHECK(commands_match(guild, json::serialize(returned)));
  CHECK(commands_for_guild("oops") == "oops");
}

TEST_CASE("check_commands finds what Discord would refuse", "[discord][commands]") {
  CHECK_FALSE(check_commands("{}").empty());
  CHECK_FALSE(check_commands(R"([{"name":"MLpath","description":"x"}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":""}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":")" + std::string(101, 'd') + R"("}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":"b"},{"name":"a","description":"c"}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":"b","default_member_permissions":32}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":"b","options":[{"type":1,"name":"x","description":"d","required":true}]}])").empty());
  CHECK_FALSE(check_commands(R"([{"name":"a","description":"b","options":[{"type":3,"name":"x","description":"d"},{"type":3,"name":"y","description":"d","required":true}]}])").empty());
  std::string many = R"([{"name":"a","description":"b","options":[)";
  for (int i = 0; i < 26; ++i) many += (i ? "," : "") + std::string(R"({"type":1,"name":"s)") + std::to_string(i) + R"(","description":"d"})";
  CHECK_FALSE(check_commands(many + "]}]").empty());
  CHECK(check_commands(R"([{"name":"View Stats","type":2}])").empty());  // USER commands may have spaces
  CHECK_FALSE(check_commands(R"([{"name":"view stats","description":"d"}])").empty());
}
