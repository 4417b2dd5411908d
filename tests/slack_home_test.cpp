// The App Home tab: the neutral page (dialogs/home) for each stage of the reflection and
// its Block Kit view within Slack's limits (100 blocks), with buttons carrying cmd: tokens
// the engine understands.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/slack/blocks.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "dialogs/action_token.hpp"
#include "dialogs/home.hpp"
#include "engine_driver.hpp"
#include "slack_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
namespace json = boost::json;

namespace {

const engine& checkin_engine() {
  static const engine e(mlpath::test::builtin(), &system_calendar());
  return e;
}

std::string view_text(const json::object& view) { return json::serialize(view); }

std::vector<std::string> button_values(const json::object& view) {
  std::vector<std::string> out;
  for (const auto& b : view.at("blocks").as_array()) {
    if (b.at("type") != "actions") continue;
    for (const auto& e : b.at("elements").as_array())
      if (e.at("type") == "button") out.emplace_back(e.at("value").as_string());
  }
  return out;
}

void check_limits(const json::object& view) {
  CHECK(view.at("type") == "home");
  mlpath::test::slack::block_checker checker(100);
  checker.blocks(view);
  for (const auto& p : checker.problems) FAIL_CHECK(p);
}

}  // namespace

TEST_CASE("home: a first visit greets once and offers to start", "[slack][home]") {
  conversation c;
  auto first = home_for(checkin_engine(), c, true);
  CHECK_FALSE(first.greeting.empty());
  CHECK(home_for(checkin_engine(), c, false).greeting.empty());
  auto view = slack::render_home(first);
  check_limits(view);
  auto buttons = button_values(view);
  REQUIRE_FALSE(buttons.empty());
  // Every button is a token the engine turns back into a command.
  for (const auto& b : buttons) CHECK(parse_action_token(b));
  CHECK(parse_action_token(buttons.front())->command == "start");
  CHECK(view_text(view).find("Set up check-ins") != std::string::npos);
}

TEST_CASE("home: halfway it says where the person is and offers to resume", "[slack][home]") {
  test::engine_driver d;
  d.e = &checkin_engine();
  d.send(input::open());
  d.answer_current();
  d.answer_current();
  REQUIRE(d.c.at == stage::asking);
  auto h = home_for(checkin_engine(), d.c, false, {"research_scientist"});
  CHECK(h.where.find("question 3 of") != std::string::npos);
  CHECK(h.where.find("2 answered") != std::string::npos);
  CHECK_FALSE(h.result);
  REQUIRE(h.earlier_primary.size() == 1);
  CHECK(h.earlier_primary[0] == "Research Scientist");
  auto view = slack::render_home(h);
  check_limits(view);
  auto buttons = button_values(view);
  REQUIRE_FALSE(buttons.empty());
  auto resume = parse_action_token(buttons.front());
  REQUIRE(resume);
  CHECK(resume->command == "resume");
  // The button is not stale: pressing it continues the same run.
  d.press(buttons.front());
  CHECK(d.question());
}

TEST_CASE("home: once done it shows the match with reasons, the next steps and the check-in schedule",
          "[slack][home]") {
  test::engine_driver d;
  d.e = &checkin_engine();
  d.answer_all();
  d.cmd("confirm");
  REQUIRE(d.c.at == stage::done);
  d.say("checkin mon 09:00 Europe/Berlin");
  REQUIRE(d.c.checkins.active);
  auto h = home_for(checkin_engine(), d.c, false);
  REQUIRE(h.result);
  CHECK_FALSE(h.next_steps.empty());
  CHECK(h.checkins.find("Mondays 09:00 Europe/Berlin") != std::string::npos);
  auto view = slack::render_home(h);
  check_limits(view);
  std::string text = view_text(view);
  CHECK(text.find("Your latest match") != std::string::npos);
  CHECK(text.find(h.result->match.roles.front().name) != std::string::npos);
  CHECK(text.find("Next in your plan") != std::string::npos);
  CHECK(text.find("Change check-ins") != std::string::npos);
  std::vector<std::string> commands;
  for (const auto& b : button_values(view)) commands.push_back(parse_action_token(b)->command);
  CHECK(commands == std::vector<std::string>{"result", "restart", "checkin"});
}

TEST_CASE("home: a paused schedule says so", "[slack][home]") {
  test::engine_driver d;
  d.e = &checkin_engine();
  d.answer_all();
  d.cmd("confirm");
  d.say("checkin fri 17:30 America/New_York");
  d.cmd("pause");
  auto h = home_for(checkin_engine(), d.c, false);
  CHECK(h.checkins.find("paused") != std::string::npos);
  check_limits(slack::render_home(h));
}

TEST_CASE("share card and stats render within Slack's limits, '<5' escaped", "[slack][home]") {
  auto card = slack::render_share_card();
  mlpath::test::slack::block_checker checker;
  checker.message(card);
  for (const auto& p : checker.problems) FAIL_CHECK(p);
  adapters::community_stats s;
  s.started = 12;
  s.finished = 3;
  s.primary_roles = {{"Data Scientist", 7}, {"Research <Scientist>", 2}};
  auto stats = slack::render_stats(s);
  mlpath::test::slack::block_checker check_stats;
  check_stats.message(stats);
  for (const auto& p : check_stats.problems) FAIL_CHECK(p);
  std::string text = json::serialize(stats);
  CHECK(text.find("12") != std::string::npos);
  CHECK(text.find("&lt;5") != std::string::npos);
  CHECK(text.find("Data Scientist: 7") != std::string::npos);
  CHECK(text.find("Research &lt;Scientist&gt;: &lt;5") != std::string::npos);
}
