// The engine's words are shared by every surface (the terminal has no buttons): help
// names every word it understands, and no reply of a whole run says "button".
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "adapters/console/reply_json.hpp"
#include "engine_driver.hpp"

using namespace mlpath;
using mlpath::test::engine_driver;
namespace json = boost::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Every word a reply shows, as its JSON (prompts, labels, hints, notes, plan steps, ...).
std::string words_of(const std::vector<dialogs::reply>& replies) {
  std::string out;
  for (const auto& r : replies) out += json::serialize(console::to_json(r)) + "\n";
  return out;
}

// Plays a persona file (question id -> option ids or text) through the reflection and a
// few commands along the way, keeping every reply of every step.
struct persona_walk {
  engine_driver d;
  std::vector<std::vector<dialogs::reply>> steps;
  json::object answers;

  explicit persona_walk(const std::string& file)
      : answers(json::parse(mlpath::test::read_text(mlpath::test::source_dir() + "/tests/fixtures/personas/" + file))
                    .as_object()) {}

  void keep() { steps.push_back(d.last); }

  void answer_current(bool typed) {
    const dialogs::question* q = d.e->material().questions.find(d.c.current);
    REQUIRE(q);
    const json::value* a = answers.if_contains(q->id);
    if (!a) {
      REQUIRE(q->optional);
      d.say("skip");
      return;
    }
    if (q->kind == dialogs::question_kind::text) {
      d.say(std::string(a->as_string()));
      return;
    }
    std::vector<std::string> ids;
    if (a->is_string()) ids.emplace_back(a->as_string());
    else
      for (const auto& v : a->as_array()) ids.emplace_back(v.as_string());
    if (typed) {
      // The option numbers, as someone would type them.
      std::string text;
      for (const auto& id : ids) {
        auto it = std::find_if(q->options.begin(), q->options.end(), [&](const auto& o) { return o.id == id; });
        REQUIRE(it != q->options.end());
        text += (text.empty() ? "" : ", ") + std::to_string(it - q->options.begin() + 1);
      }
      d.say(text);
    } else {
      dialogs::input in = dialogs::input::choose(q->id, ids);
      in.round = d.c.round;
      in.from_button = true;
      d.send(in);
    }
  }

  void run() {
    d.say("help");
    keep();
    d.send(dialogs::input::open());
    keep();
    for (int guard = 0; d.c.at == dialogs::stage::asking && guard < 40; ++guard) {
      std::string before = d.c.current;
      answer_current(guard % 2 == 1);
      keep();
      REQUIRE(d.c.current != before);
      if (guard == 2) {
        d.say("status");
        keep();
        d.say("back");
        keep();
        answer_current(false);
        keep();
      }
    }
    REQUIRE(d.c.at == dialogs::stage::summary);
    d.say("status");
    keep();
    d.send(dialogs::input::cmd("help"));
    keep();
    d.say("confirm");
    keep();
    REQUIRE(d.c.at == dialogs::stage::done);
    REQUIRE(d.find<dialogs::result_reply>());
    for (const char* words : {"result", "checkin", "checkin mon 09:00 Europe/Berlin", "pause", "checkin", "stop", "status"}) {
      d.say(words);
      keep();
    }
  }
};

}  // namespace

TEST_CASE("help names check-ins, pause, stop, share and stats, and never says button", "[engine][wording]") {
  engine_driver d;
  for (int at = 0; at < 2; ++at) {
    const auto& replies = at == 0 ? d.say("help") : d.send(dialogs::input::cmd("help"));
    std::string text = d.all_text();
    INFO(text);
    REQUIRE(!replies.empty());
    for (const char* word : {"checkin", "pause", "stop", "share", "stats", "back", "skip", "restart", "delete"})
      CHECK(text.find(word) != std::string::npos);
    CHECK(lower(text).find("button") == std::string::npos);
    CHECK(lower(words_of(replies)).find("button") == std::string::npos);
    d.send(dialogs::input::open());
  }
}

TEST_CASE("no reply of a whole run through the reflection says button", "[engine][wording]") {
  for (const char* persona : {"applied_ml_engineer.json", "data_scientist.json", "ml_infrastructure_engineer.json",
                              "ml_product_manager.json", "research_scientist.json"}) {
    INFO(persona);
    persona_walk w(persona);
    w.run();
    REQUIRE(w.steps.size() > 15);
    std::size_t replies = 0;
    for (std::size_t i = 0; i < w.steps.size(); ++i) {
      std::string words = words_of(w.steps[i]);
      INFO("step " << i << ": " << words);
      CHECK(lower(words).find("button") == std::string::npos);
      replies += w.steps[i].size();
    }
    CHECK(replies > w.steps.size());
  }
}

// miss() used to re-ask after three misses with "Press a button, or type the number of an
// option", which `mlpath chat` printed as is; DESIGN §5: the terminal never says "button".
TEST_CASE("three misses in a row: the re-ask does not say button", "[engine][wording]") {
  for (auto kind : {dialogs::question_kind::multi, dialogs::question_kind::single}) {
    engine_driver d;
    d.send(dialogs::input::open());
    if (kind == dialogs::question_kind::single) d.answer_current();
    REQUIRE(d.question());
    REQUIRE(d.question()->kind == kind);
    std::vector<dialogs::reply> all;
    for (int i = 0; i < 3; ++i) {
      d.say("zzz qqq");
      all.insert(all.end(), d.last.begin(), d.last.end());
    }
    INFO(words_of(all));
    REQUIRE(words_of(all).find("few tries") != std::string::npos);  // the third miss was reached
    CHECK(lower(words_of(all)).find("button") == std::string::npos);
  }
}
