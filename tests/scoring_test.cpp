// Scoring properties, personas, and the plan.
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/json.hpp>
#include <random>

#include "adapters/console/answers_json.hpp"
#include "dialogs/plan_builder.hpp"
#include "dialogs/scoring.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;

namespace {

const content& C() { return *mlpath::test::builtin(); }

answer make(const std::string& q, std::vector<std::string> opts) {
  const question* qq = C().questions.find(q);
  return answer{q, std::move(opts), {}, false, qq->fingerprint, {}};
}

// A random valid answer set: each question answered with probability 0.7 (or skipped if optional).
answer_list random_answers(std::mt19937& rng) {
  answer_list out;
  for (const auto& q : C().questions.questions) {
    if (std::uniform_real_distribution<>(0, 1)(rng) > 0.7) continue;
    if (q.kind == question_kind::text) {
      out.push_back(answer{q.id, {}, "a goal", false, q.fingerprint, {}});
      continue;
    }
    std::vector<std::string> ids;
    for (const auto& o : q.options) ids.push_back(o.id);
    std::shuffle(ids.begin(), ids.end(), rng);
    int k = q.kind == question_kind::single ? 1 : std::uniform_int_distribution<>(1, q.max_choices())(rng);
    ids.resize(static_cast<std::size_t>(k));
    out.push_back(make(q.id, ids));
  }
  return out;
}

double exact_of(const match_result& m, const std::string& role) { return m.find(role)->exact; }

}  // namespace

TEST_CASE("scores are within 0-100 and sorted", "[scoring]") {
  std::mt19937 rng(42);
  for (int i = 0; i < 500; ++i) {
    auto m = score(C(), random_answers(rng));
    REQUIRE(m.roles.size() == 5);
    for (std::size_t r = 0; r < m.roles.size(); ++r) {
      CHECK(m.roles[r].score >= 0);
      CHECK(m.roles[r].score <= 100);
      if (r > 0) CHECK(m.roles[r - 1].score >= m.roles[r].score);
    }
    CHECK(m.answered >= 0);
    CHECK(m.answered <= 1);
  }
}

TEST_CASE("identical input gives identical output, order of answers and options changes nothing", "[scoring]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    answer_list a = random_answers(rng);
    auto base = score(C(), a);
    answer_list shuffled = a;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (auto& x : shuffled) std::reverse(x.options.begin(), x.options.end());
    auto again = score(C(), shuffled);
    REQUIRE(base.roles.size() == again.roles.size());
    for (std::size_t r = 0; r < base.roles.size(); ++r) {
      CHECK(base.roles[r].role == again.roles[r].role);
      CHECK(base.roles[r].exact == again.roles[r].exact);
    }
    CHECK(base.primary == again.primary);
    CHECK(base.level == again.level);
  }
}

TEST_CASE("adding an answer that favours a role never lowers that role", "[scoring]") {
  // "Favours r": the answer earns r full marks on its question (the option with r's top
  // weight, or for a multi question r's best options up to the cap).
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    answer_list a = random_answers(rng);
    for (const auto& qw : C().scoring.questions) {
      if (find_answer(a, qw.question)) continue;
      const question* q = C().questions.find(qw.question);
      for (std::size_t r = 0; r < C().roles.size(); ++r) {
        std::vector<const option*> by_weight;
        for (const auto& o : q->options)
          if (!o.exclusive && qw.options.at(o.id)[r] > 0) by_weight.push_back(&o);
        std::stable_sort(by_weight.begin(), by_weight.end(), [&](const option* x, const option* y) {
          return qw.options.at(x->id)[r] > qw.options.at(y->id)[r];
        });
        if (by_weight.empty()) continue;
        std::vector<std::string> ids;
        for (const option* o : by_weight)
          if (static_cast<int>(ids.size()) < q->max_choices()) ids.push_back(o->id);
        answer_list more = a;
        more.push_back(make(q->id, ids));
        const std::string& role = C().roles[r].id;
        INFO(q->id << " for " << role);
        CHECK(exact_of(score(C(), more), role) >= exact_of(score(C(), a), role) - 1e-9);
      }
    }
  }
}

TEST_CASE("adding an option to a multi answer never lowers any role", "[scoring]") {
  answer_list a = {make("motivation", {"new_ideas"}), make("ideal_day", {"research_publish"}),
                   make("languages", {"python"}), make("strengths", {"debugging"})};
  auto base = score(C(), a);
  answer_list more = a;
  more[2] = make("languages", {"python", "r_or_julia"});
  auto after = score(C(), more);
  for (const auto& r : C().roles) CHECK(exact_of(after, r.id) >= exact_of(base, r.id) - 1e-9);
}

TEST_CASE("skipped questions count as unanswered, never as zero", "[scoring]") {
  answer_list a = {make("motivation", {"hands_on_coding"}), make("ideal_day", {"ship_models"})};
  auto without = score(C(), a);
  answer_list with_skip = a;
  answer s = make("languages", {});
  s.skipped = true;
  with_skip.push_back(s);
  auto skipped = score(C(), with_skip);
  for (const auto& r : C().roles) CHECK(exact_of(without, r.id) == exact_of(skipped, r.id));
  CHECK(without.answered == skipped.answered);
}

TEST_CASE("nothing answered, or everything selected, is insufficient or low confidence", "[scoring]") {
  auto none = score(C(), {});
  CHECK(none.level == confidence::insufficient);
  CHECK(none.primary.empty());
  for (const auto& r : none.roles) CHECK(r.score == 0);

  answer_list everything;
  for (const auto& q : C().questions.questions) {
    if (q.kind != question_kind::multi) continue;
    std::vector<std::string> all;
    for (const auto& o : q.options) all.push_back(o.id);
    everything.push_back(make(q.id, all));
  }
  auto m = score(C(), everything);
  INFO("answered " << m.answered);
  CHECK((m.level == confidence::low || m.level == confidence::insufficient));
  for (const auto& r : m.roles) CHECK(r.score == 100);  // caps saturate every role alike
}

TEST_CASE("a little answered is insufficient", "[scoring]") {
  auto m = score(C(), {make("languages", {"python"})});
  CHECK(m.level == confidence::insufficient);
}

TEST_CASE("co-primary roles within 5 points, up to two secondary roles", "[scoring]") {
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    auto m = score(C(), random_answers(rng));
    if (m.primary.empty()) continue;
    CHECK(m.primary.front() == m.roles.front().role);
    if (m.primary.size() == 2) CHECK(m.roles[0].score - m.roles[1].score <= 5);
    else if (m.roles.size() > 1) CHECK(m.roles[0].score - m.roles[1].score > 5);
    CHECK(m.secondary.size() <= 2);
    for (const auto& s : m.secondary) CHECK(std::find(m.primary.begin(), m.primary.end(), s) == m.primary.end());
  }
}

TEST_CASE("the reasons are answers in words that contributed, summing to at most the score", "[scoring]") {
  answer_list a = {make("motivation", {"hands_on_coding", "data_insights"}), make("ideal_day", {"ship_models"}),
                   make("languages", {"python"}), make("math_comfort", {"working"})};
  auto m = score(C(), a);
  for (const auto& r : m.roles) {
    CHECK(r.why.size() <= 3);
    double sum = 0;
    for (const auto& w : r.why) {
      CHECK(w.points > 0);
      CHECK(!w.label.empty());
      CHECK(!w.reason.empty());
      sum += w.points;
    }
    CHECK(sum <= r.exact + 1e-6);
  }
}

TEST_CASE("personas: each clear persona lands its role as primary", "[scoring][personas]") {
  namespace json = boost::json;
  std::string dir = mlpath::test::source_dir() + "/tests/fixtures/personas/";
  json::value expected = json::parse(mlpath::test::read_text(dir + "expected.json"));
  REQUIRE(expected.as_object().size() == C().roles.size());
  for (const auto& [file, role] : expected.as_object()) {
    INFO(file);
    auto parsed = console::parse_answers_json(C(), mlpath::test::read_text(dir + std::string(file)));
    REQUIRE(std::holds_alternative<answer_list>(parsed));
    auto m = score(C(), std::get<answer_list>(parsed));
    REQUIRE(m.primary.size() == 1);
    CHECK(m.primary.front() == std::string(role.as_string()));
    CHECK(m.roles[0].score - m.roles[1].score >= 8);
    CHECK(m.level != confidence::insufficient);
  }
}

TEST_CASE("match input: unknown ids and malformed answers are errors naming them", "[scoring]") {
  auto bad = console::parse_answers_json(C(), R"({"motivation":["hands_on_coding","flying"],"colour":"blue","ideal_day":3})");
  REQUIRE(std::holds_alternative<std::vector<std::string>>(bad));
  auto errors = std::get<std::vector<std::string>>(bad);
  auto has = [&](const std::string& s) {
    return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) { return e.find(s) != std::string::npos; });
  };
  CHECK(has("\"flying\""));
  CHECK(has("\"colour\""));
  CHECK(has("ideal_day"));
  CHECK(std::holds_alternative<std::vector<std::string>>(console::parse_answers_json(C(), "[1,2]")));
  CHECK(std::holds_alternative<std::vector<std::string>>(console::parse_answers_json(C(), "{\"motivation\":")));
  CHECK(std::holds_alternative<std::vector<std::string>>(console::parse_answers_json(C(), R"({"motivation":["new_ideas","data_insights","hands_on_coding"]})")));
  CHECK(std::holds_alternative<std::vector<std::string>>(console::parse_answers_json(C(), R"({"ideal_day":null})")));
  auto ok = console::parse_answers_json(C(), R"({"worry":null,"goal_note":"be great","ideal_day":"ship_models"})");
  REQUIRE(std::holds_alternative<answer_list>(ok));
  CHECK(std::get<answer_list>(ok).size() == 3);
  CHECK(std::get<answer_list>(ok)[0].question == "ideal_day");
}
