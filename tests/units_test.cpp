// Small pure pieces: tokens, text matching, check-in times, configuration.
#include <catch2/catch.hpp>

#include "bot/app/config.hpp"
#include "bot/console/console_chat.hpp"
#include "bot/schedule/checkin_planner.hpp"
#include "dialogs/action_token.hpp"
#include "dialogs/text_input.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace mlpath::dialogs;

TEST_CASE("action tokens round-trip", "[tokens]") {
  auto in = parse_action_token(answer_token("motivation", "hands_on_coding", 3));
  REQUIRE(in);
  CHECK(in->kind == input_kind::choose);
  CHECK(in->question == "motivation");
  CHECK(in->options == std::vector<std::string>{"hands_on_coding"});
  CHECK(in->round == 3);
  CHECK(in->from_button);
  auto c = parse_action_token("cmd:edit:domain:r2");
  REQUIRE(c);
  CHECK(c->command == "edit");
  CHECK(c->arg == "domain");
  CHECK(c->round == 2);
  auto g = parse_action_token("q:languages");
  REQUIRE(g);
  CHECK(g->question == "languages");
  CHECK(g->options.empty());
  CHECK_FALSE(g->round);
  CHECK(parse_action_token("cmd:next")->command == "next");
  CHECK_FALSE(parse_action_token("hello"));
  CHECK_FALSE(parse_action_token("q:"));
  CHECK_FALSE(parse_action_token("q:a:b:c:d"));
  CHECK_FALSE(parse_action_token("q:Motivation:x"));
  CHECK_FALSE(parse_action_token(std::string(300, 'q')));
  CHECK(command_token("skip", "worry", 4) == "cmd:skip:worry:r4");
}

TEST_CASE("command words are recognised, answers are not", "[text]") {
  CHECK(command_word("Back")->word == "back");
  CHECK(command_word(" /help ")->word == "help");
  CHECK(command_word("yes")->word == "confirm");
  CHECK(command_word("edit 3")->arg == "3");
  CHECK_FALSE(command_word("skip this one"));
  CHECK_FALSE(command_word("python"));
  CHECK_FALSE(command_word("edit"));
}

TEST_CASE("option matching", "[text]") {
  const question& q = *mlpath::test::builtin()->questions.find("languages");
  CHECK(match_options(q, "1").ids == std::vector<std::string>{"python"});
  CHECK(match_options(q, "python, R or Julia").ids == std::vector<std::string>{"python", "r_or_julia"});
  CHECK(match_options(q, "1 and 3").ids == std::vector<std::string>{"python", "r_or_julia"});
  CHECK(match_options(q, "2 2").ids == std::vector<std::string>{"cpp_or_java"});
  auto m = match_options(q, "python, cobol");
  CHECK(m.unknown == std::vector<std::string>{"cobol"});
  CHECK(match_options(q, "0").ids.empty());
  CHECK(match_options(q, "99999999999").ids.empty());
}

TEST_CASE("text is sanitised", "[text]") {
  CHECK(sanitize_text("  hi\tthere \n", 100).text == "hi\tthere");
  CHECK(sanitize_text("a\x01" "b", 100).text == "ab");
  CHECK(sanitize_text("\xC0\xAF", 100).text == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  CHECK(sanitize_text("\xED\xA0\x80", 100).text == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  auto t = sanitize_text("h\xC3\xA9llo", 2);
  CHECK(t.text == "h\xC3\xA9");
  CHECK(t.truncated);
}

TEST_CASE("chat JSON lines are parsed strictly", "[chat]") {
  auto a = parse_chat_line(R"({"choose":["python","cpp_or_java"]})");
  REQUIRE(std::holds_alternative<input>(a));
  CHECK(std::get<input>(a).options.size() == 2);
  auto b = parse_chat_line(R"({"command":"edit:domain"})");
  CHECK(std::get<input>(b).command == "edit");
  CHECK(std::get<input>(b).arg == "domain");
  CHECK(std::get<input>(parse_chat_line("hello")).text == "hello");
  CHECK(std::holds_alternative<std::string>(parse_chat_line("{\"choose\": 5}")));
  CHECK(std::holds_alternative<std::string>(parse_chat_line("{\"nope\": 1}")));
  CHECK(std::holds_alternative<std::string>(parse_chat_line("{}")));
  CHECK(std::holds_alternative<std::string>(parse_chat_line("{\"text\":\"a\"} x")));
}

TEST_CASE("weekly check-in times are computed in the user's zone, DST-correct", "[checkins]") {
  weekly_time berlin{"Europe/Berlin", parse_weekday("sun"), 2, 30};
  // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): the first
  // valid minute after the gap, 03:00 CEST.
  auto t = next_checkins(berlin, parse_instant("2026-03-25T00:00:00Z"), 3);
  REQUIRE(t.size() == 3);
  CHECK(format_utc(t[0]) == "2026-03-29T01:00:00Z");
  CHECK(format_utc(t[1]) == "2026-04-05T00:30:00Z");
  // 2026-10-25 02:30 happens twice (03:00 -> 02:00): the first one, in CEST.
  auto autumn = next_checkins(berlin, parse_instant("2026-10-20T00:00:00Z"), 2);
  CHECK(format_utc(autumn[0]) == "2026-10-25T00:30:00Z");
  CHECK(format_utc(autumn[1]) == "2026-11-01T01:30:00Z");
  weekly_time ny{"America/New_York", parse_weekday("mon"), 9, 0};
  auto n = next_checkins(ny, parse_instant("2026-03-02T14:00:00Z"), 2);  // exactly Monday 09:00 EST: not "after"
  CHECK(format_utc(n[0]) == "2026-03-09T13:00:00Z");                      // EDT from 8 March
  CHECK(format_utc(n[1]) == "2026-03-16T13:00:00Z");
  CHECK(format_local(n[0], "America/New_York").find("2026-03-09T09:00:00-04:00") == 0);
  CHECK_THROWS_AS(next_checkins({"Mars/Olympus", 1, 9, 0}, parse_instant("2026-03-02T14:00:00Z"), 1), schedule_error);
  CHECK_THROWS_AS(parse_weekday("someday"), schedule_error);
  int h, m;
  CHECK_THROWS_AS(parse_clock("25:00", h, m), schedule_error);
  CHECK_THROWS_AS(parse_instant("yesterday"), schedule_error);
}

TEST_CASE("configuration: defaults, overrides, clear errors", "[config]") {
  auto from = [](std::map<std::string, std::string> env) {
    return load_config([env](const char* name) -> const char* {
      static std::string keep;
      auto it = env.find(name);
      if (it == env.end()) return nullptr;
      keep = it->second;
      return keep.c_str();
    });
  };
  config c = from({});
  CHECK(c.db_path == "./mlpath.db");
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 3000);
  CHECK_FALSE(c.fsync);
  config d = from({{"MLPATH_LISTEN", "0.0.0.0:8080"}, {"MLPATH_DURABILITY", "fsync"}, {"MLPATH_DB", "/tmp/x.db"}});
  CHECK(d.listen_host == "0.0.0.0");
  CHECK(d.listen_port == 8080);
  CHECK(d.fsync);
  CHECK(d.db_path == "/tmp/x.db");
  CHECK_THROWS_WITH(from({{"MLPATH_LISTEN", "127.0.0.1:99999"}}), Catch::Contains("MLPATH_LISTEN"));
  CHECK_THROWS_WITH(from({{"MLPATH_LOG_LEVEL", "loud"}}), Catch::Contains("MLPATH_LOG_LEVEL"));
  CHECK_THROWS_WITH(from({{"MLPATH_DB", ""}}), Catch::Contains("MLPATH_DB"));
}
