// End to end: the real `mlpath` binary speaking JSON lines, killed midway and resumed,
// and `mlpath match` / `mlpath user` on the same data.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "test_support.hpp"

namespace json = boost::json;
using mlpath::test::child_process;
using mlpath::test::mlpath_binary;
using mlpath::test::temp_dir;

namespace {

// Reads reply lines until one of `type` arrives; returns it (fails the test on timeout).
json::object expect(child_process& p, const std::string& type) {
  for (int i = 0; i < 50; ++i) {
    auto line = p.read_line();
    if (!line) FAIL("no \"" << type << "\" reply; stderr: " << p.read_stderr());
    json::value v = json::parse(*line);
    REQUIRE(v.is_object());
    REQUIRE(v.as_object().contains("type"));
    if (v.at("type") == type.c_str()) return v.as_object();
  }
  FAIL("too many replies without \"" << type << "\"");
  return {};
}

std::vector<std::string> option_ids(const json::object& q) {
  std::vector<std::string> out;
  for (const auto& o : q.at("options").as_array()) out.emplace_back(o.at("id").as_string());
  return out;
}

}  // namespace

TEST_CASE("mlpath chat --json: a whole reflection, killed midway and resumed", "[e2e][chat]") {
  temp_dir dir;
  std::vector<std::string> env = {"MLPATH_DB=" + dir.file("chat.db")};
  std::vector<std::string> argv = {mlpath_binary(), "chat", "--json", "--user", "ivy"};
  {
    child_process p(argv, env);
    json::object q = expect(p, "question");
    CHECK(q.at("question") == "motivation");
    CHECK(q.at("kind") == "multi");
    CHECK(q.at("max") == 2);
    CHECK(q.at("optional") == false);
    CHECK(q.at("position").as_array() == json::array{1, 11});
    CHECK(!q.at("prompt").as_string().empty());
    CHECK(option_ids(q) == std::vector<std::string>{"hands_on_coding", "data_insights", "new_ideas", "strategy_people"});
    p.write_line(R"({"choose":["hands_on_coding","new_ideas"]})");
    expect(p, "answered");
    q = expect(p, "question");
    CHECK(q.at("question") == "ideal_day");
    p.write_line("research_publish");
    q = expect(p, "question");
    CHECK(q.at("question") == "subfields");
    p.write_line(R"({"command":"skip"})");
    q = expect(p, "question");
    CHECK(q.at("question") == "languages");
    p.write_line(R"({"choose":["python","cpp_or_java"]})");
    q = expect(p, "question");
    CHECK(q.at("question") == "data_experience");
    p.write_line("{not json");
    json::object err = expect(p, "error");
    CHECK(!err.at("text").as_string().empty());
    // Make sure the last answer was committed before the crash: ask for status and wait.
    p.write_line(R"({"command":"status"})");
    expect(p, "text");
    p.kill_hard();
    CHECK(p.wait() == 128 + 9);
  }
  {
    child_process p(argv, env);
    json::object welcome = expect(p, "text");
    CHECK(std::string(welcome.at("text").as_string()).find("question 5 of 11") != std::string::npos);
    p.write_line(R"({"command":"resume"})");
    json::object q = expect(p, "question");
    CHECK(q.at("question") == "data_experience");
    p.write_line(R"({"choose":["databases"]})");
    q = expect(p, "question");
    p.write_line(R"({"choose":["performance","debugging"]})");
    q = expect(p, "question");
    CHECK(q.at("question") == "math_comfort");
    p.write_line("1");
    q = expect(p, "question");
    p.write_line("1");
    q = expect(p, "question");
    CHECK(q.at("question") == "weekly_hours");
    p.write_line("4");
    q = expect(p, "question");
    p.write_line(R"({"command":"skip"})");
    q = expect(p, "question");
    CHECK(q.at("question") == "goal_note");
    CHECK(q.at("kind") == "text");
    p.write_line(R"({"text":"Publish a paper on efficient training."})");
    json::object s = expect(p, "summary");
    CHECK(s.at("answers").as_array().size() == 11);
    p.write_line(R"({"command":"confirm"})");
    json::object r = expect(p, "result");
    auto& roles = r.at("roles").as_array();
    REQUIRE(roles.size() == 5);
    CHECK(r.at("primary").as_array().front() == "research_scientist");
    for (std::size_t i = 1; i < roles.size(); ++i)
      CHECK(roles[i - 1].at("score").as_int64() >= roles[i].at("score").as_int64());
    for (const auto& sec : r.at("plan").at("sections").as_array())
      for (const auto& step : sec.at("steps").as_array()) CHECK(step.at("url").as_string().starts_with("https://"));
    p.close_stdin();
    CHECK(p.wait() == 0);
  }
  // The answers are in SQLite: export shows them, and a new session offers the result.
  auto exp = mlpath::test::run({mlpath_binary(), "user", "export", "--platform", "console", "--user", "ivy"}, "", env);
  REQUIRE(exp.status == 0);
  json::value doc = json::parse(exp.out);
  CHECK(doc.at("conversation").at("answers").as_array().size() == 11);
  CHECK(doc.at("result").at("match").at("primary").as_array().front() == "research_scientist");
  auto again = mlpath::test::run(argv, R"({"command":"result"})", env);
  CHECK(again.out.find("\"type\":\"result\"") != std::string::npos);
}

TEST_CASE("plain mlpath chat is scriptable line by line", "[e2e][chat]") {
  temp_dir dir;
  auto r = mlpath::test::run({mlpath_binary(), "chat", "--user", "jo", "--db", dir.file("p.db")}, "1,2\nhelp\n");
  CHECK(r.status == 0);
  CHECK(r.out.find("[1/11]") != std::string::npos);
  CHECK(r.out.find("[2/11]") != std::string::npos);
  CHECK(r.out.find("back - go to the previous question") != std::string::npos);
  CHECK(r.out.find("Your answers are saved") != std::string::npos);
}

TEST_CASE("mlpath match --json prints the documented shape", "[e2e][match]") {
  std::string answers = mlpath::test::read_text(mlpath::test::source_dir() + "/tests/fixtures/personas/data_scientist.json");
  auto r = mlpath::test::run({mlpath_binary(), "match", "--json"}, answers);
  REQUIRE(r.status == 0);
  json::value v = json::parse(r.out);
  const auto& roles = v.at("roles").as_array();
  REQUIRE(roles.size() == 5);
  for (const auto& role : roles) {
    CHECK(role.as_object().contains("id"));
    CHECK(role.as_object().contains("name"));
    CHECK(role.at("score").as_int64() >= 0);
    CHECK(role.at("score").as_int64() <= 100);
    CHECK(role.at("why").is_array());
  }
  CHECK(v.at("primary").as_array().front() == "data_scientist");
  std::string conf(v.at("confidence").as_string());
  CHECK((conf == "insufficient" || conf == "low" || conf == "medium" || conf == "high"));
  CHECK(v.at("plan").is_object());
  auto bad = mlpath::test::run({mlpath_binary(), "match"}, R"({"motivation":["hands_on_coding","dancing"]})");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("unknown option id \"dancing\"") != std::string::npos);
}

TEST_CASE("mlpath user delete erases a chat user", "[e2e][storage]") {
  temp_dir dir;
  std::vector<std::string> env = {"MLPATH_DB=" + dir.file("u.db")};
  mlpath::test::run({mlpath_binary(), "chat", "--user", "kim"}, "1\n", env);
  auto del = mlpath::test::run({mlpath_binary(), "user", "delete", "--platform", "console", "--user", "kim"}, "", env);
  CHECK(del.status == 0);
  auto exp = mlpath::test::run({mlpath_binary(), "user", "export", "--platform", "console", "--user", "kim"}, "", env);
  CHECK(exp.status == 1);
  CHECK(exp.err.find("no stored data") != std::string::npos);
}

TEST_CASE("a malformed setting stops start-up with one line naming the variable", "[e2e][config]") {
  auto r = mlpath::test::run({mlpath_binary(), "chat"}, "", {"MLPATH_DURABILITY=sometimes"});
  CHECK(r.status == 2);
  CHECK(r.err.find("MLPATH_DURABILITY") != std::string::npos);
  auto r2 = mlpath::test::run({mlpath_binary(), "chat"}, "", {"MLPATH_LISTEN=localhost"});
  CHECK(r2.status == 2);
  CHECK(r2.err.find("MLPATH_LISTEN") != std::string::npos);
}
