// The conversation engine as a pure function: every command at every kind of step.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "bot/content/content_loader.hpp"
#include "engine_driver.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
using mlpath::test::engine_driver;
using namespace std::chrono_literals;

TEST_CASE("a fresh conversation greets and asks the first question", "[engine]") {
  engine_driver d;
  d.send(input::open());
  REQUIRE(d.c.at == stage::asking);
  REQUIRE(d.c.current == "motivation");
  REQUIRE(d.c.round == 1);
  const question_reply* q = d.question();
  REQUIRE(q);
  CHECK(q->position == 1);
  CHECK(q->total == 11);
  CHECK(q->kind == question_kind::multi);
  CHECK(q->max == 2);
  CHECK(q->options.size() == 4);
  CHECK(std::holds_alternative<text_reply>(d.last.front()));
}

TEST_CASE("typed answers match numbers, ids and labels", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.say("1, data_insights");
  REQUIRE(d.c.answers.size() == 1);
  CHECK(d.c.answers[0].options == std::vector<std::string>{"hands_on_coding", "data_insights"});
  CHECK(d.find<answered_reply>()->labels.size() == 2);
  REQUIRE(d.c.current == "ideal_day");
  d.say("Analysing data and presenting what I found");
  REQUIRE(d.c.answers.size() == 2);
  CHECK(d.c.answers[1].options == std::vector<std::string>{"analyze_present"});
  CHECK(d.c.current == "subfields");
  d.say("1 2");  // numbers separated by spaces
  CHECK(d.c.answers[2].options == std::vector<std::string>{"computer_vision", "nlp"});
}

TEST_CASE("invalid input is re-asked with a hint, and after three misses the question comes back", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.say("banana");
  CHECK(d.has_error());
  CHECK(d.c.misses == 1);
  CHECK(d.c.answers.empty());
  d.say("9");
  CHECK(d.c.misses == 2);
  d.say("?!");
  CHECK(d.c.misses == 0);
  REQUIRE(d.question());
  CHECK(d.question()->question == "motivation");
  CHECK(d.all_text().find("few tries") != std::string::npos);
  CHECK(d.c.current == "motivation");
}

TEST_CASE("choices are validated: max, exclusive, single, unknown ids", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.send(input::choose("motivation", {"hands_on_coding", "data_insights", "new_ideas"}));
  CHECK(d.has_error());
  CHECK(d.all_text().find("at most 2") != std::string::npos);
  CHECK(d.c.answers.empty());
  d.send(input::choose("motivation", {"nonsense"}));
  CHECK(d.has_error());
  d.send(input::choose("motivation", {}));
  CHECK(d.all_text().find("at least one") != std::string::npos);  // the third miss also shows the question again
  d.send(input::choose("motivation", {"new_ideas", "new_ideas"}));  // duplicates collapse
  REQUIRE(d.c.answers.size() == 1);
  CHECK(d.c.answers[0].options == std::vector<std::string>{"new_ideas"});
  d.send(input::choose("ideal_day", {"ship_models", "plan_lead"}));
  CHECK(d.all_text().find("just one") != std::string::npos);
  d.send(input::choose("ideal_day", {"plan_lead"}));
  d.cmd("skip");
  REQUIRE(d.c.current == "languages");
  d.send(input::choose("languages", {"python", "none_yet"}));
  CHECK(d.all_text().find("cannot be combined") != std::string::npos);
  CHECK(d.c.current == "languages");
  d.send(input::choose("languages", {"none_yet"}));
  CHECK(d.c.current == "data_experience");
}

TEST_CASE("skip works only on optional questions", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.cmd("skip");
  CHECK(d.has_error());
  CHECK(d.c.current == "motivation");
  CHECK(d.c.answers.empty());
  d.answer_current();
  d.answer_current();
  REQUIRE(d.c.current == "subfields");
  d.say("skip");
  const answer* a = find_answer(d.c.answers, "subfields");
  REQUIRE(a);
  CHECK(a->skipped);
  CHECK(d.c.current == "languages");
}

TEST_CASE("back goes to the previous question showing the answer, and forward resumes", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.say("back");
  CHECK(d.has_error());
  CHECK(d.c.current == "motivation");
  d.answer_current();
  d.answer_current();
  d.answer_current();
  REQUIRE(d.c.current == "languages");
  d.say("back");
  REQUIRE(d.c.current == "subfields");
  REQUIRE(d.question());
  CHECK(d.question()->selected == std::vector<std::string>{"computer_vision"});
  d.say("back");
  REQUIRE(d.c.current == "ideal_day");
  d.say("2");
  CHECK(find_answer(d.c.answers, "ideal_day")->options == std::vector<std::string>{"analyze_present"});
  CHECK(d.c.current == "languages");  // the next open question, not the answered one
}

TEST_CASE("a pressed button names its question: double presses and stale buttons change nothing", "[engine]") {
  engine_driver d;
  d.send(input::open());
  std::string token = answer_token("motivation", "hands_on_coding", d.c.round);
  d.press(token);
  REQUIRE(d.c.current == "ideal_day");
  auto before = d.c;
  d.press(token);
  CHECK(d.all_text().find("already answered") != std::string::npos);
  CHECK(d.c.answers == before.answers);
  CHECK(d.c.current == before.current);
  // A Skip button pressed on a question that has moved on does not skip the new one.
  d.answer_current();
  REQUIRE(d.c.current == "subfields");
  d.press(command_token("skip", "subfields", d.c.round));
  REQUIRE(d.c.current == "languages");
  d.press(command_token("skip", "subfields", d.c.round));
  CHECK(d.c.current == "languages");
  CHECK(!find_answer(d.c.answers, "languages"));
  // A question further on is not open yet.
  d.press(answer_token("domain", "finance", d.c.round));
  CHECK(d.all_text().find("not open") != std::string::npos);
  CHECK(!find_answer(d.c.answers, "domain"));
}

TEST_CASE("restart asks first, cancel keeps everything, yes starts a new round", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.answer_current();
  d.answer_current();
  auto answers = d.c.answers;
  d.say("restart");
  REQUIRE(d.find<confirm_reply>());
  CHECK(d.c.confirm == pending::restart);
  d.say("no");
  CHECK(d.c.confirm == pending::none);
  CHECK(d.c.answers == answers);
  CHECK(d.question());
  d.say("restart");
  std::string old_button = answer_token("subfields", "nlp", d.c.round);
  d.press(command_token("confirm", "restart", d.c.round));
  CHECK(d.c.round == 2);
  CHECK(d.c.answers.empty());
  CHECK(d.c.current == "motivation");
  // A button from round 1 is recognised as stale.
  d.press(old_button);
  CHECK(d.all_text().find("earlier run") != std::string::npos);
  CHECK(d.c.answers.empty());
}

TEST_CASE("a pending confirmation is dropped when the user moves on", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.say("restart");
  d.say("1");  // an answer instead of yes/no
  CHECK(d.c.confirm == pending::none);
  CHECK(d.c.answers.size() == 1);
  CHECK(d.c.round == 1);
}

TEST_CASE("delete asks first and then asks the caller to erase", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.answer_current();
  d.say("delete");
  REQUIRE(d.find<confirm_reply>());
  CHECK_FALSE(d.erased);
  d.say("yes");
  CHECK(d.erased);
  CHECK(d.c.at == stage::fresh);
  CHECK(d.c.answers.empty());
}

TEST_CASE("the summary lists every answer, edit returns to it, confirm gives the result", "[engine]") {
  engine_driver d;
  d.answer_all();
  REQUIRE(d.c.at == stage::summary);
  const summary_reply* s = d.find<summary_reply>();
  REQUIRE(s);
  CHECK(s->lines.size() == 11);
  CHECK(s->actions.front().id == command_token("confirm", "", d.c.round));
  d.press(command_token("edit", "domain", d.c.round));
  REQUIRE(d.c.at == stage::asking);
  CHECK(d.c.editing);
  REQUIRE(d.question());
  CHECK(d.question()->question == "domain");
  d.say("finance");
  CHECK(d.c.at == stage::summary);
  CHECK(find_answer(d.c.answers, "domain")->options == std::vector<std::string>{"finance"});
  d.say("8");  // a number in the summary edits that question
  CHECK(d.c.current == "domain");
  d.say("cancel");
  CHECK(d.c.at == stage::summary);
  d.say("confirm");
  CHECK(d.c.at == stage::done);
  CHECK(d.result_ready);
  const result_reply* r = d.find<result_reply>();
  REQUIRE(r);
  CHECK(r->match.roles.size() == 5);
  CHECK(!r->plan.sections.empty());
  CHECK(r->note.find("not a verdict") != std::string::npos);
  d.say("result");
  CHECK(d.find<result_reply>());
  CHECK_FALSE(d.result_ready);
  d.say("start");  // start when done: offers a restart
  CHECK(d.find<confirm_reply>());
}

TEST_CASE("answers after the reflection is complete are polite no-ops", "[engine]") {
  engine_driver d;
  d.answer_all();
  d.say("confirm");
  auto answers = d.c.answers;
  d.press(answer_token("motivation", "new_ideas", d.c.round));
  CHECK(d.all_text().find("already answered") != std::string::npos);
  d.say("2");
  CHECK(d.c.answers == answers);
  CHECK(d.c.at == stage::done);
}

TEST_CASE("free text is stored verbatim, bounded and cleaned", "[engine]") {
  engine_driver d;
  d.answer_all();
  d.press(command_token("edit", "goal_note", d.c.round));
  d.say(std::string(600, 'x'));
  const answer* a = find_answer(d.c.answers, "goal_note");
  REQUIRE(a);
  CHECK(a->text.size() == 500);
  d.press(command_token("edit", "goal_note", d.c.round));
  d.say("Lead a team \xff\xfe that ships  \x01 models");
  a = find_answer(d.c.answers, "goal_note");
  CHECK(a->text == "Lead a team \xEF\xBF\xBD\xEF\xBF\xBD that ships   models");
  d.press(command_token("edit", "goal_note", d.c.round));
  d.say("   ");
  CHECK(d.has_error());
}

TEST_CASE("status and help work at every stage", "[engine]") {
  engine_driver d;
  d.say("status");
  CHECK(d.all_text().find("not started") != std::string::npos);
  d.say("help");
  CHECK(d.all_text().find("back") != std::string::npos);
  d.send(input::open());
  d.answer_current();
  d.say("status");
  CHECK(d.all_text().find("question 2 of 11") != std::string::npos);
  CHECK(d.all_text().find("What energises you") != std::string::npos);
  d.answer_all();
  d.say("status");
  CHECK(d.all_text().find("answered every question") != std::string::npos);
  d.say("result");
  CHECK(d.all_text().find("No result yet") != std::string::npos);
}

TEST_CASE("returning after a gap: told where they were", "[engine]") {
  engine_driver d;
  d.send(input::open());
  for (int i = 0; i < 4; ++i) d.answer_current();
  d.send(input::open(), 3h);
  CHECK(d.all_text().find("question 5 of 11") != std::string::npos);
  const text_reply* t = d.find<text_reply>();
  REQUIRE(t);
  REQUIRE(t->actions.size() == 2);
  CHECK(t->actions[0].id == command_token("resume", "", d.c.round));
  // Words that are no answer after a gap get the same welcome instead of an error.
  d.send(input::typed("hello again"), 5h);
  CHECK_FALSE(d.has_error());
  CHECK(d.c.misses == 0);
  CHECK(d.all_text().find("question 5 of 11") != std::string::npos);
  d.say("resume");
  REQUIRE(d.question());
  CHECK(d.question()->position == 5);
}

TEST_CASE("silence: one nudge after 24 hours, expiry after 7 days", "[engine]") {
  engine_driver d;
  d.send(input::open());
  d.answer_current();
  d.tick(23h);
  CHECK(d.last.empty());
  d.tick(1h);
  REQUIRE(d.last.size() == 1);
  CHECK(d.c.nudged);
  d.tick(6h);
  CHECK(d.last.empty());  // only one nudge per silence
  d.tick(24h * 6);
  CHECK(d.c.at == stage::expired);
  CHECK(d.all_text().find("closed") != std::string::npos);
  d.tick(24h);
  CHECK(d.last.empty());
  d.say("hi");
  CHECK(d.c.at == stage::asking);
  CHECK(d.c.round == 2);
  CHECK(d.c.answers.empty());
}

TEST_CASE("a tick does not count as activity", "[engine]") {
  engine_driver d;
  d.send(input::open());
  auto last = d.c.last_activity;
  d.tick(25h);
  CHECK(d.c.last_activity == last);
  d.answer_current();
  CHECK_FALSE(d.c.nudged);
}

TEST_CASE("flow versions: unchanged answers carry over, changed and new questions are asked", "[engine]") {
  namespace json = boost::json;
  auto files = loader::gather_content_files("");
  for (auto& f : files) {
    if (f.name.find("questions.json") == std::string::npos) continue;
    json::value v = json::parse(f.text);
    auto& o = v.as_object();
    o["version"] = o["version"].as_int64() + 1;
    auto& qs = o["questions"].as_array();
    // `strengths` gains an option (a changed question) and a new optional question appears after it.
    for (auto& q : qs)
      if (q.as_object()["id"] == "strengths")
        q.as_object()["options"].as_array().push_back(
            json::object{{"id", "teaching"}, {"label", "Teaching others"}, {"reason", "you teach others"}});
    qs.insert(qs.begin() + 6, json::object{{"id", "team_size"},
                                           {"kind", "single"},
                                           {"optional", true},
                                           {"title", "Team size"},
                                           {"prompt", "How big a team do you like?"},
                                           {"options", json::array{json::object{{"id", "small"}, {"label", "Small"}},
                                                                   json::object{{"id", "large"}, {"label", "Large"}}}}});
    f.text = json::serialize(v);
  }
  for (auto& f : files) {
    if (f.name.find("weights.json") == std::string::npos) continue;
    json::value v = json::parse(f.text);
    auto& opts = v.as_object()["questions"].as_object()["strengths"].as_object()["options"].as_object();
    opts["teaching"] = json::object{{"applied_ml_engineer", 0}, {"data_scientist", 1}, {"research_scientist", 1},
                                    {"ml_infrastructure_engineer", 0}, {"ml_product_manager", 2}};
    f.text = json::serialize(v);
  }
  auto outcome = loader::load_content(files);
  for (const auto& e : outcome.errors) INFO(e.to_string());
  REQUIRE(outcome.loaded);
  engine v2(outcome.loaded);

  engine_driver d;
  d.answer_all();  // everything answered under version 1
  REQUIRE(d.c.at == stage::summary);
  int before = d.c.flow_version;
  REQUIRE(before == d.e->material().questions.version);
  d.e = &v2;
  d.say("status");
  CHECK(d.c.at == stage::asking);
  CHECK(d.c.flow_version == before + 1);
  CHECK(d.c.answers.size() == 10);  // strengths dropped; the rest carried over
  CHECK(!find_answer(d.c.answers, "strengths"));
  CHECK(d.c.current == "strengths");
  d.say("teaching");
  CHECK(d.c.current == "team_size");
  d.say("1");
  CHECK(d.c.at == stage::summary);
  CHECK(d.c.answers.size() == 12);
}

TEST_CASE("every command at every kind of step keeps the conversation valid", "[engine]") {
  const std::vector<std::string> words = {"start", "resume", "back", "skip", "restart", "status", "result", "help",
                                          "cancel", "confirm", "delete", "edit", "answer", "next", "checkin", "bogus"};
  // Drive to one of each kind of step, then try every command there.
  auto setups = std::vector<std::pair<std::string, std::function<void(engine_driver&)>>>{
      {"fresh", [](engine_driver&) {}},
      {"single question", [](engine_driver& d) { d.send(input::open()); d.answer_current(); }},
      {"multi question", [](engine_driver& d) { d.send(input::open()); }},
      {"optional question", [](engine_driver& d) { d.send(input::open()); d.answer_current(); d.answer_current(); }},
      {"text question", [](engine_driver& d) { d.answer_all(); d.press(command_token("edit", "goal_note", d.c.round)); }},
      {"summary", [](engine_driver& d) { d.answer_all(); }},
      {"done", [](engine_driver& d) { d.answer_all(); d.say("confirm"); }},
      {"expired", [](engine_driver& d) { d.send(input::open()); d.tick(std::chrono::hours(24 * 8)); }},
      {"confirming restart", [](engine_driver& d) { d.send(input::open()); d.say("restart"); }},
      {"confirming delete", [](engine_driver& d) { d.answer_all(); d.say("delete"); }},
  };
  const auto& flow = mlpath::test::builtin()->questions;
  for (const auto& [name, setup] : setups) {
    for (const auto& w : words) {
      for (const std::string& arg : {std::string(), std::string("domain")}) {
        engine_driver d;
        setup(d);
        d.cmd(w, arg);
        INFO(name << " / " << w << " " << arg);
        CHECK(!d.last.empty());
        if (d.c.at == stage::asking) CHECK(flow.find(d.c.current));
        if (d.c.at != stage::asking) CHECK(d.c.current.empty());
        for (const auto& a : d.c.answers) CHECK(flow.find(a.question));
      }
    }
  }
}

TEST_CASE("the engine is deterministic", "[engine]") {
  auto script = [] {
    engine_driver d;
    d.send(input::open());
    d.say("1,3");
    d.say("banana");
    d.say("research_publish");
    d.say("back");
    d.say("3");
    std::vector<std::string> out;
    for (const auto& r : d.last) out.push_back(type_of(r));
    return std::make_pair(d.c, out);
  };
  CHECK(script() == script());
}
