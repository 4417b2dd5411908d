// Token rotation (token_rotation_enabled): a rotating installation's access token expires
// after 12 hours; mlpath refreshes it 2 hours early (on its timer, at start too) and when a
// call answers token_expired, stores each new pair with a compare-and-swap on the old
// single-use refresh token before using it, and retries a failed refresh with backoff.
// The workspaces run on a fake clock; the fake Slack records every token it was shown.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include "slack_teams_support.hpp"

using namespace mlpath;
using namespace mlpath::test::teams;
using mlpath::test::recorded_call;
using mlpath::test::run_until;

namespace {

// A rotating installation of T1 stored as an OAuth install left it: token `token`,
// refresh token `refresh`, expiring 12 hours after `at`.
void store_rotating(storage::store& s, dialogs::timestamp at, const std::string& token, const std::string& refresh) {
  storage::installation i;
  i.platform = "slack";
  i.tenant = "T1";
  i.bot_token = token;
  i.bot_user_id = "UBOT";
  i.installed_at = at;
  i.refresh_token = refresh;
  i.token_expires_at = at + 12h;
  i.updated_at = at;
  s.save_installation(i);
}

std::string refresh_answer(const std::string& token, const std::string& refresh) {
  grant g;
  g.team = "T1";
  g.token = token;
  g.refresh = refresh;
  g.expires_in = 43200;
  return oauth_answer(g);
}

bool claimed(const std::string& db) {
  SQLite::Database d(db);
  return !d.execAndGet("SELECT refresh_claimed_until FROM installations WHERE tenant = 'T1'").isNull();
}

std::vector<recorded_call> refreshes(mlpath::test::fake_slack& fake) {
  std::vector<recorded_call> out;
  for (const auto& c : fake.calls())
    if ((c.method == "oauth.v2.access" || c.method == "!oauth.v2.access") && form_field(c, "grant_type") == "refresh_token")
      out.push_back(c);
  return out;
}

// Each refresh token went to Slack at most once among the refreshes Slack accepted.
void each_refresh_token_spent_once(mlpath::test::fake_slack& fake) {
  std::map<std::string, int> spent;
  for (const auto& c : fake.calls("oauth.v2.access")) ++spent[form_field(c, "refresh_token")];
  for (const auto& [token, n] : spent) {
    INFO("refresh token " << token);
    CHECK(n == 1);
  }
}

std::int64_t add_post(rig& r, const std::string& channel) {
  outbox::message msg{slack::outbound{slack::post_message{channel, "", json::object{{"text", "hello"}}}}};
  r.store->outbox_add(outbox::to_record(msg, 0, "T1", wall_now()));
  return r.store->outbox_pending(0, 1000).back().id;
}

bool sent(rig& r, std::int64_t id) {
  SQLite::Database d(r.db_path);
  return !d.execAndGet("SELECT sent_at FROM outbox WHERE id = " + std::to_string(id)).isNull();
}

}  // namespace

TEST_CASE("rotation: a token is refreshed two hours before it expires, and the new pair is stored before use",
          "[slack][oauth]") {
  rig r;
  auto installed = r.now;
  store_rotating(*r.store, installed, "xoxe.xoxb-A", "xoxe-1-R1");
  r.start();
  CHECK_FALSE(claimed(r.db_path));  // 12 h left: nothing to do

  r.now = installed + 10h - 1s;
  r.workspaces->rotate_due();
  CHECK_FALSE(claimed(r.db_path));
  CHECK(r.workspaces->token_for("T1") == "xoxe.xoxb-A");

  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-B", "xoxe-1-R2"), {}, {}, false});
  r.now = installed + 10h;
  r.workspaces->rotate_due();
  CHECK(claimed(r.db_path));  // this process holds the refresh token while it spends it
  CHECK(r.workspaces->token_for("T1") == "xoxe.xoxb-A");  // not before the new pair is stored
  REQUIRE(run_until(r.loop, [&] { return r.workspaces->token_for("T1") == "xoxe.xoxb-B"; }));

  auto calls = refreshes(r.fake);
  REQUIRE(calls.size() == 1);
  CHECK(form_field(calls[0], "refresh_token") == "xoxe-1-R1");
  CHECK(form_field(calls[0], "client_id") == client_id);
  CHECK(form_field(calls[0], "client_secret") == client_secret);
  CHECK(calls[0].auth.empty());  // the app's credentials, not a token
  auto stored = r.store->find_installation("slack", "T1");
  REQUIRE(stored);
  CHECK(stored->bot_token == "xoxe.xoxb-B");
  CHECK(stored->refresh_token == "xoxe-1-R2");
  CHECK(stored->token_expires_at == std::optional<dialogs::timestamp>(r.now + 12h));
  CHECK(stored->updated_at == r.now);
  CHECK_FALSE(claimed(r.db_path));

  // The next refresh spends the new refresh token, never the old one again.
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-C", "xoxe-1-R3"), {}, {}, false});
  r.now += 10h;
  r.workspaces->rotate_due();
  REQUIRE(run_until(r.loop, [&] { return r.workspaces->token_for("T1") == "xoxe.xoxb-C"; }));
  calls = refreshes(r.fake);
  REQUIRE(calls.size() == 2);
  CHECK(form_field(calls[1], "refresh_token") == "xoxe-1-R2");
  each_refresh_token_spent_once(r.fake);

  // Sends now use the newest token only.
  auto id = add_post(r, "C1");
  REQUIRE(run_until(r.loop, [&] { return sent(r, id); }));
  for (const auto& c : r.posts_to("C1")) CHECK(c.auth == "Bearer xoxe.xoxb-C");
}

TEST_CASE("rotation: a token already due when mlpath starts is refreshed at start", "[slack][oauth]") {
  rig r;
  store_rotating(*r.store, r.now - 11h, "xoxe.xoxb-A", "xoxe-1-R1");  // one hour left
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-B", "xoxe-1-R2"), {}, {}, false});
  r.start();
  REQUIRE(run_until(r.loop, [&] { return r.workspaces->token_for("T1") == "xoxe.xoxb-B"; }));
  CHECK(refreshes(r.fake).size() == 1);
  CHECK(r.store->find_installation("slack", "T1")->refresh_token == "xoxe-1-R2");
}

TEST_CASE("rotation: a call answered token_expired refreshes the token and the outbox sends again with the new one",
          "[slack][oauth]") {
  rig r;
  store_rotating(*r.store, r.now, "xoxe.xoxb-A", "xoxe-1-R1");  // not due: Slack expired it early
  r.fake.reject_token("xoxe.xoxb-A", "token_expired");
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-B", "xoxe-1-R2"), {}, {}, false});
  r.start();
  auto id = add_post(r, "C1");
  REQUIRE(run_until(r.loop, [&] { return sent(r, id); }));

  auto all = r.fake.calls();
  std::size_t refreshed_at = all.size();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].method == "oauth.v2.access") refreshed_at = std::min(refreshed_at, i);
  REQUIRE(refreshed_at < all.size());
  // Before the refresh: the expired token, refused. After it: only the new token.
  bool refused_before = false;
  for (std::size_t i = 0; i < refreshed_at; ++i)
    if (all[i].method == "!chat.postMessage" && all[i].auth == "Bearer xoxe.xoxb-A") refused_before = true;
  CHECK(refused_before);
  for (std::size_t i = refreshed_at + 1; i < all.size(); ++i) {
    INFO(all[i].method);
    CHECK(all[i].auth != "Bearer xoxe.xoxb-A");
  }
  auto posts = r.posts_to("C1");
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].auth == "Bearer xoxe.xoxb-B");
  CHECK(refreshes(r.fake).size() == 1);
  CHECK(r.m.counter_value("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"token_expired\"") >= 1);
  CHECK(r.m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 0);
}

TEST_CASE("rotation: token_expired without a refresh token ends the message", "[slack][oauth]") {
  rig r;
  storage::installation i;
  i.platform = "slack";
  i.tenant = "T1";
  i.bot_token = "xoxb-plain";
  i.installed_at = r.now;
  r.store->save_installation(i);
  r.fake.reject_token("xoxb-plain", "token_expired");
  r.start();
  auto id = add_post(r, "C1");
  REQUIRE(run_until(r.loop, [&] { return r.m.counter_value("mlpath_outbox_failed_total", "platform=\"slack\"") == 1; }));
  CHECK_FALSE(sent(r, id));
  CHECK(refreshes(r.fake).empty());
}

TEST_CASE("rotation: a failed refresh is retried with backoff, the old token serves until the new one is stored",
          "[slack][oauth]") {
  rig r;
  auto installed = r.now;
  store_rotating(*r.store, installed, "xoxe.xoxb-A", "xoxe-1-R1");
  r.fake.script("oauth.v2.access", {200, R"({"ok":false,"error":"internal_error"})", {}, {}, false});
  r.fake.script("oauth.v2.access", {503, R"({"ok":false,"error":"service_unavailable"})", {}, {}, false});
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-B", "xoxe-1-R2"), {}, {}, false});
  r.now = installed + 10h + 30min;
  r.start();
  REQUIRE(run_until(r.loop, [&] { return refreshes(r.fake).size() >= 1; }));
  // Meanwhile the old token, still valid for 1.5 hours, is the one in use.
  auto early = add_post(r, "C1");
  REQUIRE(run_until(r.loop, [&] { return r.workspaces->token_for("T1") == "xoxe.xoxb-B"; }));
  REQUIRE(run_until(r.loop, [&] { return sent(r, early); }));
  auto calls = refreshes(r.fake);
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].method == "!oauth.v2.access");
  CHECK(calls[1].method == "!oauth.v2.access");
  CHECK(calls[2].method == "oauth.v2.access");
  // Slack refused the first two: the same refresh token is still the one to spend.
  for (const auto& c : calls) CHECK(form_field(c, "refresh_token") == "xoxe-1-R1");
  CHECK(calls[1].at > calls[0].at);
  CHECK(r.store->find_installation("slack", "T1")->bot_token == "xoxe.xoxb-B");
  // Once the new pair is stored, nothing carries the old token.
  auto all = r.fake.calls();
  std::size_t stored_after = 0;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].method == "oauth.v2.access") stored_after = i;
  for (std::size_t i = stored_after + 1; i < all.size(); ++i) CHECK(all[i].auth != "Bearer xoxe.xoxb-A");
  auto late = add_post(r, "C2");
  REQUIRE(run_until(r.loop, [&] { return sent(r, late); }));
  for (const auto& c : r.posts_to("C2")) CHECK(c.auth == "Bearer xoxe.xoxb-B");
}

TEST_CASE("rotation: two processes on one database never spend one refresh token twice", "[slack][oauth]") {
  rig r;
  auto installed = r.now;
  store_rotating(*r.store, installed, "xoxe.xoxb-A", "xoxe-1-R1");
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-B", "xoxe-1-R2"), {}, {}, false});
  r.fake.script("oauth.v2.access", {200, refresh_answer("xoxe.xoxb-X", "xoxe-1-RX"), {}, {}, false});
  r.now = installed + 10h + 1min;

  // A second process: its own connection to the same file, its own workspaces.
  auto other_store = storage::open_sqlite_store(rig::db_options(r.db_path));
  auto o = rig::workspace_options();
  o.claim_for = std::chrono::seconds(1);
  slack_workspaces other(r.loop, *other_store, r.api, "", r.clock, o);

  r.start();           // claims R1 and spends it
  other.start([] {});  // finds R1 claimed: waits and looks again
  REQUIRE(run_until(r.loop, [&] { return r.workspaces->token_for("T1") == "xoxe.xoxb-B"; }));
  // The other process picks up the pair stored by the first instead of refreshing.
  REQUIRE(run_until(r.loop, [&] { return other.token_for("T1") == "xoxe.xoxb-B"; }, 10s));
  auto calls = refreshes(r.fake);
  REQUIRE(calls.size() == 1);
  CHECK(form_field(calls[0], "refresh_token") == "xoxe-1-R1");
  each_refresh_token_spent_once(r.fake);
  CHECK(r.store->find_installation("slack", "T1")->refresh_token == "xoxe-1-R2");
  other.stop();
}

TEST_CASE("rotation: storage compare-and-swap on the refresh token", "[slack][oauth][storage]") {
  rig r;
  store_rotating(*r.store, r.now, "A", "R1");
  auto later = r.now + 1h;
  // A claim holds other claimants off until it runs out or is released.
  CHECK(r.store->claim_token_refresh("slack", "T1", "R1", r.now, r.now + 2min));
  CHECK_FALSE(r.store->claim_token_refresh("slack", "T1", "R1", r.now + 1min, r.now + 3min));
  CHECK(r.store->claim_token_refresh("slack", "T1", "R1", r.now + 2min, r.now + 4min));  // ran out
  r.store->release_token_refresh("slack", "T1", "R1");
  CHECK(r.store->claim_token_refresh("slack", "T1", "R1", r.now + 2min, r.now + 4min));
  CHECK_FALSE(r.store->claim_token_refresh("slack", "T1", "R0", r.now + 10min, r.now + 12min));  // not the stored token
  CHECK_FALSE(r.store->claim_token_refresh("slack", "T9", "R1", r.now, r.now + 2min));

  storage::rotated_tokens next{"B", "R2", later + 12h};
  CHECK_FALSE(r.store->rotate_tokens("slack", "T1", "R0", next, later));  // a stale refresh token loses
  CHECK(r.store->find_installation("slack", "T1")->bot_token == "A");
  CHECK(r.store->rotate_tokens("slack", "T1", "R1", next, later));
  CHECK_FALSE(r.store->rotate_tokens("slack", "T1", "R1", storage::rotated_tokens{"C", "R3", later}, later));
  auto i = r.store->find_installation("slack", "T1");
  REQUIRE(i);
  CHECK(i->bot_token == "B");
  CHECK(i->refresh_token == "R2");
  CHECK(i->token_expires_at == std::optional<dialogs::timestamp>(later + 12h));
  CHECK(i->updated_at == later);
  CHECK_FALSE(claimed(r.db_path));  // the rotation ended the claim
  // A token that does not rotate cannot be claimed or swapped.
  storage::installation plain;
  plain.platform = "slack";
  plain.tenant = "T2";
  plain.bot_token = "P";
  plain.installed_at = r.now;
  r.store->save_installation(plain);
  CHECK_FALSE(r.store->claim_token_refresh("slack", "T2", "", r.now, r.now + 1min));
  CHECK_FALSE(r.store->rotate_tokens("slack", "T2", "", next, later));
  CHECK(r.store->find_installation("slack", "T2")->bot_token == "P");
}
