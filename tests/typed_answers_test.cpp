// Typed answers the way people write them (DESIGN §5): a table of inputs and what each
// must match, then the engine's replies for numbers out of range, greetings and misses.
#include <catch2/catch.hpp>

#include "dialogs/text_input.hpp"
#include "engine_driver.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;

namespace {

const question& Q(const char* id) {
  const question* q = mlpath::test::builtin()->questions.find(id);
  REQUIRE(q);
  return *q;
}

struct typed_case {
  const char* question;
  const char* typed;
  std::vector<std::string> expected;  // option ids, in the order typed
};

}  // namespace

TEST_CASE("typed answers: aliases, spellings, accents, typos and separators", "[text][typed]") {
  const typed_case cases[] = {
      // Aliases from the content file.
      {"subfields", "cv", {"computer_vision"}},
      {"subfields", "vision", {"computer_vision"}},
      {"subfields", "computer vision", {"computer_vision"}},
      {"subfields", "Computer Vision", {"computer_vision"}},
      {"subfields", "llms", {"nlp"}},
      {"subfields", "LLMs and CV", {"nlp", "computer_vision"}},
      {"subfields", "nlp & rl", {"nlp", "reinforcement_learning"}},
      {"subfields", "recsys / ranking", {"recommender_systems"}},
      {"subfields", "not sure", {"not_sure"}},
      {"languages", "shell", {"scripting"}},
      {"languages", "Go", {"cpp_or_java"}},
      {"languages", "c++ and java", {"cpp_or_java"}},
      {"languages", "sql", {"sql"}},
      {"languages", "python, sql", {"python", "sql"}},
      {"languages", "Python and SQL", {"python", "sql"}},
      {"languages", "JavaScript / TypeScript", {"scripting"}},
      {"languages", "none", {"none_yet"}},
      {"data_experience", "sql", {"databases"}},
      {"data_experience", "Tableau", {"bi_tools"}},
      {"data_experience", "power bi", {"bi_tools"}},
      {"data_experience", "data cleaning and dashboards", {"data_cleaning", "visualization"}},
      {"strengths", "k8s", {"devops_cloud"}},
      {"strengths", "CI/CD", {"devops_cloud"}},
      {"strengths", "stats", {"statistics"}},
      {"strengths", "debugging; system design", {"debugging", "system_design"}},
      {"domain", "e-commerce", {"retail"}},
      {"domain", "fintech", {"finance"}},
      {"domain", "none", {"none"}},
      {"math_comfort", "ok", {"working"}},
      {"weekly_hours", "3 to 6", {"3_to_6"}},
      {"weekly_hours", "6-10", {"6_to_10"}},
      // British and American spellings, case, accents.
      {"ideal_day", "analysing data", {"analyze_present"}},
      {"ideal_day", "analyzing data and presenting what I found", {"analyze_present"}},
      {"ideal_day", "ANALYSING DATA AND PRESENTING WHAT I FOUND", {"analyze_present"}},
      {"data_experience", "visualisation", {"visualization"}},
      {"data_experience", "charts, dashboards and visualisation", {"visualization"}},
      {"domain", "Héalthcare", {"healthcare"}},
      {"math_comfort", "Rusty: it has been a while", {"rusty"}},
      // Small typos.
      {"languages", "pyhton", {"python"}},
      {"data_experience", "vizualisation", {"visualization"}},
      {"strengths", "kubernets", {"devops_cloud"}},
      // Numbers, ids and labels as before.
      {"ideal_day", "2", {"analyze_present"}},
      {"motivation", "1 3", {"hands_on_coding", "new_ideas"}},
      {"motivation", "1, 3", {"hands_on_coding", "new_ideas"}},
      {"motivation", "coding and data", {"hands_on_coding", "data_insights"}},
      {"motivation", "new_ideas", {"new_ideas"}},
      {"ideal_day", "Building the platform other ML teams run on", {"build_platforms"}},
  };
  for (const auto& c : cases) {
    INFO(c.question << ": \"" << c.typed << "\"");
    option_match m = match_options(Q(c.question), c.typed);
    CHECK(m.unknown.empty());
    CHECK_FALSE(m.out_of_range);
    CHECK(m.ids == c.expected);
  }
}

TEST_CASE("typed answers: what does not match says so, with the closest options", "[text][typed]") {
  option_match m = match_options(Q("motivation"), "5");
  REQUIRE(m.out_of_range);
  CHECK(*m.out_of_range == 5);
  CHECK(m.ids.empty());

  m = match_options(Q("data_experience"), "dashboard stuff");
  CHECK(m.ids.empty());
  REQUIRE(m.unknown.size() == 1);
  CHECK(std::find(m.suggestions.begin(), m.suggestions.end(), "visualization") != m.suggestions.end());

  m = match_options(Q("languages"), "python and flying");
  CHECK(m.ids == std::vector<std::string>{"python"});
  CHECK(m.unknown == std::vector<std::string>{"flying"});

  for (const char* hello : {"hi", "Hello!", "hey there", "Good morning"}) {
    INFO(hello);
    CHECK(match_options(Q("ideal_day"), hello).greeting);
  }
  CHECK_FALSE(match_options(Q("ideal_day"), "ship").greeting);
  // Hostile input matches nothing and breaks nothing.
  for (const char* odd : {"", ",,,", " and and ", "////", "\xff\xfe", "1 2 3 4 5 6 7 8 9 10 11"}) {
    INFO(odd);
    option_match x = match_options(Q("languages"), odd);
    (void)x;
  }
}

TEST_CASE("normalising words: spellings and accents meet in one form", "[text][typed]") {
  CHECK(normalize_words("Analysing") == normalize_words("analyzing"));
  CHECK(normalize_words("Visualisation") == normalize_words("visualization"));
  CHECK(normalize_words("colour") == normalize_words("color"));
  CHECK(normalize_words("Modelling") == normalize_words("modeling"));
  CHECK(normalize_words("Café") == "cafe");
  CHECK(normalize_words("  Hello,   World!  ") == "hello world");
  CHECK(edit_distance("python", "pyhton", 2) == 1);
  CHECK(edit_distance("kubernetes", "kubernets", 2) == 1);
  CHECK(edit_distance("abc", "xyz", 1) == 2);
}

TEST_CASE("the engine: out-of-range numbers say how many options there are, greetings re-ask", "[engine][typed]") {
  mlpath::test::engine_driver d;
  d.send(input::open());
  REQUIRE(d.question());
  REQUIRE(d.question()->question == "motivation");
  d.say("5");
  CHECK(d.all_text().find("There are 4 options") != std::string::npos);
  CHECK(d.c.current == "motivation");

  d.say("1, 9");  // one good, one out of range: nothing recorded
  CHECK(d.all_text().find("9 is not one of them") != std::string::npos);
  CHECK(d.c.current == "motivation");

  d.say("hello");
  CHECK(d.all_text().find("Hello") != std::string::npos);
  REQUIRE(d.question());
  CHECK(d.question()->question == "motivation");

  d.say("insigths");  // a typo of an alias: matched
  CHECK(d.c.current == "ideal_day");
  d.say("analysing data and presenting what I found");
  CHECK(d.c.current == "subfields");
  d.say("dashbord stuff");
  CHECK(d.all_text().find("Did you mean") == std::string::npos);  // nothing close in subfields
  d.say("visoin and llms");
  CHECK(d.c.current == "languages");
}
