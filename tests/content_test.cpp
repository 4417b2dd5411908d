// Content loading and validation: one broken content set per kind of error, each
// reported as file:line: message.
#include <catch2/catch.hpp>

#include <algorithm>

#include "bot/content/content_loader.hpp"
#include "bot/content/json_tree.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;
using namespace mlpath::loader;

namespace {

struct broken_result {
  std::vector<diagnostic> errors;
  std::string text;  // the broken file's text
};

// The built-in files with one replacement made in `file`.
broken_result break_content(const std::string& file, const std::string& from, const std::string& to) {
  auto files = gather_content_files("");
  broken_result out;
  bool replaced = false;
  for (auto& f : files) {
    if (f.name.size() < file.size() || f.name.compare(f.name.size() - file.size(), file.size(), file) != 0) continue;
    auto pos = f.text.find(from);
    REQUIRE(pos != std::string::npos);
    f.text.replace(pos, from.size(), to);
    out.text = f.text;
    replaced = true;
  }
  REQUIRE(replaced);
  auto outcome = load_content(files);
  CHECK_FALSE(outcome.loaded);
  out.errors = outcome.errors;
  return out;
}

std::size_t line_containing(const std::string& text, const std::string& needle) {
  auto pos = text.find(needle);
  REQUIRE(pos != std::string::npos);
  return line_of(text, pos);
}

// The diagnostic whose message contains `part`.
const diagnostic& find_error(const std::vector<diagnostic>& errors, const std::string& part) {
  for (const auto& e : errors) INFO(e.to_string());
  auto it = std::find_if(errors.begin(), errors.end(),
                         [&](const diagnostic& d) { return d.message.find(part) != std::string::npos; });
  REQUIRE(it != errors.end());
  return *it;
}

}  // namespace

TEST_CASE("the built-in content is valid and complete", "[content]") {
  auto outcome = load_content(gather_content_files(""));
  for (const auto& e : outcome.errors) INFO(e.to_string());
  REQUIRE(outcome.loaded);
  const content& c = *outcome.loaded;
  std::vector<std::string> ids;
  for (const auto& q : c.questions.questions) ids.push_back(q.id);
  CHECK(ids == std::vector<std::string>{"motivation", "ideal_day", "subfields", "languages", "data_experience",
                                        "strengths", "math_comfort", "domain", "weekly_hours", "worry", "goal_note"});
  std::vector<std::string> roles;
  for (const auto& r : c.roles) roles.push_back(r.id);
  CHECK(roles == std::vector<std::string>{"applied_ml_engineer", "data_scientist", "research_scientist",
                                          "ml_infrastructure_engineer", "ml_product_manager"});
  CHECK(c.find_role("ml_product_manager")->name == "AI/ML Product Manager");
  auto q = [&](const char* id) { return c.questions.find(id); };
  CHECK(q("motivation")->max == 2);
  CHECK(q("subfields")->max == 3);
  CHECK(q("subfields")->optional);
  CHECK(q("strengths")->max == 3);
  CHECK(q("languages")->max == 0);
  CHECK(q("worry")->optional);
  CHECK(q("goal_note")->kind == question_kind::text);
  CHECK_FALSE(q("ideal_day")->optional);
  for (const char* url : {"https://www.statlearning.com/", "https://www.kaggle.com/", "https://leetcode.com/",
                          "https://scikit-learn.org/", "https://pytorch.org/", "https://kubernetes.io/"}) {
    INFO(url);
    CHECK(std::any_of(c.resources.begin(), c.resources.end(), [&](const resource& r) { return r.url.rfind(url, 0) == 0; }));
  }
}

TEST_CASE("invalid JSON is reported at its line", "[content]") {
  auto r = break_content("roles.json", "\"roles\": [", "\"roles\": [,");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file.find("roles.json") != std::string::npos);
  CHECK(r.errors[0].message.find("invalid JSON") != std::string::npos);
  CHECK(r.errors[0].line >= 1);
}

TEST_CASE("an unknown question id in the weights", "[content]") {
  auto r = break_content("weights.json", "\"motivation\": {", "\"motivations\": {");
  const auto& e = find_error(r.errors, "unknown question id \"motivations\"");
  CHECK(e.file.find("weights.json") != std::string::npos);
  CHECK(e.line == line_containing(r.text, "\"motivations\""));
}

TEST_CASE("missing weights for an option, and for a role", "[content]") {
  auto r = break_content("weights.json", "\"hands_on_coding\": {", "\"hands_on_codin\": {");
  find_error(r.errors, "missing weights for option \"hands_on_coding\"");
  find_error(r.errors, "unknown option id \"hands_on_codin\"");
  auto r2 = break_content("weights.json", "\"applied_ml_engineer\": 3,", "");
  const auto& e = find_error(r2.errors, "has no weight for role \"applied_ml_engineer\"");
  CHECK(e.line > 1);
}

TEST_CASE("a weight out of range", "[content]") {
  auto r = break_content("weights.json", "\"applied_ml_engineer\": 3,", "\"applied_ml_engineer\": 7,");
  const auto& e = find_error(r.errors, "between 0 and 3");
  CHECK(e.line == line_containing(r.text, "\"applied_ml_engineer\": 7"));
}

TEST_CASE("duplicate question and option ids", "[content]") {
  auto r = break_content("questions.json", "\"id\": \"ideal_day\"", "\"id\": \"motivation\"");
  const auto& e = find_error(r.errors, "duplicate question id \"motivation\"");
  CHECK(e.file.find("questions.json") != std::string::npos);
  auto r2 = break_content("questions.json", "{\"id\": \"data_insights\"", "{\"id\": \"hands_on_coding\"");
  const auto& e2 = find_error(r2.errors, "duplicate option id \"hands_on_coding\"");
  CHECK(e2.line == line_of(r2.text, r2.text.find("{\"id\": \"hands_on_coding\"", r2.text.find("hands_on_coding") + 1)));
}

TEST_CASE("an option without a label", "[content]") {
  auto r = break_content("questions.json", "\"label\": \"Python\"", "\"text\": \"Python\"");
  const auto& e = find_error(r.errors, "has no label");
  CHECK(e.line == line_containing(r.text, "\"text\": \"Python\""));
  find_error(r.errors, "unknown field \"text\"");
}

TEST_CASE("a resource with a broken link", "[content]") {
  auto r = break_content("resources.json", "\"https://www.statlearning.com/\"", "\"statlearning dot com\"");
  const auto& e = find_error(r.errors, "is not an absolute http(s) URL");
  CHECK(e.line == line_containing(r.text, "statlearning dot com"));
  auto r2 = break_content("resources.json", "\"https://www.statlearning.com/\"", "\"ftp://statlearning.com/\"");
  find_error(r2.errors, "is not an absolute http(s) URL");
}

TEST_CASE("a plan step naming an unknown resource", "[content]") {
  auto r = break_content("plan.json", "\"resource\": \"islr\"", "\"resource\": \"no_such_book\"");
  const auto& e = find_error(r.errors, "unknown resource id \"no_such_book\"");
  CHECK(e.line == line_containing(r.text, "no_such_book"));
}

TEST_CASE("a duplicate resource id and an unknown question kind", "[content]") {
  auto r = break_content("resources.json", "\"id\": \"islr\"", "\"id\": \"leetcode\"");
  find_error(r.errors, "duplicate resource id \"leetcode\"");
  auto r2 = break_content("questions.json", "\"kind\": \"single\"", "\"kind\": \"dropdown\"");
  find_error(r2.errors, "kind must be single, multi or text");
}

TEST_CASE("an id that is not snake_case, and a missing plan entry", "[content]") {
  auto r = break_content("roles.json", "\"id\": \"data_scientist\"", "\"id\": \"Data Scientist\"");
  find_error(r.errors, "must be 1-40 characters");
  auto r2 = break_content("plan.json", "\"under_3\": {", "\"under_three\": {");
  find_error(r2.errors, "unknown weekly_hours option \"under_three\"");
  find_error(r2.errors, "missing an entry for \"under_3\"");
}

TEST_CASE("plan steps: unknown capabilities, steps, roles and milestones are errors with file:line", "[content][plan]") {
  find_error(break_content("plan.json", "\"needs\": [\"python\"]", "\"needs\": [\"pythn\"]").errors,
             "names unknown capability \"pythn\"");
  find_error(break_content("plan.json", "\"after\": [\"pandas_basics\"]", "\"after\": [\"pandas\"]").errors,
             "\"after\" names unknown step \"pandas\"");
  find_error(break_content("plan.json", "\"data_scientist\": \"ds_domain_analysis\"",
                           "\"data_scientist\": \"rs_reproduce\"").errors,
             "must be a project in the path of \"data_scientist\"");
  find_error(break_content("plan.json", "\"languages:python\"", "\"languages:perl\"").errors,
             "\"languages:perl\" is not a question:option");
  find_error(break_content("plan.json", "\"kind\": \"onramp\"", "\"kind\": \"warmup\"").errors, "unknown kind \"warmup\"");
  // A step that needs what no on-ramp provides would leave people stuck.
  find_error(break_content("plan.json", "\"provides\": [\"python\"]", "\"provides\": [\"sql\"]").errors,
             "needs \"python\" but no on-ramp provides it");
}

TEST_CASE("questions: a scored option needs a reason in words unless it is a weakness", "[content]") {
  auto r = break_content("questions.json", ", \"reason\": \"you write SQL\"", "");
  find_error(r.errors, "option \"sql\": a scored option needs a \"reason\"");
  auto r2 = break_content("questions.json", "\"weakness\": true", "\"weakness\": true, \"reason\": \"you are rusty\"");
  find_error(r2.errors, "a weakness is never shown as a reason");
}

TEST_CASE("a content directory replaces only the files it holds", "[content]") {
  mlpath::test::temp_dir dir;
  auto files = gather_content_files("");
  for (const auto& f : files)
    if (f.name.find("roles.json") != std::string::npos) {
      std::string t = f.text;
      t.replace(t.find("\"AI/ML Product Manager\""), 23, "\"ML Product Lead\"");
      mlpath::test::write_text(dir.path() / "roles.json", t);
    }
  auto c = load_content_or_throw(dir.path().string());
  CHECK(c->find_role("ml_product_manager")->name == "ML Product Lead");
  CHECK(c->questions.questions.size() == 11);
  CHECK_THROWS_AS(gather_content_files(dir.file("missing")), std::runtime_error);
}

TEST_CASE("mlpath flow check reports file:line errors and exits non-zero", "[content][cli]") {
  mlpath::test::temp_dir dir;
  mlpath::test::write_text(dir.path() / "weights.json", "{\n  \"version\": 1,\n  \"questions\": {\n    \"nope\": {}\n  }\n}\n");
  auto r = mlpath::test::run({mlpath::test::mlpath_binary(), "flow", "check", dir.path().string()});
  CHECK(r.status == 1);
  CHECK(r.err.find(dir.file("weights.json") + ":4: weights.json: unknown question id \"nope\"") != std::string::npos);
  auto ok = mlpath::test::run({mlpath::test::mlpath_binary(), "flow", "check"});
  CHECK(ok.status == 0);
  CHECK(ok.out.find("content ok") != std::string::npos);
  // Broken content stops the chat at start with the same errors.
  auto chat = mlpath::test::run({mlpath::test::mlpath_binary(), "chat", "--db", dir.file("x.db")}, "",
                                {"MLPATH_CONTENT_DIR=" + dir.path().string()});
  CHECK(chat.status == 1);
  CHECK(chat.err.find("unknown question id \"nope\"") != std::string::npos);
}

TEST_CASE("json_tree: offsets, duplicate keys, depth limit", "[content]") {
  auto r = parse_json_tree("{\n \"a\": 1,\n \"a\": [true, null, \"x\"]\n}");
  REQUIRE(std::holds_alternative<json_node>(r));
  const json_node& n = std::get<json_node>(r);
  REQUIRE(n.members.size() == 2);
  CHECK(line_of("{\n \"a\": 1,\n \"a\": [true, null, \"x\"]\n}", n.members[1].second.offset) == 3);
  CHECK(n.members[1].second.items.size() == 3);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK(std::holds_alternative<json_error>(parse_json_tree(deep)));
  CHECK(std::holds_alternative<json_error>(parse_json_tree("{} trailing")));
  CHECK(std::holds_alternative<json_error>(parse_json_tree("42")));
  CHECK(std::holds_alternative<json_error>(parse_json_tree("")));
}
