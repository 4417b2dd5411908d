// App Home, share and stats on Slack, through the whole service over HTTP: a real
// `mlpath serve`, signed requests, and the fake Web API recording views.publish and posts.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include "fake_slack.hpp"
#include "test_support.hpp"

namespace json = boost::json;
using namespace mlpath;
using mlpath::test::fake_slack;
using mlpath::test::recorded_call;
using mlpath::test::temp_dir;

namespace {

const std::string secret = "test-signing-secret";

struct serve_process : mlpath::test::serve_process {
  serve_process(const temp_dir& dir, const fake_slack& fake)
      : mlpath::test::serve_process({"MLPATH_DB=" + dir.file("home.db"), "MLPATH_LISTEN=127.0.0.1:0",
                                     "SLACK_SIGNING_SECRET=" + secret, "SLACK_BOT_TOKEN=xoxb-test-token",
                                     "SLACK_API_URL=" + fake.api_url(), "MLPATH_LOG_LEVEL=warn"}) {}
};

std::string home_opened(const std::string& event_id, const std::string& user) {
  return json::serialize(json::object{
      {"type", "event_callback"},
      {"team_id", "T0TEST"},
      {"event_id", event_id},
      {"event", json::object{{"type", "app_home_opened"}, {"user", user}, {"channel", "D" + user}, {"tab", "home"},
                             {"event_ts", "1700000000.000200"}}}});
}

std::string form(std::vector<std::pair<std::string, std::string>> fields) {
  boost::urls::url u;
  for (auto& [k, v] : fields) u.params().append({k, v});
  return std::string(u.encoded_query());
}

std::string slash(const std::string& user, const std::string& channel, const std::string& text, const std::string& trigger) {
  return form({{"team_id", "T0TEST"}, {"channel_id", channel}, {"user_id", user}, {"command", "/mlpath"},
               {"text", text}, {"trigger_id", trigger}, {"response_url", "https://hooks.slack.com/commands/x"}});
}

// A press of `value` on the Home tab (a view, not a message).
std::string home_press(const std::string& user, const std::string& value, const std::string& trigger) {
  json::object payload{
      {"type", "block_actions"},
      {"user", json::object{{"id", user}, {"team_id", "T0TEST"}}},
      {"team", json::object{{"id", "T0TEST"}}},
      {"trigger_id", trigger},
      {"container", json::object{{"type", "view"}, {"view_id", "V1"}}},
      {"view", json::object{{"id", "V1"}, {"type", "home"}, {"callback_id", "mlpath_home"}}},
      {"actions", json::array{json::object{{"action_id", value}, {"block_id", "b"}, {"type", "button"}, {"value", value}}}},
  };
  return form({{"payload", json::serialize(payload)}});
}

std::vector<recorded_call> publishes_for(const std::vector<recorded_call>& calls, const std::string& user) {
  std::vector<recorded_call> out;
  for (const auto& c : calls)
    if (c.method == "views.publish" && c.json.is_object() && c.json.at("user_id") == user.c_str()) out.push_back(c);
  return out;
}

std::vector<std::string> buttons(const json::value& view) {
  std::vector<std::string> out;
  for (const auto& b : view.at("blocks").as_array())
    if (b.at("type") == "actions")
      for (const auto& e : b.at("elements").as_array()) out.emplace_back(e.at("value").as_string());
  return out;
}

}  // namespace

TEST_CASE("slack App Home: published on open, the welcome once, and again after a Home button", "[slack][home][e2e]") {
  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  auto post = [&](const std::string& type, const std::string& body) {
    return fake.post_signed(s.url("/slack/events"), secret, type, body).status;
  };
  REQUIRE(post("application/json", home_opened("EvH1", "U7")) == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return publishes_for(c, "U7").size() == 1; }));
  auto first = publishes_for(fake.calls(), "U7").front();
  CHECK(first.auth == "Bearer xoxb-test-token");
  const auto& view = first.json.at("view");
  CHECK(view.at("type") == "home");
  CHECK(view.at("blocks").as_array().size() <= 100);
  std::string text = json::serialize(view);
  CHECK(text.find("Welcome to mlpath") != std::string::npos);
  CHECK(text.find("not started") != std::string::npos);

  // A second visit: the page again, without the welcome.
  REQUIRE(post("application/json", home_opened("EvH2", "U7")) == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return publishes_for(c, "U7").size() == 2; }));
  CHECK(json::serialize(publishes_for(fake.calls(), "U7")[1].json).find("Welcome to mlpath") == std::string::npos);

  // Start from the Home tab: the first question arrives in the DM, and the page follows.
  auto start = buttons(view).front();
  REQUIRE(start.rfind("cmd:start", 0) == 0);
  REQUIRE(post("application/x-www-form-urlencoded", home_press("U7", start, "trig-h")) == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("q:motivation") != std::string::npos) return true;
    return false;
  }));
  REQUIRE(fake.wait_for([](const auto& c) { return publishes_for(c, "U7").size() == 3; }));
  std::string after = json::serialize(publishes_for(fake.calls(), "U7")[2].json);
  CHECK(after.find("question 1 of") != std::string::npos);
  CHECK(after.find("cmd:resume") != std::string::npos);
  CHECK(fake.calls("chat.update").empty());  // a view is never chat.update'd
}

TEST_CASE("slack share and stats: the card in the channel starts a private reflection, numbers below 5 hidden",
          "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  auto r = fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded",
                            slash("U1", "C42", "share", "trig-1"));
  REQUIRE(r.status == 200);
  auto card = json::parse(r.body);
  CHECK(card.at("response_type") == "in_channel");
  auto values = buttons(card);
  REQUIRE(values.size() == 1);
  CHECK(values[0] == "cmd:start");

  // Someone else presses Start on the card in the channel: their own reflection, in their DM.
  REQUIRE(fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded",
                           mlpath::test::slack_button_press("U2", "cmd:start", "1700000000.000900", "trig-2", "C42"))
              .status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("q:motivation") != std::string::npos) return true;
    return false;
  }));
  for (const auto& c : fake.calls("chat.postMessage")) CHECK(c.json.at("channel") == "DU2");
  CHECK(fake.calls("chat.update").empty());  // the public card is never rewritten

  // In a DM there is nothing to share into: a polite answer.
  r = fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded",
                       slash("U1", "DU1", "share", "trig-3"));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body).at("response_type") == "ephemeral");

  r = fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded",
                       slash("U1", "C42", "stats", "trig-4"));
  REQUIRE(r.status == 200);
  auto stats = json::parse(r.body);
  CHECK(stats.at("response_type") == "ephemeral");
  std::string text = json::serialize(stats);
  CHECK(text.find("&lt;5") != std::string::npos);  // two people so far: shown as <5
  CHECK(text.find("U1") == std::string::npos);
  CHECK(text.find("U2") == std::string::npos);
}
