// OAuth v2 install pages (DESIGN §3): /slack/install and /slack/oauth_redirect with the
// real workspaces, store and Web API client against the fake Slack, on a fake clock.
// Every refused redirect answers 400 (502 for a failed exchange) and stores nothing.
#include <catch2/catch.hpp>

#include <csignal>

#include "adapters/slack/web_api.hpp"
#include "slack_teams_support.hpp"

using namespace mlpath;
using namespace mlpath::test::teams;
using mlpath::test::recorded_call;

namespace {

std::string header(const net::http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

std::string query_of(const std::string& url, const std::string& name) {
  boost::urls::url u(url);
  for (auto p : u.params())
    if (p.key == name) return p.value;
  return {};
}

// Nothing stored and Slack not asked to exchange anything.
void nothing_installed(rig& r) {
  CHECK(r.store->installations("slack").empty());
  CHECK(r.fake.calls("oauth.v2.access").empty());
  CHECK(r.workspaces->token_for("T1").empty());
}

}  // namespace

TEST_CASE("oauth: /slack/install redirects to Slack with the scopes and a state bound to the browser",
          "[slack][oauth]") {
  rig r;
  r.start();
  auto a = r.begin_install();
  REQUIRE(a.response.status == 302);
  std::string location = header(a.response, "Location");
  CHECK(location.rfind("https://slack.com/oauth/v2/authorize?", 0) == 0);
  CHECK(query_of(location, "client_id") == client_id);
  CHECK(query_of(location, "redirect_uri") == redirect_uri);
  std::string scope = query_of(location, "scope");
  for (const char* s : {"chat:write", "commands", "im:history", "im:write", "app_mentions:read", "users:read"})
    CHECK(scope.find(s) != std::string::npos);
  REQUIRE(a.state.size() >= 32);  // 16 random bytes
  std::string cookie = header(a.response, "Set-Cookie");
  CHECK(cookie.rfind(std::string("mlpath_oauth_state=") + a.state + ";", 0) == 0);
  for (const char* attr : {"HttpOnly", "Secure", "SameSite=Lax", "Path=/slack", "Max-Age=600"})
    CHECK(cookie.find(attr) != std::string::npos);
  CHECK(header(a.response, "Cache-Control") == "no-store");
  // Every install gets its own state.
  auto b = r.begin_install();
  CHECK(b.state != a.state);
  CHECK_FALSE(b.state.empty());
}

TEST_CASE("oauth: the redirect exchanges the code and stores the whole installation", "[slack][oauth]") {
  rig r;
  r.start();
  grant g;
  g.team = "T1";
  g.token = "xoxe.xoxb-1-first";
  g.enterprise = "E1";
  g.refresh = "xoxe-1-refresh-first";
  g.expires_in = 43200;
  r.fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
  auto s = r.begin_install();
  r.now += 9min + 59s;  // just inside the state's ten minutes
  auto done = r.finish_install(s, "the-code");
  REQUIRE(done.status == 200);
  CHECK(done.body.find("installed") != std::string::npos);
  CHECK(header(done, "Set-Cookie").find("Max-Age=0") != std::string::npos);  // the state cookie is cleared

  auto exchange = r.fake.calls("oauth.v2.access");
  REQUIRE(exchange.size() == 1);
  CHECK(form_field(exchange[0], "code") == "the-code");
  CHECK(form_field(exchange[0], "client_id") == client_id);
  CHECK(form_field(exchange[0], "client_secret") == client_secret);
  CHECK(form_field(exchange[0], "redirect_uri") == redirect_uri);  // the same as in the authorize request
  auto test = r.fake.calls("auth.test");
  REQUIRE(test.size() == 1);
  CHECK(test[0].auth == "Bearer xoxe.xoxb-1-first");

  auto installs = r.store->installations("slack");
  REQUIRE(installs.size() == 1);
  const auto& i = installs[0];
  CHECK(i.tenant == "T1");
  CHECK(i.bot_token == "xoxe.xoxb-1-first");
  CHECK(i.bot_user_id == "UBOT");
  CHECK(i.bot_id == "B0BOT");  // from auth.test
  CHECK(i.enterprise_id == "E1");
  CHECK_FALSE(i.is_enterprise_install);
  CHECK(i.app_id == "A0MLPATH");
  CHECK(i.installer_user_id == "UINSTALLER");
  CHECK(i.scopes.find("chat:write") != std::string::npos);
  CHECK(i.refresh_token == "xoxe-1-refresh-first");
  REQUIRE(i.token_expires_at);
  CHECK(*i.token_expires_at == r.now + 12h);
  CHECK(i.installed_at == r.now);
  CHECK(i.updated_at == r.now);
  CHECK(r.workspaces->token_for("T1") == "xoxe.xoxb-1-first");
  CHECK(r.workspaces->identity("T1").bot_id == "B0BOT");
  CHECK(r.workspaces->identity("T1").app_id == "A0MLPATH");
}

TEST_CASE("oauth: an org-wide install is the enterprise's installation", "[slack][oauth]") {
  rig r;
  r.start();
  grant g;
  g.team = "";  // team: null
  g.enterprise = "E9";
  g.org_wide = true;
  g.token = "xoxb-org";
  r.install(g);
  auto installs = r.store->installations("slack");
  REQUIRE(installs.size() == 1);
  CHECK(installs[0].tenant == "E9");
  CHECK(installs[0].is_enterprise_install);
  CHECK(installs[0].enterprise_id == "E9");
  CHECK_FALSE(installs[0].token_expires_at);  // no rotation
  CHECK(r.workspaces->knows("T5", "E9", true));
}

TEST_CASE("oauth: a forged, replayed or expired state, or a missing cookie or code, is refused and nothing is stored",
          "[slack][oauth]") {
  rig r;
  r.start();
  grant g;
  g.team = "T1";
  g.token = "xoxb-1";
  auto s = r.begin_install();
  REQUIRE_FALSE(s.state.empty());

  SECTION("forged state") {
    auto res = r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?code=c&state=forged",
                      "mlpath_oauth_state=forged");
    CHECK(res.status == 400);
    nothing_installed(r);
    // The real state is still good afterwards.
    r.fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
    CHECK(r.finish_install(s).status == 200);
  }
  SECTION("missing cookie") {
    auto res = r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?code=c&state=" + s.state);
    CHECK(res.status == 400);
    nothing_installed(r);
  }
  SECTION("the cookie of another browser's state") {
    auto other = r.begin_install();
    auto res = r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?code=c&state=" + s.state, other.cookie);
    CHECK(res.status == 400);
    nothing_installed(r);
  }
  SECTION("missing code") {
    auto res = r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?state=" + s.state, s.cookie);
    CHECK(res.status == 400);
    nothing_installed(r);
  }
  SECTION("expired state") {
    r.now += 10min;
    auto res = r.finish_install(s);
    CHECK(res.status == 400);
    nothing_installed(r);
  }
  SECTION("replayed state") {
    r.fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
    REQUIRE(r.finish_install(s).status == 200);
    REQUIRE(r.store->installations("slack").size() == 1);
    r.store->erase_installation("slack", "T1");
    g.token = "xoxb-replayed";
    r.fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
    auto again = r.finish_install(s, "code-2");
    CHECK(again.status == 400);
    CHECK(r.fake.calls("oauth.v2.access").size() == 1);  // the replay exchanged nothing
    CHECK(r.store->installations("slack").empty());
  }
  SECTION("a state refused once is spent") {
    // Right state, no cookie: refused, and the state cannot be used with its cookie afterwards.
    REQUIRE(r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?code=c&state=" + s.state).status == 400);
    CHECK(r.finish_install(s).status == 400);
    nothing_installed(r);
  }
}

TEST_CASE("oauth: access_denied answers 400 and stores nothing", "[slack][oauth]") {
  rig r;
  r.start();
  auto s = r.begin_install();
  auto res = r.call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?error=access_denied&state=" + s.state, s.cookie);
  CHECK(res.status == 400);
  CHECK(res.body.find("access_denied") != std::string::npos);
  nothing_installed(r);
  // The state went with it.
  CHECK(r.finish_install(s).status == 400);
  nothing_installed(r);
}

TEST_CASE("oauth: a failed oauth.v2.access answers 502 and stores nothing", "[slack][oauth]") {
  rig r;
  r.start();
  std::string answer;
  int status = 200;
  SECTION("ok:false") {
    MLPATH_REQUIRE_SLACK_FIXTURES();
    answer = mlpath::test::slack::fixture("web_api/oauth.v2.access.error.json");  // invalid_client_id
  }
  SECTION("a server error") {
    status = 503;
    answer = R"({"ok":false,"error":"service_unavailable"})";
  }
  SECTION("ok without a bot token") { answer = R"({"ok":true,"team":{"id":"T1"}})"; }
  r.fake.script("oauth.v2.access", {status, answer, {}, {}, false});
  auto s = r.begin_install();
  auto res = r.finish_install(s);
  CHECK(res.status == 502);
  CHECK(res.body.find(client_secret) == std::string::npos);
  CHECK(r.store->installations("slack").empty());
  CHECK(r.fake.calls("auth.test").empty());
  CHECK(r.workspaces->token_for("T1").empty());
}

TEST_CASE("oauth: install pages answer 404 without OAuth credentials", "[slack][oauth]") {
  rig r;
  slack_oauth off(r.api, *r.workspaces, slack_oauth::settings{}, r.clock);
  CHECK_FALSE(off.enabled());
  std::optional<net::http_response> got;
  off.handle_install(net::http_request{"GET", "/slack/install", {}, "", {}}, [&](net::http_response x) { got = x; });
  REQUIRE(got);
  CHECK(got->status == 404);
}

TEST_CASE("oauth.v2.access answers are read in full: rotation, org, installer", "[slack][oauth][web_api]") {
  using slack::parse_api_response;
  auto r = parse_api_response(200, "", R"({"ok":true,"app_id":"A1","authed_user":{"id":"U9","access_token":"xoxp-x"},
    "scope":"chat:write","token_type":"bot","access_token":"xoxe.xoxb-1","bot_user_id":"UB","refresh_token":"xoxe-1-r",
    "expires_in":43200,"team":{"id":"T1","name":"x"},"enterprise":{"id":"E1","name":"y"},"is_enterprise_install":false})");
  CHECK(r.ok);
  CHECK(r.access_token == "xoxe.xoxb-1");
  CHECK(r.refresh_token == "xoxe-1-r");
  CHECK(r.expires_in == 43200);
  CHECK(r.token_type == "bot");
  CHECK(r.team_id == "T1");
  CHECK(r.enterprise_id == "E1");
  CHECK_FALSE(r.is_enterprise_install);
  CHECK(r.user_id == "U9");  // the installer, never their user token
  CHECK(r.app_id == "A1");
  CHECK(r.bot_user_id == "UB");
  CHECK(r.scope == "chat:write");

  auto org = parse_api_response(200, "", R"({"ok":true,"access_token":"xoxb-o","team":null,
    "enterprise":{"id":"E2"},"is_enterprise_install":true,"token_type":"bot"})");
  CHECK(org.ok);
  CHECK(org.team_id.empty());
  CHECK(org.enterprise_id == "E2");
  CHECK(org.is_enterprise_install);
  CHECK(org.refresh_token.empty());
  CHECK(org.expires_in == 0);

  auto test = parse_api_response(200, "", R"({"ok":true,"url":"https://x/","team":"Org","user":"bot","team_id":"T3",
    "user_id":"UB","bot_id":"B1","enterprise_id":"E3","is_enterprise_install":true})");
  CHECK(test.team_id == "T3");
  CHECK(test.enterprise_id == "E3");
  CHECK(test.is_enterprise_install);

  MLPATH_REQUIRE_SLACK_FIXTURES();
  auto fixture = parse_api_response(200, "", mlpath::test::slack::fixture("web_api/oauth.v2.access.ok.json"));
  CHECK(fixture.enterprise_id == "E12345678");
  CHECK(fixture.token_type == "bot");
  CHECK(fixture.team_id == "T9TK3CUKW");
}

TEST_CASE("oauth: mlpath serve installs a workspace through the browser and answers it with its own token, no secret "
          "is logged",
          "[slack][oauth][e2e]") {
  using mlpath::test::child_process;
  mlpath::test::temp_dir dir;
  mlpath::test::fake_slack fake;
  const std::string signing = "signing-secret-never-logged";
  std::vector<std::string> env = {"MLPATH_DB=" + dir.file("serve.db"),
                                  "MLPATH_LISTEN=127.0.0.1:0",
                                  "MLPATH_PUBLIC_URL=https://mlpath.example.com",
                                  "SLACK_SIGNING_SECRET=" + signing,
                                  std::string("SLACK_CLIENT_ID=") + client_id,
                                  std::string("SLACK_CLIENT_SECRET=") + client_secret,
                                  "SLACK_API_URL=" + fake.api_url(),
                                  "MLPATH_LOG_LEVEL=debug",
                                  "MLPATH_LOG_FORMAT=json"};
  child_process serve({mlpath::test::mlpath_binary(), "serve"}, env);
  std::string base = mlpath::test::await_listening(serve);
  REQUIRE(!base.empty());

  auto install = fake.request({"GET", base + "/slack/install", {}, ""});
  REQUIRE(install.status == 302);
  std::string location(install.header("Location"));
  std::string cookie(install.header("Set-Cookie"));
  cookie = cookie.substr(0, cookie.find(';'));
  std::string state = query_of(location, "state");
  REQUIRE_FALSE(state.empty());
  CHECK(query_of(location, "redirect_uri") == "https://mlpath.example.com/slack/oauth_redirect");

  grant g;
  g.team = "T7";
  g.token = "xoxe.xoxb-7-access-never-logged";
  g.refresh = "xoxe-1-refresh-never-logged";
  g.expires_in = 43200;
  fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
  auto done = fake.request({"GET", base + "/slack/oauth_redirect?code=c7&state=" + state, {{"Cookie", cookie}}, ""});
  CHECK(done.status == 200);
  auto exchange = fake.calls("oauth.v2.access");
  REQUIRE(exchange.size() == 1);
  CHECK(form_field(exchange[0], "redirect_uri") == "https://mlpath.example.com/slack/oauth_redirect");
  // The same link again: refused, nothing exchanged.
  auto replay = fake.request({"GET", base + "/slack/oauth_redirect?code=c7&state=" + state, {{"Cookie", cookie}}, ""});
  CHECK(replay.status == 400);
  CHECK(fake.calls("oauth.v2.access").size() == 1);

  auto ack = fake.post_signed(base + "/slack/events", signing, "application/json", dm_event("EvS1", "T7", "U1", "D7", "hi"));
  REQUIRE(ack.status == 200);
  REQUIRE(fake.wait_for([](const std::vector<recorded_call>& calls) {
    for (const auto& c : calls)
      if (c.method == "chat.postMessage" && c.json.is_object() && c.json.at("channel") == "D7") return true;
    return false;
  }));
  for (const auto& c : fake.calls("chat.postMessage")) CHECK(c.auth == "Bearer " + g.token);
  auto metrics = fake.request({"GET", base + "/metrics", {}, ""});
  CHECK(metrics.body.find("mlpath_slack_app_rate_limited_total 0") != std::string::npos);

  ::kill(serve.pid(), SIGTERM);
  CHECK(serve.wait() == 0);
  std::string everything = serve.read_all() + serve.read_stderr() + install.body + done.body + replay.body + metrics.body;
  for (const auto& [k, v] : install.headers) everything += k + ": " + v + "\n";
  CHECK(everything.find("installed in workspace T7") != std::string::npos);  // the log is there, at debug
  for (const std::string& secret : {std::string(client_secret), g.token, g.refresh, signing}) {
    INFO(secret);
    CHECK(everything.find(secret) == std::string::npos);
    CHECK(everything.find(secret.substr(0, secret.size() / 2)) == std::string::npos);
  }
}
