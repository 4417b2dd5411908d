// The whole service over HTTP: a real `mlpath serve` process, signed requests from the
// test, and an in-process fake of Slack's Web API on 127.0.0.1:0.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "fake_slack.hpp"
#include "test_support.hpp"

namespace json = boost::json;
using namespace mlpath;
using mlpath::test::child_process;
using mlpath::test::fake_slack;
using mlpath::test::recorded_call;
using mlpath::test::temp_dir;

namespace {

const std::string secret = "test-signing-secret";

// A running `mlpath serve` against the fake.
struct serve_process : mlpath::test::serve_process {
  serve_process(const temp_dir& dir, const fake_slack& fake, std::vector<std::string> extra_env = {})
      : mlpath::test::serve_process(env(dir, fake, std::move(extra_env))) {}
  static std::vector<std::string> env(const temp_dir& dir, const fake_slack& fake, std::vector<std::string> extra) {
    std::vector<std::string> e = {"MLPATH_DB=" + dir.file("serve.db"), "MLPATH_LISTEN=127.0.0.1:0",
                                  "SLACK_SIGNING_SECRET=" + secret,   "SLACK_BOT_TOKEN=xoxb-test-token",
                                  "SLACK_API_URL=" + fake.api_url(),  "MLPATH_LOG_LEVEL=warn"};
    for (auto& x : extra) e.push_back(std::move(x));
    return e;
  }
};

net::client_response post_event(fake_slack& fake, serve_process& s, const std::string& body,
                                std::vector<std::pair<std::string, std::string>> extra = {}) {
  return fake.post_signed(s.url("/slack/events"), secret, "application/json", body, std::move(extra));
}

net::client_response press(fake_slack& fake, serve_process& s, const std::string& user, const std::string& value,
                           const std::string& ts, const std::string& trigger) {
  return fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded",
                          mlpath::test::slack_button_press(user, value, ts, trigger));
}

// Posts (accepted ones) whose blocks ask `question`.
std::vector<recorded_call> question_posts(const std::vector<recorded_call>& calls, const std::string& question) {
  std::vector<recorded_call> out;
  for (const auto& c : calls)
    if (c.method == "chat.postMessage" && c.body.find("q:" + question) != std::string::npos) out.push_back(c);
  return out;
}

bool asked(const std::vector<recorded_call>& calls, const std::string& question) {
  return !question_posts(calls, question).empty();
}

std::size_t count_method(const std::vector<recorded_call>& calls, const std::string& method) {
  std::size_t n = 0;
  for (const auto& c : calls) n += c.method == method;
  return n;
}

}  // namespace

TEST_CASE("slack: a person completes the reflection through DMs and button presses", "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "auth.test") >= 1; }));

  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("Ev001", "U1", "hi")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "motivation"); }));
  auto first = question_posts(fake.calls(), "motivation").front();
  CHECK(first.auth == "Bearer xoxb-test-token");
  CHECK(first.json.at("channel") == "D0TEST");

  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("Ev002", "U1", "1, 2")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "ideal_day"); }));
  // The typed answer turns the motivation message into a record.
  REQUIRE(fake.wait_for([&](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.update" && x.json.at("ts") == first.response_ts.c_str()) return true;
    return false;
  }));

  // A button press answers ideal_day, and that message becomes a record too.
  auto ideal = question_posts(fake.calls(), "ideal_day").back();
  REQUIRE(ideal.body.find("q:ideal_day:ship_models:r1") != std::string::npos);
  REQUIRE(press(fake, s, "U1", "q:ideal_day:ship_models:r1", ideal.response_ts, "trig-1").status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "subfields"); }));
  REQUIRE(fake.wait_for([&](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.update" && x.json.at("ts") == ideal.response_ts.c_str()) return true;
    return false;
  }));
  // Pressing it again changes nothing and says so privately.
  REQUIRE(press(fake, s, "U1", "q:ideal_day:ship_models:r1", ideal.response_ts, "trig-2").status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "chat.postEphemeral") == 1; }));

  const std::vector<std::pair<std::string, std::string>> rest = {
      {"languages", "skip"},  // subfields is optional
      {"data_experience", "python"},
      {"strengths", "databases"},
      {"math_comfort", "debugging, system_design"},
      {"domain", "1"},
      {"weekly_hours", "finance"},
      {"worry", "2"},
      {"goal_note", "skip"},
  };
  int n = 3;
  for (const auto& [next, text] : rest) {
    INFO("answering with " << text << ", expecting " << next);
    char id[16];
    std::snprintf(id, sizeof id, "Ev%03d", n++);
    REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event(id, "U1", text)).status == 200);
    REQUIRE(fake.wait_for([&](const auto& c) { return asked(c, next); }));
  }
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("Ev100", "U1", "I want to ship ML features")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("cmd:confirm") != std::string::npos) return true;
    return false;
  }));
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("Ev101", "U1", "yes")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("Your learning plan") != std::string::npos && x.body.find("https://docs.github.com/") != std::string::npos) return true;
    return false;
  }));
  bool has_result = false;
  for (const auto& x : fake.calls("chat.postMessage"))
    if (x.body.find("Applied ML Engineer") != std::string::npos && x.body.find("not a verdict") != std::string::npos)
      has_result = true;
  CHECK(has_result);

  // The answers are in SQLite.
  auto exp = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--tenant",
                                "T0TEST", "--user", "U1", "--db", dir.file("serve.db")});
  REQUIRE(exp.status == 0);
  json::value doc = json::parse(exp.out);
  CHECK(doc.at("conversation").at("stage") == "done");
  CHECK(doc.at("conversation").at("answers").as_array().size() == 11);
  CHECK(doc.at("result").at("match").at("primary").as_array().size() >= 1);
}

TEST_CASE("slack: a retried event is processed once, our own and edited messages are ignored", "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvR1", "U2", "hi")).status == 200);
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvR1", "U2", "hi"),
                     {{"X-Slack-Retry-Num", "1"}, {"X-Slack-Retry-Reason", "http_timeout"}})
              .status == 200);
  // Our own bot's message, by bot id and by user id, and an edit.
  json::value own = json::parse(mlpath::test::slack_dm_event("EvR2", "U0BOT", "a question"));
  own.at("event").as_object()["bot_id"] = "B0BOT";
  REQUIRE(post_event(fake, s, json::serialize(own)).status == 200);
  json::value own_user = json::parse(mlpath::test::slack_dm_event("EvR3", "U0BOT", "1"));
  REQUIRE(post_event(fake, s, json::serialize(own_user)).status == 200);
  json::value edit = json::parse(mlpath::test::slack_dm_event("EvR4", "U2", "1"));
  edit.at("event").as_object()["subtype"] = "message_changed";
  REQUIRE(post_event(fake, s, json::serialize(edit)).status == 200);
  // A marker event after them: once it is answered, the earlier ones have been handled.
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvR5", "U9", "hi")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.json.at("channel") == "D0TEST" && x.body.find("q:motivation") != std::string::npos)
        return true;
    return false;
  }));
  REQUIRE(fake.wait_for([](const auto& c) { return question_posts(c, "motivation").size() >= 2; }));
  auto exp = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--tenant",
                                "T0TEST", "--user", "U2", "--db", dir.file("serve.db")});
  REQUIRE(exp.status == 0);
  json::value doc = json::parse(exp.out);
  CHECK(doc.at("conversation").at("answers").as_array().empty());  // the bot's "1" and the edit answered nothing
  CHECK(question_posts(fake.calls(), "motivation").size() == 2);   // one for U2 (not two), one for U9
  auto bot = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--tenant",
                                "T0TEST", "--user", "U0BOT", "--db", dir.file("serve.db")});
  CHECK(bot.status == 1);  // never became a person
}

TEST_CASE("slack: a 429 is waited out", "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  fake.script("chat.postMessage", {429, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "1"}}, {}, false});
  serve_process s(dir, fake);
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvL1", "U3", "hi")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "chat.postMessage") >= 1; }));
  auto calls = fake.calls();
  std::chrono::steady_clock::time_point limited{}, retried{};
  for (const auto& c : calls) {
    if (c.method == "!chat.postMessage" && limited == std::chrono::steady_clock::time_point{}) limited = c.at;
    if (c.method == "chat.postMessage" && retried == std::chrono::steady_clock::time_point{}) retried = c.at;
  }
  REQUIRE(limited != std::chrono::steady_clock::time_point{});
  CHECK(retried - limited >= std::chrono::milliseconds(950));
}

TEST_CASE("slack: killed between commit and send, the reply is sent exactly once after a restart", "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  fake.fail_always("chat.postMessage", 503);
  {
    serve_process s(dir, fake);
    REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvK1", "U4", "hi")).status == 200);
    // The reply is committed and its send has failed at least once: now crash.
    REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "!chat.postMessage") >= 1; }));
    s.proc().kill_hard();
    s.proc().wait();
  }
  fake.clear_failures();
  serve_process s(dir, fake);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "motivation"); }));
  // Let the restarted service settle: a later event's reply arrives after anything pending.
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvK2", "U5", "hi")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return question_posts(c, "motivation").size() >= 2; }));
  std::size_t for_u4 = 0;
  for (const auto& c : question_posts(fake.calls(), "motivation")) for_u4 += c.json.at("channel") == "D0TEST";
  CHECK(for_u4 == 2);  // U4 once, U5 once (both DM D0TEST in this fake)
  auto accepted_intro = 0;
  for (const auto& c : fake.calls("chat.postMessage")) accepted_intro += c.body.find("I'm mlpath") != std::string::npos;
  CHECK(accepted_intro == 2);
}

TEST_CASE("slack: bad input gets a 4xx or a polite reply, never a crash or a state change", "[slack][e2e]") {
  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  std::string body = mlpath::test::slack_dm_event("EvB1", "U6", "hi");
  // Unsigned.
  net::client_request unsigned_req{"POST", s.url("/slack/events"), {{"Content-Type", "application/json"}}, body};
  CHECK(fake.request(unsigned_req).status == 401);
  // Stale timestamp, and a body altered after signing.
  long long old = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() - 600;
  CHECK(fake.post_signed(s.url("/slack/events"), secret, "application/json", body, {}, old).status == 401);
  CHECK(fake.post_signed(s.url("/slack/events"), "wrong-secret", "application/json", body).status == 401);
  // Wrong content type, malformed JSON, a form without payload.
  CHECK(fake.post_signed(s.url("/slack/events"), secret, "text/plain", body).status == 415);
  auto malformed = fake.post_signed(s.url("/slack/events"), secret, "application/json", "{\"type\":");
  CHECK(malformed.status == 400);
  CHECK(malformed.header("x-slack-no-retry") == "1");
  CHECK(fake.post_signed(s.url("/slack/events"), secret, "application/x-www-form-urlencoded", "foo=bar").status == 400);
  // Oversized.
  CHECK(fake.post_signed(s.url("/slack/events"), secret, "application/json", std::string(2 << 20, 'x')).status == 413);
  // Wrong method and unknown path.
  CHECK(fake.request({"GET", s.url("/slack/events"), {}, ""}).status == 405);
  CHECK(fake.request({"GET", s.url("/nowhere"), {}, ""}).status == 404);
  // An event type we did not subscribe to: 200 and ignored.
  json::value other = json::parse(body);
  other.at("event").as_object()["type"] = "reaction_added";
  other.as_object()["event_id"] = "EvB2";
  CHECK(post_event(fake, s, json::serialize(other)).status == 200);
  // url_verification answers the challenge.
  auto challenge = post_event(fake, s, R"({"token":"x","challenge":"abc123","type":"url_verification"})");
  CHECK(challenge.status == 200);
  CHECK(json::parse(challenge.body).at("challenge") == "abc123");

  // Person A starts; person B presses a button from A's message: B gets a polite note,
  // A's conversation is untouched.
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvB3", "UA", "hi")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "motivation"); }));
  auto q = question_posts(fake.calls(), "motivation").back();
  REQUIRE(press(fake, s, "UB", "q:motivation:hands_on_coding:r1", q.response_ts, "trig-b").status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "chat.postEphemeral") >= 1; }));
  auto exp = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--tenant",
                                "T0TEST", "--user", "UA", "--db", dir.file("serve.db")});
  json::value doc = json::parse(exp.out);
  CHECK(doc.at("conversation").at("answers").as_array().empty());
  CHECK(doc.at("conversation").at("current_question") == "motivation");
  // Still alive and well.
  CHECK(fake.request({"GET", s.url("/healthz"), {}, ""}).status == 200);
  auto metrics = fake.request({"GET", s.url("/metrics"), {}, ""});
  CHECK(metrics.body.find("mlpath_inbound_requests_total{route=\"/slack/events\",kind=\"unverified\",status=\"401\"} 3") !=
        std::string::npos);
  CHECK(metrics.body.find("mlpath_inbound_requests_total{route=\"/slack/events\",kind=\"malformed\",status=\"400\"}") !=
        std::string::npos);
  CHECK(metrics.body.find("mlpath_ack_latency_seconds_bucket{route=\"/slack/events\"") != std::string::npos);
}

TEST_CASE("slack: a weekly check-in arrives at the minute chosen, is answered and shows the streak",
          "[slack][e2e][checkins]") {
  // The real clock: the check-in is set for the next whole minute (UTC), at least 10
  // seconds ahead, and must arrive within 60 seconds after that minute starts.
  using namespace std::chrono;
  auto now = floor<seconds>(system_clock::now());
  auto due = ceil<minutes>(now + seconds(10));
  auto days = floor<std::chrono::days>(due);
  auto tod = hh_mm_ss<minutes>(floor<minutes>(due - days));
  weekday wd{sys_days(days)};
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  char typed[64];
  std::snprintf(typed, sizeof typed, "checkin %s %02d:%02d UTC", names[wd.c_encoding()], static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()));

  temp_dir dir;
  fake_slack fake;
  serve_process s(dir, fake);
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "auth.test") >= 1; }));
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvC1", "U1", typed)).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("Weekly check-ins are set") != std::string::npos &&
          x.body.find("UTC") != std::string::npos)
        return true;
    return false;
  }));
  // The profile's zone was looked up (users.info) for check-ins set without one.
  REQUIRE(fake.wait_for([](const auto& c) { return count_method(c, "users.info") >= 1; }));

  auto limit = duration_cast<milliseconds>(due + seconds(60) - system_clock::now());
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "checkin_progress"); }, limit));
  auto arrived = system_clock::now();
  CHECK(arrived >= due);
  CHECK(arrived < due + seconds(60));
  auto post = question_posts(fake.calls(), "checkin_progress").front();
  CHECK(post.body.find("Time for your weekly check-in") != std::string::npos);

  // Answer with the button the check-in carries, then skip the optional question.
  std::string value;
  auto blocks = post.json.at("blocks").as_array();
  for (const auto& b : blocks)
    if (b.as_object().contains("elements"))
      for (const auto& e : b.at("elements").as_array())
        if (e.as_object().contains("value")) {
          std::string v(e.at("value").as_string());
          if (v.rfind("q:checkin_progress:made_progress", 0) == 0) value = v;
        }
  REQUIRE(!value.empty());
  REQUIRE(press(fake, s, "U1", value, post.response_ts, "trig-c1").status == 200);
  REQUIRE(fake.wait_for([](const auto& c) { return asked(c, "checkin_next_step"); }));
  REQUIRE(post_event(fake, s, mlpath::test::slack_dm_event("EvC2", "U1", "Read one chapter on Sunday")).status == 200);
  REQUIRE(fake.wait_for([](const auto& c) {
    for (const auto& x : c)
      if (x.method == "chat.postMessage" && x.body.find("streak: 1 week") != std::string::npos) return true;
    return false;
  }));
  // The schedule and the answer are in the export.
  auto out = mlpath::test::run({mlpath::test::mlpath_binary(), "user", "export", "--platform", "slack", "--user", "U1",
                                "--db", dir.file("serve.db")});
  REQUIRE(out.status == 0);
  json::value doc = json::parse(out.out);
  REQUIRE(doc.at("checkins").as_array().size() == 1);
  CHECK(doc.at("checkins").at(0).at("active") == true);
  REQUIRE(doc.at("checkin_history").as_array().size() == 1);
  CHECK(doc.at("checkin_history").at(0).at("progress") == "made_progress");
}
