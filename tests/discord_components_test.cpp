// Discord rendering of every neutral reply within Discord's limits, and a whole reflection
// driven through the rendered components the way Discord would send the presses back.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <set>

#include "adapters/discord/components.hpp"
#include "adapters/discord/mapping.hpp"
#include "dialogs/action_token.hpp"
#include "discord_support.hpp"
#include "engine_driver.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
using mlpath::discord::render_answered;
using mlpath::discord::render_reply;
using mlpath::discord::render_text_modal;
namespace fx = mlpath::test::discord;
namespace json = boost::json;

namespace {

std::vector<json::object> render_checked(const reply& r, bool ephemeral = true) {
  auto messages = render_reply(r, ephemeral);
  INFO("reply type " << type_of(r));
  REQUIRE(!messages.empty());
  for (const auto& m : messages) {
    INFO(json::serialize(m).substr(0, 4000));
    for (const auto& p : fx::check_message(m)) FAIL_CHECK(p);
    CHECK((m.contains("flags") && m.at("flags") == 64) == ephemeral);
    CHECK(json::parse(json::serialize(m)) == json::value(m));
  }
  return messages;
}

// Catch compares a JSON string with a std::string through this.
std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

std::string content_of(const json::object& m) { return std::string(m.at("content").as_string()); }

std::string all_text(const json::value& v) {
  std::string out;
  if (v.is_string()) out += std::string(v.as_string()) + "\n";
  else if (v.is_object())
    for (const auto& [k, x] : v.as_object()) out += all_text(x);
  else if (v.is_array())
    for (const auto& x : v.as_array()) out += all_text(x);
  return out;
}

std::vector<json::object> components_of_type(const json::object& m, int type) {
  std::vector<json::object> out;
  for (const auto& r : m.at("components").as_array())
    for (const auto& c : r.at("components").as_array())
      if (c.at("type") == type) out.push_back(c.as_object());
  return out;
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

TEST_CASE("every reply kind of a real reflection renders within Discord's limits", "[discord][components]") {
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
  d.say("banana");
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
  d.cmd("restart");
  keep();
  for (std::string k : {"text", "error", "question", "answered", "summary", "confirm", "result"}) {
    INFO(k);
    CHECK(kinds.count(k) == 1);
  }
  for (bool ephemeral : {true, false}) {
    for (const auto& r : all) {
      auto messages = render_checked(r, ephemeral);
      CHECK(messages.size() == (std::holds_alternative<result_reply>(r) ? 2u : 1u));
    }
  }
}

TEST_CASE("questions: heading, buttons or selects, tokens of DESIGN.md §3", "[discord][components]") {
  SECTION("single choice with up to 5 options: secondary buttons in one row") {
    question_reply q = sample_question(question_kind::single, 4);
    q.selected = {"opt_2"};
    auto m = render_checked(q).front();
    CHECK(content_of(m).rfind("**3/11 \xC2\xB7 Sample**\nWhich one?", 0) == 0);
    const auto& rows = m.at("components").as_array();
    REQUIRE(rows.size() == 2);
    const auto& answers = rows[0].at("components").as_array();
    REQUIRE(answers.size() == 4);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      CHECK(answers[i].at("type") == 2);
      CHECK(str(answers[i].at("custom_id")) == answer_token("sample", "opt_" + std::to_string(i), 7));
      CHECK(answers[i].at("style") == (i == 2 ? 1 : 2));  // the current answer stands out
    }
    // Skip and Back in their own row.
    const auto& controls = rows[1].at("components").as_array();
    REQUIRE(controls.size() == 2);
    CHECK(str(controls[0].at("custom_id")) == command_token("skip", "sample", 7));
    CHECK(str(controls[1].at("custom_id")) == command_token("back", "sample", 7));
    CHECK(controls[0].at("style") == 2);
  }

  SECTION("single choice with more than 5 options: a string select q:<q>:r<round>") {
    question_reply q = sample_question(question_kind::single, 6);
    q.selected = {"opt_4"};
    auto m = render_checked(q).front();
    auto selects = components_of_type(m, 3);
    REQUIRE(selects.size() == 1);
    CHECK(selects[0].at("custom_id") == "q:sample:r7");
    CHECK(selects[0].at("min_values") == 1);
    CHECK(selects[0].at("max_values") == 1);
    const auto& options = selects[0].at("options").as_array();
    REQUIRE(options.size() == 6);
    CHECK(options[4].at("value") == "opt_4");
    CHECK(options[4].at("default") == true);
    CHECK_FALSE(options[0].as_object().contains("default"));
    // The token parses back to the question and round with no option.
    auto t = parse_action_token("q:sample:r7");
    REQUIRE(t);
    CHECK(t->question == "sample");
    CHECK(t->options.empty());
    CHECK(t->round == 7);
  }

  SECTION("multi choice: a select with min 1, max = the question's maximum, defaults") {
    question_reply q = sample_question(question_kind::multi, 4);
    q.selected = {"opt_1", "opt_3"};
    auto m = render_checked(q).front();
    auto selects = components_of_type(m, 3);
    REQUIRE(selects.size() == 1);
    CHECK(selects[0].at("custom_id") == "q:sample:r7");
    CHECK(selects[0].at("min_values") == 1);
    CHECK(selects[0].at("max_values") == 2);
    int defaults = 0;
    for (const auto& o : selects[0].at("options").as_array()) defaults += o.as_object().contains("default");
    CHECK(defaults == 2);
    CHECK(std::string(selects[0].at("placeholder").as_string()).find("2") != std::string::npos);
    // No maximum: every option may be chosen.
    q.max = 0;
    m = render_checked(q).front();
    CHECK(components_of_type(m, 3)[0].at("max_values") == 4);
    // Controls still in their own row.
    CHECK(m.at("components").as_array().size() == 2);
  }

  SECTION("text: an Answer button opening the modal, and the DM hint") {
    question_reply q = sample_question(question_kind::text, 0);
    q.text = "so far";
    auto m = render_checked(q).front();
    auto buttons = components_of_type(m, 2);
    REQUIRE(buttons.size() == 3);
    CHECK(str(buttons[0].at("custom_id")) == command_token("answer", "sample", 7));
    CHECK(buttons[0].at("label") == "Answer");
    CHECK(buttons[0].at("style") == 1);
    CHECK(content_of(m).find("or just reply to me in a DM") != std::string::npos);
    CHECK(content_of(m).find("so far") != std::string::npos);
    // In the DM itself: reply right there.
    auto dm = render_checked(q, false).front();
    CHECK(content_of(dm).find("or just type your answer here") != std::string::npos);
  }

  SECTION("the hint is shown") {
    question_reply q = sample_question(question_kind::multi, 3);
    q.hint = "Pick up to two.";
    CHECK(content_of(render_checked(q).front()).find("*Pick up to two.*") != std::string::npos);
  }
}

TEST_CASE("the text modal: one paragraph input, custom_id q:<q>:r<round>", "[discord][components]") {
  question_reply q = sample_question(question_kind::text, 0);
  q.title = "In one sentence, where do you want to be in a year from now?";
  q.text = "current";
  q.max_length = 500;
  auto modal = render_text_modal(q);
  for (const auto& p : fx::check_modal(modal)) FAIL_CHECK(p);
  CHECK(modal.at("custom_id") == "q:sample:r7");
  CHECK(fx::units(modal.at("title").as_string()) <= 45);
  const auto& input = modal.at("components").as_array()[0].at("components").as_array()[0].as_object();
  CHECK(input.at("type") == 4);
  CHECK(input.at("style") == 2);
  CHECK(input.at("required") == true);
  CHECK(input.at("max_length") == 500);
  CHECK(input.at("value") == "current");
  // Discord's ceiling is 4000; an empty title still has one.
  q.max_length = 100000;
  q.title.clear();
  q.text = std::string(5000, 'z');
  modal = render_text_modal(q);
  for (const auto& p : fx::check_modal(modal)) FAIL_CHECK(p);
  CHECK(modal.at("components").as_array()[0].at("components").as_array()[0].at("max_length") == 4000);
  // The modal's custom_id maps back to a text answer for that question.
  auto in = fx::parse_json(fx::interaction_builder{}.modal(std::string(modal.at("custom_id").as_string()), "hi", false));
  auto m = discord::map_interaction(in);
  CHECK(m.input.question == "sample");
  CHECK(m.input.round == 7);
}

TEST_CASE("answered records, errors, confirmations", "[discord][components]") {
  answered_reply a{"languages", "Languages", {"python", "cpp_or_java"}, {"Python", "C++ or Java"}, false, 2};
  auto m = render_answered(a, true);
  for (const auto& p : fx::check_message(m)) FAIL_CHECK(p);
  CHECK(content_of(m) == "\xE2\x9C\x93 **Languages**: Python, C++ or Java");
  CHECK(m.at("components").as_array().empty());
  CHECK(m.at("embeds").as_array().empty());
  CHECK(m.at("flags") == 64);
  a.skipped = true;
  CHECK(content_of(render_answered(a, false)).find("skipped") != std::string::npos);
  CHECK_FALSE(render_answered(a, false).contains("flags"));
  // A text answer with markdown and a mention is shown literally.
  answered_reply t{"goal_note", "Goal", {}, {"**be** @everyone <@123> [x](https://evil)"}, false, 2};
  std::string c = content_of(render_answered(t, false));
  CHECK(c.find("\\*\\*be\\*\\*") != std::string::npos);
  CHECK(c.find("\\@everyone") != std::string::npos);
  CHECK(c.find("\\<\\@123>") != std::string::npos);
  CHECK(c.find("\\[x\\]") != std::string::npos);

  auto e = render_checked(error_reply{"That is not an option."}).front();
  CHECK(content_of(e).find("That is not an option.") != std::string::npos);
  CHECK(e.at("components").as_array().empty());

  confirm_reply conf{"restart", "Start over?", {{command_token("confirm", "restart", 2), "Yes, start over", action_style::danger},
                                                {command_token("cancel", "", 2), "Cancel", action_style::normal}}};
  auto cm = render_checked(conf).front();
  auto buttons = components_of_type(cm, 2);
  REQUIRE(buttons.size() == 2);
  CHECK(buttons[0].at("style") == 4);
  CHECK(buttons[1].at("style") == 2);
  text_reply primary{"Welcome back", {{command_token("resume", "", 1), "Resume", action_style::primary}}};
  CHECK(components_of_type(render_checked(primary).front(), 2)[0].at("style") == 1);
}

TEST_CASE("summary: the answers, See my matches, a Change per question", "[discord][components]") {
  test::engine_driver d;
  d.answer_all();
  const summary_reply* s = d.find<summary_reply>();
  REQUIRE(s);
  auto m = render_checked(*s).front();
  std::string text = all_text(m.at("embeds"));
  for (const auto& l : s->lines) CHECK(text.find(l.title) != std::string::npos);
  auto buttons = components_of_type(m, 2);
  REQUIRE(buttons.size() == s->actions.size());
  CHECK(str(buttons[0].at("custom_id")) == command_token("confirm", "", d.c.round));
  CHECK(buttons[0].at("style") == 1);
  CHECK(buttons[0].at("label") == "See my matches");
  for (std::size_t i = 1; i < buttons.size(); ++i)
    CHECK(std::string(buttons[i].at("custom_id").as_string()).rfind("cmd:edit:", 0) == 0);
  // The first row holds only See my matches; the Change buttons follow.
  CHECK(m.at("components").as_array()[0].at("components").as_array().size() == 1);

  SECTION("more Change buttons than rows: Change-an-answer selects the mapping understands") {
    summary_reply big = *s;
    for (int i = 0; i < 40; ++i) {
      big.lines.push_back({"extra_" + std::to_string(i), "Extra " + std::to_string(i), "x", false});
      big.actions.push_back({command_token("edit", "extra_" + std::to_string(i), d.c.round), "Change: Extra " + std::to_string(i),
                             action_style::normal});
    }
    auto bm = render_checked(big).front();
    auto selects = components_of_type(bm, 3);
    REQUIRE(selects.size() == 3);  // 51 questions in pages of 25
    CHECK(str(selects[0].at("custom_id")) == command_token("edit", "", d.c.round));
    CHECK(str(selects[1].at("custom_id")) == command_token("edit", "p2", d.c.round));
    std::size_t options = 0;
    for (const auto& sel : selects) options += sel.at("options").as_array().size();
    CHECK(options == big.actions.size() - 1);
    CHECK(str(selects[0].at("options").as_array()[0].at("value")) == s->lines[0].question);
    CHECK(str(selects[0].at("options").as_array()[0].at("label")) == s->lines[0].title);
    // Pressing it edits that question.
    fx::interaction_builder b;
    auto mapped = discord::map_interaction(
        fx::parse_json(b.component(std::string(selects[1].at("custom_id").as_string()), 3, {"extra_30"})));
    CHECK(mapped.input.command == "edit");
    CHECK(mapped.input.arg == "extra_30");
    CHECK(mapped.input.round == d.c.round);
    CHECK(components_of_type(bm, 2).size() == 1);  // See my matches stays a button
  }
}

TEST_CASE("the result is a match embed and a plan embed", "[discord][components]") {
  test::engine_driver d;
  d.answer_all();
  d.cmd("confirm");
  const result_reply* r = d.find<result_reply>();
  REQUIRE(r);
  auto messages = render_checked(*r);
  REQUIRE(messages.size() == 2);
  const auto& card = messages[0];
  REQUIRE(card.at("embeds").as_array().size() == 1);
  const auto& embed = card.at("embeds").as_array()[0].as_object();
  CHECK(embed.at("title") == "Your ML role matches");
  std::string text = all_text(card);
  for (const auto& role : r->match.roles) {
    CHECK(text.find(role.name) != std::string::npos);
    CHECK(text.find(" " + std::to_string(role.score)) != std::string::npos);
  }
  CHECK(text.find("\xE2\x96\xB0") != std::string::npos);  // ▰
  CHECK(text.find("+") != std::string::npos);
  CHECK(text.find("Confidence") != std::string::npos);
  CHECK(text.find("not a verdict") != std::string::npos);
  CHECK(text.find("best match") != std::string::npos);
  for (const auto& c : r->roles) CHECK(text.find("About: " + c.name) != std::string::npos);
  auto buttons = components_of_type(card, 2);
  REQUIRE(buttons.size() == 1);
  CHECK(str(buttons[0].at("custom_id")) == command_token("restart", "", d.c.round));
  // Fields in score order.
  const auto& fields = embed.at("fields").as_array();
  for (std::size_t i = 0; i < r->match.roles.size(); ++i) CHECK(str(fields[i].at("name")) == r->match.roles[i].name);

  const auto& plan = messages[1];
  const auto& pe = plan.at("embeds").as_array()[0].as_object();
  CHECK(pe.at("title") == "Your learning plan");
  std::string ptext = all_text(plan);
  for (const auto& s : r->plan.sections) {
    CHECK(ptext.find(s.title) != std::string::npos);
    for (const auto& step : s.steps)
      if (!step.link.url.empty()) CHECK(ptext.find("](" + step.link.url + ")") != std::string::npos);
  }
  CHECK(ptext.find("week") != std::string::npos);
  if (r->plan.tip) CHECK(ptext.find("Tip: " + r->plan.tip->title) != std::string::npos);
}

TEST_CASE("Discord's limits hold for extreme content", "[discord][components]") {
  std::string emoji;
  for (int i = 0; i < 200; ++i) emoji += "\xF0\x9F\x98\x80";  // two UTF-16 units each

  SECTION("very long labels, prompt, title and hint") {
    for (auto kind : {question_kind::single, question_kind::multi, question_kind::text}) {
      for (std::size_t n : {std::size_t{3}, std::size_t{7}, std::size_t{40}}) {
        question_reply q = sample_question(kind, kind == question_kind::text ? 0 : n, 300);
        q.title = std::string(500, 'T') + " **";
        q.prompt = std::string(5000, 'p') + "\\";
        q.hint = emoji + std::string(4000, 'h');
        q.options.push_back({"emoji", emoji, false});
        q.options.push_back({"markup", "**bold** & [link](x)", false});
        q.selected = {"opt_1", "markup", "emoji"};
        q.text = std::string(4000, 'z');
        q.max = 30;
        q.max_length = 5000;
        auto m = render_checked(q).front();
        CHECK(all_text(m).find("\xE2\x80\xA6") != std::string::npos);
        auto modal = render_text_modal(q);
        for (const auto& p : fx::check_modal(modal)) FAIL_CHECK(p);
        CHECK(fx::valid_utf8(modal.at("title").as_string()));
      }
    }
  }

  SECTION("many actions: at most 5 rows of 5, unique custom_ids") {
    text_reply t{std::string(3000, 'w'), {}};
    for (int i = 0; i < 60; ++i)
      t.actions.push_back({command_token("edit", "x" + std::to_string(i % 30), 1), "Button " + emoji, action_style::normal});
    auto m = render_checked(t).front();
    CHECK(m.at("components").as_array().size() == 5);
    CHECK(components_of_type(m, 2).size() == 25);
  }

  SECTION("long or empty tokens and labels") {
    confirm_reply c{"restart", "", {{std::string(400, 'v'), "", action_style::primary}, {"", "x", action_style::normal}}};
    auto m = render_checked(c).front();
    CHECK(m.at("components").as_array().empty());  // a custom_id over 100 is dropped, never cut
    error_reply e{std::string(7000, '*')};
    render_checked(e);
    text_reply empty{"", {}};
    CHECK(!content_of(render_checked(empty).front()).empty());
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
    r.note = std::string(5000, 'n');
    for (auto& s : r.plan.sections)
      for (auto& step : s.steps) step.detail = std::string(2000, 'd') + " | > <";
    auto messages = render_checked(r);
    // The plan keeps its links when details have to go.
    std::string ptext = all_text(messages[1]);
    CHECK(ptext.find("](http") != std::string::npos);
    for (int i = 0; i < 40; ++i) r.plan.sections.push_back(r.plan.sections.front());
    render_checked(r);
  }

  SECTION("links with parentheses and odd titles stay links") {
    test::engine_driver d;
    d.answer_all();
    d.cmd("confirm");
    result_reply r = *d.find<result_reply>();
    REQUIRE(!r.plan.sections.empty());
    REQUIRE(!r.plan.sections[0].steps.empty());
    auto& step = r.plan.sections[0].steps[0];
    step.link.url = "https://en.wikipedia.org/wiki/Linear_(algebra) x";
    step.title = "A [bracketed] *title*";
    std::string ptext = all_text(render_checked(r)[1]);
    CHECK(ptext.find("[A \\[bracketed\\] \\*title\\*](https://en.wikipedia.org/wiki/Linear_%28algebra%29%20x)") !=
          std::string::npos);
  }
}

TEST_CASE("share card and community stats", "[discord][components]") {
  auto card = discord::render_share_card();
  for (const auto& p : fx::check_message(card)) FAIL_CHECK(p);
  CHECK_FALSE(card.contains("flags"));  // public
  const auto& e = card.at("embeds").as_array()[0].as_object();
  CHECK(!e.at("title").as_string().empty());
  CHECK(!e.at("description").as_string().empty());
  auto ids = fx::custom_ids(card);
  REQUIRE(ids.size() == 1);
  CHECK(ids[0].first == "cmd:start");

  discord::community_stats s;
  s.started = 12;
  s.finished = 4;
  s.active_checkins = 0;
  s.primary_roles = {{"Data Scientist", 7}, {"Research Scientist", 3}, {"ML Infrastructure Engineer", 5}};
  auto m = discord::render_stats(s, true);
  for (const auto& p : fx::check_message(m)) FAIL_CHECK(p);
  CHECK(m.at("flags") == 64);
  std::string text = all_text(m);
  CHECK(text.find("12") != std::string::npos);
  CHECK(text.find("Data Scientist**: 7") != std::string::npos);
  CHECK(text.find("Research Scientist**: <5") != std::string::npos);
  CHECK(text.find("ML Infrastructure Engineer**: 5") != std::string::npos);
  CHECK(text.find(": 3") == std::string::npos);
  CHECK(text.find(": 4") == std::string::npos);
  CHECK(text.find(": 0") == std::string::npos);
  const auto& fields = m.at("embeds").as_array()[0].at("fields").as_array();
  CHECK(fields[1].at("value") == "<5");  // finished: 4
  CHECK(fields[2].at("value") == "<5");  // check-ins: 0
  // Many roles, long names: still within limits.
  for (int i = 0; i < 200; ++i) s.primary_roles.emplace_back("Role " + std::to_string(i) + " " + std::string(290, 'r'), i);
  for (const auto& p : fx::check_message(discord::render_stats(s, false))) FAIL_CHECK(p);
}

// --- a whole reflection through rendered components and Discord payloads ------------------

namespace {

struct discord_simulator {
  test::engine_driver d;
  fx::interaction_builder who;
  std::vector<json::object> shown;  // the messages the last answer produced
  int modals = 0;

  void deliver(const json::object& body) {
    auto m = discord::map_interaction(fx::parse_json(body));
    REQUIRE(m.action != discord::mapped_action::ignore);
    REQUIRE(m.user.user == who.user_id);
    if (m.action == discord::mapped_action::open_modal) {
      ++modals;
      d.send(m.input);  // the engine re-asks; the service shows that question as a modal
      const question_reply* q = d.question();
      REQUIRE(q);
      REQUIRE(q->question == m.question);
      json::object modal = discord::render_text_modal(*q);
      for (const auto& p : fx::check_modal(modal)) FAIL_CHECK(p);
      deliver(who.modal(std::string(modal.at("custom_id").as_string()), "Lead a small ML team & ship", true));
      return;
    }
    REQUIRE(m.action == discord::mapped_action::dialog);
    d.send(m.input);
    shown.clear();
    for (const auto& r : d.last)
      for (auto& msg : render_reply(r, m.ephemeral)) {
        for (const auto& p : fx::check_message(msg)) FAIL_CHECK(p);
        shown.push_back(std::move(msg));
      }
  }

  // Acts on the last message with controls the way a person would.
  bool step() {
    for (auto it = shown.rbegin(); it != shown.rend(); ++it) {
      for (const auto& [id, type] : fx::custom_ids(*it)) {
        if (type == 3) {
          auto selects = components_of_type(*it, 3);
          const auto& sel = selects.front();
          const auto& options = sel.at("options").as_array();
          std::vector<std::string> values;
          auto most = static_cast<std::size_t>(sel.at("max_values").as_int64());
          // Two if allowed (multi), else the second option (a single-choice select).
          if (most >= 2) values = {std::string(options[0].at("value").as_string()), std::string(options[1].at("value").as_string())};
          else values = {std::string(options[1].at("value").as_string())};
          deliver(who.component(std::string(sel.at("custom_id").as_string()), 3, values));
          return true;
        }
        if (id.rfind("q:", 0) == 0 || id.rfind("cmd:answer:", 0) == 0 || id.rfind("cmd:confirm:", 0) == 0) {
          deliver(who.component(id));
          return true;
        }
      }
    }
    return false;
  }
};

}  // namespace

TEST_CASE("a whole reflection through rendered components and Discord payloads", "[discord][components][mapping]") {
  for (bool guild : {true, false}) {
    INFO("in a guild " << guild);
    discord_simulator s;
    if (!guild) s.who.guild_id = "";
    s.deliver(s.who.command("start"));
    for (int guard = 0; guard < 60 && s.d.c.at != stage::done; ++guard) {
      INFO("at question " << s.d.c.current);
      REQUIRE(s.step());
    }
    REQUIRE(s.d.c.at == stage::done);
    CHECK(s.d.c.answers.size() == 11);
    CHECK(s.modals == 1);
    const answer* motivation = find_answer(s.d.c.answers, "motivation");
    REQUIRE(motivation);
    CHECK(motivation->options.size() == 2);
    const answer* note = find_answer(s.d.c.answers, "goal_note");
    REQUIRE(note);
    CHECK(note->text == "Lead a small ML team & ship");
    const answer* domain = find_answer(s.d.c.answers, "domain");
    REQUIRE(domain);
    CHECK(domain->options == std::vector<std::string>{"finance"});  // the select's second option
    REQUIRE(s.shown.size() == 2);  // match embed and plan embed
    CHECK(all_text(s.shown[0]).find("not a verdict") != std::string::npos);
    CHECK(s.shown[0].contains("flags") == guild);
  }
}
