// Block Kit rendering of every neutral reply, within Slack's limits, and a whole reflection
// driven through the rendered messages the way Slack would send the presses back.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/slack/blocks.hpp"
#include "adapters/slack/mapping.hpp"
#include "dialogs/action_token.hpp"
#include "engine_driver.hpp"
#include "slack_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
using mlpath::slack::render_answered;
using mlpath::slack::render_reply;
using mlpath::slack::render_text_modal;
namespace fx = mlpath::test::slack;
namespace json = boost::json;

namespace {

std::vector<std::string> check_message(const json::object& m) {
  fx::block_checker c;
  c.message(m);
  // Everything we send must survive a round trip through a JSON serializer.
  auto again = json::parse(json::serialize(m));
  if (again != json::value(m)) c.problems.push_back("not stable through JSON");
  return c.problems;
}

std::vector<json::object> render_checked(const reply& r) {
  auto messages = render_reply(r);
  INFO("reply type " << type_of(r));
  REQUIRE(!messages.empty());
  for (const auto& m : messages) {
    auto problems = check_message(m);
    INFO(json::serialize(m).substr(0, 4000));
    for (const auto& p : problems) FAIL_CHECK(p);
  }
  return messages;
}

const json::array& blocks_of(const json::object& m) { return m.at("blocks").as_array(); }

std::string all_of_text(const json::object& m) { return fx::all_text(m); }

// Every element of every actions block, with the block it sits in.
std::vector<std::pair<json::object, std::string>> elements_of(const json::object& m) {
  std::vector<std::pair<json::object, std::string>> out;
  for (const auto& b : blocks_of(m)) {
    const auto& block = b.as_object();
    if (block.at("type") != "actions") continue;
    std::string block_id = block.contains("block_id") ? std::string(block.at("block_id").as_string()) : "generated";
    for (const auto& e : block.at("elements").as_array()) out.emplace_back(e.as_object(), block_id);
  }
  return out;
}

std::vector<std::string> button_values(const json::object& m) {
  std::vector<std::string> v;
  for (const auto& [e, block_id] : elements_of(m))
    if (e.at("type") == "button") v.emplace_back(e.at("value").as_string());
  return v;
}

const json::object* element_of_type(const json::object& m, std::string_view type, std::string* block_id = nullptr) {
  static thread_local std::vector<std::pair<json::object, std::string>> keep;
  keep = elements_of(m);
  for (const auto& [e, bid] : keep)
    if (e.at("type").as_string() == type) {
      if (block_id) *block_id = bid;
      return &e;
    }
  return nullptr;
}

question_reply sample_question(question_kind kind, std::size_t options, std::size_t label_len = 10) {
  question_reply q;
  q.question = "sample";
  q.kind = kind;
  q.position = 3;
  q.total = 11;
  q.round = 7;
  q.title = "Sample";
  q.prompt = "Which one?";
  q.max = kind == question_kind::multi ? 2 : 0;
  q.max_length = 500;
  for (std::size_t i = 0; i < options; ++i)
    q.options.push_back({"opt_" + std::to_string(i), "Option " + std::to_string(i) + " " + std::string(label_len, 'x'), false});
  q.actions = {{command_token("skip", "sample", 7), "Skip", action_style::normal},
               {command_token("back", "sample", 7), "Back", action_style::normal}};
  return q;
}

}  // namespace

TEST_CASE("escape_mrkdwn escapes exactly &, < and >", "[slack][blocks]") {
  CHECK(slack::escape_mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d");
  CHECK(slack::escape_mrkdwn("&amp;") == "&amp;amp;");
  CHECK(slack::escape_mrkdwn("it's \"quoted\" *bold*") == "it's \"quoted\" *bold*");
  CHECK(slack::escape_mrkdwn("") == "");
}

TEST_CASE("every reply kind of a real reflection renders within Slack's limits", "[slack][blocks]") {
  test::engine_driver d;
  std::set<std::string> kinds;
  std::vector<reply> all;
  auto keep = [&] {
    for (const auto& r : d.last) {
      kinds.insert(type_of(r));
      all.push_back(r);
    }
  };
  d.send(input::open());
  keep();
  d.say("banana");  // an error
  keep();
  for (int guard = 0; d.c.at == stage::asking && guard < 40; ++guard) {
    d.answer_current();
    keep();
  }
  REQUIRE(d.c.at == stage::summary);
  d.cmd("status");
  keep();
  d.cmd("confirm");
  keep();
  REQUIRE(d.c.at == stage::done);
  d.cmd("restart");  // a confirmation
  keep();
  for (std::string k : {"text", "error", "question", "answered", "summary", "confirm", "result"}) {
    INFO(k);
    CHECK(kinds.count(k) == 1);
  }
  for (const auto& r : all) {
    auto messages = render_checked(r);
    CHECK(messages.size() == (std::holds_alternative<result_reply>(r) ? 2u : 1u));
  }
}

TEST_CASE("question messages carry the tokens of DESIGN.md §3", "[slack][blocks]") {
  test::engine_driver d;
  d.send(input::open());
  int round = d.c.round;

  SECTION("multi choice: checkboxes in q:<question>:r<round> plus a primary Next") {
    auto m = render_checked(*d.question()).front();
    std::string block_id;
    const json::object* boxes = element_of_type(m, "checkboxes", &block_id);
    REQUIRE(boxes);
    CHECK(boxes->at("action_id") == "q:motivation");
    CHECK(block_id == "q:motivation:r" + std::to_string(round));
    std::vector<std::string> values;
    for (const auto& o : boxes->at("options").as_array()) values.emplace_back(o.at("value").as_string());
    CHECK(values == std::vector<std::string>{"hands_on_coding", "data_insights", "new_ideas", "strategy_people"});
    CHECK_FALSE(boxes->contains("initial_options"));
    auto buttons = button_values(m);
    REQUIRE(!buttons.empty());
    CHECK(buttons.front() == command_token("next", "motivation", round));
    const json::object* next = element_of_type(m, "button");
    CHECK(next->at("style") == "primary");
    CHECK(all_of_text(m).find("press *Next*") != std::string::npos);
    question_reply no_hint = *d.question();
    no_hint.hint.clear();
    CHECK(all_of_text(render_checked(no_hint).front()).find("Pick up to 2") != std::string::npos);
    std::string heading(blocks_of(m)[0].at("text").at("text").as_string());
    CHECK(heading.find("*1/11 \xC2\xB7 ") == 0);
    CHECK(std::string(m.at("text").as_string()).find("Question 1 of 11") == 0);

    // Asked again (back), the current selection is ticked.
    d.press(command_token("next", "motivation", round));  // nothing chosen: an error
    d.send(input::choose("motivation", {"new_ideas"}));
    d.cmd("back");
    REQUIRE(d.question());
    REQUIRE(d.question()->question == "motivation");
    m = render_checked(*d.question()).front();
    boxes = element_of_type(m, "checkboxes");
    REQUIRE(boxes->contains("initial_options"));
    CHECK(boxes->at("initial_options").as_array().size() == 1);
    CHECK(boxes->at("initial_options").as_array()[0].at("value") == "new_ideas");
  }

  SECTION("single choice up to 5 options: answer buttons") {
    d.say("1");
    REQUIRE(d.question()->question == "ideal_day");
    auto m = render_checked(*d.question()).front();
    auto values = button_values(m);
    std::vector<std::string> expected;
    for (const auto& o : d.question()->options) expected.push_back(answer_token("ideal_day", o.id, round));
    CHECK(std::vector<std::string>(values.begin(), values.begin() + 5) == expected);
    CHECK(std::find(values.begin(), values.end(), command_token("back", "ideal_day", round)) != values.end());
    for (const auto& v : values) CHECK(parse_action_token(v).has_value());
  }

  SECTION("single choice over 5 options: a static select with bare option ids") {
    while (d.c.current != "domain") d.answer_current();
    auto m = render_checked(*d.question()).front();
    std::string block_id;
    const json::object* select = element_of_type(m, "static_select", &block_id);
    REQUIRE(select);
    CHECK(select->at("action_id") == "q:domain");
    CHECK(block_id == "q:domain:r" + std::to_string(round));
    CHECK(select->at("options").as_array().size() == 6);
    CHECK(select->at("options").as_array()[2].at("value") == "retail");
    CHECK_FALSE(select->contains("initial_option"));
    d.press(answer_token("domain", "retail", round));
    d.cmd("back");
    REQUIRE(d.question()->question == "domain");
    select = element_of_type(render_checked(*d.question()).front(), "static_select");
    REQUIRE(select->contains("initial_option"));
    CHECK(select->at("initial_option").at("value") == "retail");
  }

  SECTION("text question: q:<question> in a block_id, an Answer button, and a modal") {
    while (d.c.current != "goal_note") d.answer_current();
    const question_reply q = *d.question();
    auto m = render_checked(q).front();
    std::string bid = "q:goal_note:r" + std::to_string(round);
    bool found = false;
    for (const auto& b : blocks_of(m))
      if (b.as_object().contains("block_id") && b.at("block_id").as_string() == bid && b.at("type") == "section") found = true;
    CHECK(found);
    auto values = button_values(m);
    CHECK(values.front() == command_token("answer", "goal_note", round));
    CHECK(std::find(values.begin(), values.end(), command_token("skip", "goal_note", round)) != values.end());
    CHECK(all_of_text(m).find("reply here") != std::string::npos);

    question_reply again = q;
    again.text = "An earlier answer";
    auto modal = render_text_modal(again);
    CHECK(modal.at("type") == "modal");
    CHECK(modal.at("callback_id").as_string() == bid);
    CHECK(fx::units(modal.at("title").at("text").as_string()) <= 24);
    CHECK(modal.at("submit").at("text") == "Save");
    const auto& blocks = modal.at("blocks").as_array();
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0].at("type") == "input");
    const auto& element = blocks[0].at("element").as_object();
    CHECK(element.at("type") == "plain_text_input");
    CHECK(element.at("action_id") == "answer");
    CHECK(element.at("multiline") == true);
    CHECK(element.at("max_length") == q.max_length);
    CHECK(element.at("initial_value") == "An earlier answer");
    fx::block_checker c(100);
    c.blocks(modal);
    CHECK(c.problems.empty());
  }
}

TEST_CASE("answered records, errors, confirmations and summaries", "[slack][blocks]") {
  answered_reply a{"motivation", "Motivation <&>", {"hands_on_coding", "new_ideas"}, {"Hands-on coding", "New ideas & <b>"}, false, 3};
  auto m = render_answered(a);
  CHECK(check_message(m).empty());
  REQUIRE(blocks_of(m).size() == 1);
  CHECK(blocks_of(m)[0].at("type") == "section");
  std::string text(blocks_of(m)[0].at("text").at("text").as_string());
  CHECK(text == "\xE2\x9C\x93 *Motivation &lt;&amp;&gt;*: Hands-on coding, New ideas &amp; &lt;b&gt;");
  CHECK(elements_of(m).empty());
  CHECK_FALSE(blocks_of(m)[0].as_object().contains("block_id"));
  a.skipped = true;
  a.labels.clear();
  CHECK(std::string(blocks_of(render_answered(a))[0].at("text").at("text").as_string()).find("(skipped)") != std::string::npos);
  // As a reply kind too.
  CHECK(render_checked(reply{a}).size() == 1);

  auto e = render_checked(reply{error_reply{"I could not match \"<script>\" to an option."}}).front();
  std::string et(blocks_of(e)[0].at("text").at("text").as_string());
  CHECK(et.find(":warning:") == 0);
  CHECK(et.find("&lt;script&gt;") != std::string::npos);

  confirm_reply c{"delete", "Delete everything?",
                  {{command_token("confirm", "delete", 2), "Yes, delete my data", action_style::danger},
                   {command_token("cancel", "", 2), "Cancel", action_style::normal}}};
  auto cm = render_checked(reply{c}).front();
  auto els = elements_of(cm);
  REQUIRE(els.size() == 2);
  CHECK(els[0].first.at("style") == "danger");
  CHECK(els[0].first.at("value") == "cmd:confirm:delete:r2");
  CHECK_FALSE(els[1].first.contains("style"));

  text_reply t{"Welcome back! Resume?", {{command_token("resume", "", 2), "Resume", action_style::primary}}};
  auto tm = render_checked(reply{t}).front();
  CHECK(button_values(tm) == std::vector<std::string>{"cmd:resume:r2"});
}

TEST_CASE("summary: the answers, See my matches and a Change button per question", "[slack][blocks]") {
  test::engine_driver d;
  d.answer_all();
  const summary_reply* s = d.find<summary_reply>();
  REQUIRE(s);
  auto m = render_checked(*s).front();
  auto values = button_values(m);
  REQUIRE(values.size() == 12);
  CHECK(values.front() == command_token("confirm", "", d.c.round));
  CHECK(element_of_type(m, "button")->at("style") == "primary");
  CHECK(values.back() == command_token("edit", "goal_note", d.c.round));
  std::string text = all_of_text(m);
  CHECK(text.find("1. *") != std::string::npos);
  CHECK(text.find("I want to ship a model that people use.") != std::string::npos);

  // Long text answers split into several sections, each within 3000 characters.
  summary_reply big = *s;
  for (auto& l : big.lines) l.answer = std::string(2900, 'a') + " <b>&";
  m = render_checked(big).front();
  int sections = 0;
  for (const auto& b : blocks_of(m)) sections += b.at("type") == "section";
  CHECK(sections >= 11);
  CHECK(button_values(m).size() == 12);
  // Very many lines and actions still fit 50 blocks, and the controls survive.
  summary_reply huge = big;
  for (int i = 0; i < 60; ++i) {
    huge.lines.push_back({"q" + std::to_string(i), "Title " + std::to_string(i), std::string(2990, 'b'), false});
    huge.actions.push_back({command_token("edit", "q" + std::to_string(i), 1), "Change: Title " + std::to_string(i), action_style::normal});
  }
  m = render_checked(huge).front();
  CHECK(blocks_of(m).size() <= 50);
  CHECK(button_values(m).size() == huge.actions.size());
}

TEST_CASE("the result is a match card and a plan", "[slack][blocks]") {
  test::engine_driver d;
  d.answer_all();
  d.cmd("confirm");
  const result_reply* r = d.find<result_reply>();
  REQUIRE(r);
  auto messages = render_checked(*r);
  REQUIRE(messages.size() == 2);
  const auto& card = messages[0];
  CHECK(blocks_of(card)[0].at("type") == "header");
  std::string text = all_of_text(card);
  for (const auto& role : r->match.roles) {
    CHECK(text.find("*" + role.name + "*") != std::string::npos);
    CHECK(text.find(" " + std::to_string(role.score)) != std::string::npos);
  }
  CHECK(text.find("\xE2\x96\xB0") != std::string::npos);  // the score bar
  CHECK(text.find("+") != std::string::npos);             // the reasons
  CHECK(text.find("Confidence") != std::string::npos);
  CHECK(text.find("not a verdict") != std::string::npos);
  CHECK(button_values(card) == std::vector<std::string>{command_token("restart", "", d.c.round)});
  // Roles in score order.
  std::size_t last = 0;
  for (const auto& role : r->match.roles) {
    auto at = text.find("*" + role.name + "*  ");
    CHECK(at >= last);
    last = at;
  }

  const auto& plan = messages[1];
  CHECK(blocks_of(plan)[0].at("type") == "header");
  std::string ptext = all_of_text(plan);
  for (const auto& s : r->plan.sections) {
    CHECK(ptext.find("*" + s.title + "*") != std::string::npos);
    for (const auto& step : s.steps)
      if (!step.link.url.empty()) CHECK(ptext.find("<" + slack::escape_mrkdwn(step.link.url) + "|") != std::string::npos);
  }
  CHECK(ptext.find("week") != std::string::npos);
}

TEST_CASE("Slack's limits hold for extreme content", "[slack][blocks]") {
  std::string emoji;
  for (int i = 0; i < 200; ++i) emoji += "\xF0\x9F\x98\x80";  // U+1F600, two UTF-16 units each

  SECTION("very long labels, prompt, title and hint") {
    for (auto kind : {question_kind::single, question_kind::multi, question_kind::text}) {
      for (std::size_t n : {std::size_t{3}, std::size_t{7}, std::size_t{12}}) {
        question_reply q = sample_question(kind, kind == question_kind::text ? 0 : n, 300);
        q.title = std::string(500, 'T') + " <&>";
        q.prompt = std::string(5000, 'p') + " <b>";
        q.hint = emoji + std::string(4000, 'h');
        q.options.push_back({"emoji", emoji, false});
        q.options.push_back({"markup", "<b>bold</b> & more", false});
        q.selected = {"opt_1", "markup"};
        q.text = std::string(4000, 'z');
        q.max_length = 5000;
        auto m = render_checked(q).front();
        // Labels are plain_text (shown literally, never escaped); prompts are mrkdwn (escaped).
        std::string all = all_of_text(m);
        if (kind != question_kind::text) CHECK(all.find("<b>bold</b> & more") != std::string::npos);
        CHECK(all.find("\xE2\x80\xA6") != std::string::npos);
        auto modal = render_text_modal(q);
        fx::block_checker c(100);
        c.blocks(modal);
        for (const auto& p : c.problems) FAIL_CHECK(p);
        CHECK(fx::units(modal.at("title").at("text").as_string()) <= 24);
        CHECK(fx::valid_utf8(modal.at("title").at("text").as_string()));
        CHECK(modal.at("blocks").as_array()[0].at("element").at("max_length") == 3000);
      }
    }
  }

  SECTION("many options: static_select up to 100, multi_static_select past 10") {
    auto m = render_checked(sample_question(question_kind::single, 150)).front();
    const json::object* select = element_of_type(m, "static_select");
    REQUIRE(select);
    CHECK(select->at("options").as_array().size() == 100);
    m = render_checked(sample_question(question_kind::multi, 12)).front();
    const json::object* multi = element_of_type(m, "multi_static_select");
    REQUIRE(multi);
    CHECK(multi->at("action_id") == "q:sample");
    CHECK(multi->at("max_selected_items") == 2);
    m = render_checked(sample_question(question_kind::multi, 10)).front();
    CHECK(element_of_type(m, "checkboxes"));
  }

  SECTION("many actions split into blocks of 25 with unique action_ids") {
    text_reply t{std::string(10000, 'w') + "\n" + std::string(100, 'x'), {}};
    for (int i = 0; i < 60; ++i) t.actions.push_back({command_token("edit", "x" + std::to_string(i % 30), 1), "Button " + emoji, action_style::normal});
    auto m = render_checked(t).front();
    int action_blocks = 0;
    for (const auto& b : blocks_of(m)) action_blocks += b.at("type") == "actions";
    CHECK(action_blocks == 3);
    CHECK(button_values(m).size() == 60);
  }

  SECTION("long tokens and empty labels") {
    confirm_reply c{"restart", "", {{std::string(400, 'v'), "", action_style::primary}}};
    render_checked(c);
    error_reply e{std::string(7000, '<')};
    auto m = render_checked(e).front();
    CHECK(fx::valid_utf8(m.at("text").as_string()));
  }

  SECTION("a result with long names and many roles") {
    test::engine_driver d;
    d.answer_all();
    d.cmd("confirm");
    result_reply r = *d.find<result_reply>();
    for (auto& role : r.match.roles) {
      role.name = std::string(400, 'N') + " <&>";
      for (auto& w : role.why) w.label = std::string(3000, 'L');
    }
    for (int i = 0; i < 30; ++i) r.match.roles.push_back(r.match.roles.front());
    for (auto& card : r.roles) card.summary = std::string(5000, 's');
    for (auto& s : r.plan.sections)
      for (auto& step : s.steps) step.detail = std::string(2000, 'd') + " | > <";
    render_checked(r);
  }
}

// --- a whole reflection through Block Kit and Slack payloads -------------------------------

namespace {

struct slack_simulator {
  test::engine_driver d;
  slack::bot_identity self{"UBOT", "BBOT", "ABOT"};
  std::vector<json::object> posted;  // the messages the bot would post
  int ignored = 0;
  int modals = 0;

  json::object base_payload() {
    return {{"type", "block_actions"},
            {"user", {{"id", "U42"}, {"team_id", "T1"}}},
            {"team", {{"id", "T1"}, {"domain", "example"}}},
            {"api_app_id", "ABOT"},
            {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", "D42"}, {"is_ephemeral", false}}},
            {"channel", {{"id", "D42"}}},
            {"message", {{"ts", "1.1"}, {"bot_id", "BBOT"}}},
            {"trigger_id", "1.2.3"},
            {"response_url", "https://hooks.slack.com/actions/x"}};
  }

  // Slack's side: the payload is form-encoded, then our parser and mapping take over.
  void deliver(const json::object& payload) {
    auto in = fx::parse_payload(payload);
    auto m = slack::map_inbound(in, self);
    if (m.action == slack::mapped_action::ignore) {
      ++ignored;
      return;
    }
    REQUIRE(m.where.user.user == "U42");
    REQUIRE(m.where.user.tenant == "T1");
    if (m.action == slack::mapped_action::open_modal) {
      ++modals;
      d.send(m.input);  // the engine re-asks; the service shows that question as a modal
      const question_reply* q = d.question();
      REQUIRE(q);
      REQUIRE(q->question == m.question);
      json::object view = render_text_modal(*q);
      const auto& input_block = view.at("blocks").as_array()[0].as_object();
      std::string block_id(input_block.at("block_id").as_string());
      std::string action_id(input_block.at("element").at("action_id").as_string());
      json::object typed{{"type", "plain_text_input"}, {"value", "Lead a small ML team & ship"}};
      json::object block_values;
      block_values[action_id] = typed;
      json::object values;
      values[block_id] = block_values;
      json::object view_payload{{"id", "V1"}, {"callback_id", view.at("callback_id")}};
      view_payload["state"] = json::object{{"values", values}};
      json::object submission{{"type", "view_submission"},
                              {"user", {{"id", "U42"}, {"team_id", "T1"}}},
                              {"team", {{"id", "T1"}}},
                              {"trigger_id", "4.5.6"}};
      submission["view"] = view_payload;
      deliver(submission);
      return;
    }
    d.send(m.input);
    posted.clear();
    for (const auto& r : d.last)
      for (auto& msg : render_reply(r)) posted.push_back(std::move(msg));
  }

  void press(const json::object& element, const std::string& block_id, json::object values = {}) {
    json::object action = element;
    action["block_id"] = block_id;
    action["action_ts"] = "1.5";
    action.erase("options");
    action.erase("initial_options");
    action.erase("initial_option");
    action.erase("placeholder");
    json::object p = base_payload();
    p["actions"] = json::array{action};
    p["state"] = json::object{{"values", std::move(values)}};
    deliver(p);
  }

  // Acts on the last question-like message the way a person would.
  bool step() {
    for (auto it = posted.rbegin(); it != posted.rend(); ++it) {
      const json::object& m = *it;
      auto els = elements_of(m);
      for (const auto& [e, block_id] : els) {
        std::string type(e.at("type").as_string());
        if (type == "checkboxes") {
          // Tick two boxes one by one (each toggle is a payload we ignore), then press Next.
          const auto& options = e.at("options").as_array();
          json::array chosen{options[0], options[1]};
          json::object toggle = e;
          toggle["selected_options"] = json::array{options[0]};
          press(toggle, block_id);
          json::object values{{block_id, {{std::string(e.at("action_id").as_string()), {{"type", "checkboxes"}, {"selected_options", chosen}}}}}};
          for (const auto& [b, bid] : els)
            if (b.at("type") == "button" && std::string(b.at("value").as_string()).rfind("cmd:next:", 0) == 0) {
              press(b, bid, values);
              return true;
            }
          FAIL("no Next button");
        }
        if (type == "static_select") {
          json::object chosen = e;
          chosen["selected_option"] = e.at("options").as_array()[1];
          press(chosen, block_id);
          return true;
        }
        if (type == "button") {
          std::string value(e.at("value").as_string());
          if (value.rfind("q:", 0) == 0 || value.rfind("cmd:answer:", 0) == 0 || value.rfind("cmd:confirm:", 0) == 0) {
            press(e, block_id);
            return true;
          }
        }
      }
    }
    return false;
  }
};

}  // namespace

TEST_CASE("a whole reflection through rendered Block Kit and Slack payloads", "[slack][blocks][mapping]") {
  slack_simulator s;
  // A DM starts it.
  json::object event{{"type", "event_callback"},
                     {"team_id", "T1"},
                     {"event_id", "Ev1"},
                     {"event", {{"type", "message"}, {"user", "U42"}, {"text", "hi"}, {"channel", "D42"}, {"channel_type", "im"}, {"ts", "1.0"}}}};
  auto m = slack::map_inbound(fx::parse_ok(fx::json_type, json::serialize(event)), s.self);
  REQUIRE(m.action == slack::mapped_action::dialog);
  s.d.send(m.input);
  for (const auto& r : s.d.last)
    for (auto& msg : render_reply(r)) s.posted.push_back(std::move(msg));

  for (int guard = 0; guard < 60 && s.d.c.at != stage::done; ++guard) {
    INFO("at question " << s.d.c.current);
    REQUIRE(s.step());
  }
  REQUIRE(s.d.c.at == stage::done);
  CHECK(s.d.c.answers.size() == 11);
  CHECK(s.modals == 1);
  CHECK(s.ignored >= 3);  // the checkbox toggles
  const answer* motivation = find_answer(s.d.c.answers, "motivation");
  REQUIRE(motivation);
  CHECK(motivation->options.size() == 2);
  const answer* note = find_answer(s.d.c.answers, "goal_note");
  REQUIRE(note);
  CHECK(note->text == "Lead a small ML team & ship");
  const answer* domain = find_answer(s.d.c.answers, "domain");
  REQUIRE(domain);
  CHECK(domain->options == std::vector<std::string>{"finance"});
  REQUIRE(s.posted.size() == 2);  // match card and plan
  CHECK(all_of_text(s.posted[0]).find("not a verdict") != std::string::npos);
}
