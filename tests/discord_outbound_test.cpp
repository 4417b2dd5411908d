// Discord's typed outbox messages and the protocol choices of adapters/discord/outbound:
// the interaction callback type (7 update, 4 message, 9 modal), the ephemeral flag,
// follow-ups, channel messages, and merge() exactly at and over Discord's limits.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/common/json_fields.hpp"
#include "adapters/discord/components.hpp"
#include "adapters/discord/mapping.hpp"
#include "adapters/discord/outbound.hpp"
#include "discord_support.hpp"
#include "engine_driver.hpp"

using namespace mlpath;
using mlpath::test::engine_driver;
namespace fx = mlpath::test::discord;
namespace json = boost::json;

namespace {

struct turn_input {
  discord::interaction in;
  discord::mapped m;
};

turn_input interaction_of(const json::object& body) {
  turn_input t;
  t.in = fx::parse_json(body);
  t.m = discord::map_interaction(t.in);
  return t;
}

engine_driver at_ideal_day() {
  engine_driver d;
  d.send(dialogs::input::open());
  d.answer_current();
  REQUIRE(d.c.current == "ideal_day");
  return d;
}

std::int64_t type_of(const json::object& cb) { return cb.at("type").as_int64(); }
const json::object& data_of(const json::object& cb) { return cb.at("data").as_object(); }
std::int64_t flags_of(const json::object& o) {
  const auto* f = o.if_contains("flags");
  return f ? f->to_number<std::int64_t>() : 0;
}

bool mentions_custom_id(const json::value& v, const std::string& prefix) {
  return json::serialize(v).find("\"custom_id\":\"" + prefix) != std::string::npos;
}

json::object content(std::string text) { return json::object{{"content", std::move(text)}}; }

json::object embeds(std::size_t n, std::size_t description_size = 10) {
  json::array a;
  for (std::size_t i = 0; i < n; ++i)
    a.push_back(json::object{{"description", std::string(description_size, 'd')}, {"color", 5793266}});
  return json::object{{"embeds", std::move(a)}};
}

json::object with_components(json::object o, const std::string& id) {
  o["components"] = json::array{json::object{
      {"type", 1}, {"components", json::array{json::object{{"type", 2}, {"style", 1}, {"label", "Go"}, {"custom_id", id}}}}}};
  return o;
}

bool same(const discord::outbound& a, const discord::outbound& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<discord::create_message>(&a)) {
    auto& y = std::get<discord::create_message>(b);
    return x->channel == y.channel && x->payload == y.payload;
  }
  if (auto* x = std::get_if<discord::followup>(&a)) {
    auto& y = std::get<discord::followup>(b);
    return x->token == y.token && x->payload == y.payload;
  }
  auto& x = std::get<discord::interaction_callback>(a);
  auto& y = std::get<discord::interaction_callback>(b);
  return x.interaction_id == y.interaction_id && x.token == y.token && x.payload == y.payload;
}

}  // namespace

TEST_CASE("discord respond: a press that changes state updates the pressed message (type 7)", "[discord][outbound]") {
  for (bool guild : {true, false}) {
    DYNAMIC_SECTION((guild ? "in a server" : "in a DM")) {
      engine_driver d = at_ideal_day();
      fx::interaction_builder b;
      if (!guild) b.guild_id.clear();
      auto t = interaction_of(b.component(dialogs::answer_token("ideal_day", "analyze_present", d.c.round)));
      REQUIRE(t.m.action == discord::mapped_action::dialog);
      REQUIRE(t.m.component);
      CHECK(t.m.ephemeral == guild);
      const auto& replies = d.send(t.m.input);
      REQUIRE(d.c.current == "subfields");
      const auto* answered = d.find<dialogs::answered_reply>();
      REQUIRE(answered);

      auto r = discord::respond(t.in, t.m, replies);
      CHECK(type_of(r.callback) == 7);
      const json::object& data = data_of(r.callback);
      // The record of the answer leads the updated message; the next question follows in it or after it.
      std::string record = adapters::string_field(data, "content");
      json::object answered_part = discord::render_answered(*answered, guild);
      REQUIRE_FALSE(adapters::string_field(answered_part, "content").empty());
      CHECK(record.rfind(adapters::string_field(answered_part, "content"), 0) == 0);
      bool next_question_shown = mentions_custom_id(data, "q:subfields");
      for (const auto& f : r.followups) next_question_shown = next_question_shown || mentions_custom_id(f, "q:subfields");
      CHECK(next_question_shown);
      CHECK_FALSE(mentions_custom_id(data, "q:ideal_day"));
      for (const auto& f : r.followups) CHECK(fx::check_message(f).empty());
    }
  }
}

TEST_CASE("discord respond: a press that changes nothing is a private new message (type 4, flags 64)",
          "[discord][outbound]") {
  for (bool guild : {true, false}) {
    DYNAMIC_SECTION((guild ? "in a server" : "in a DM")) {
      engine_driver d = at_ideal_day();
      fx::interaction_builder b;
      if (!guild) b.guild_id.clear();
      std::string token = dialogs::answer_token("ideal_day", "analyze_present", d.c.round);
      d.send(interaction_of(b.component(token)).m.input);
      auto before = d.c;
      auto t = interaction_of(b.component(token));
      const auto& replies = d.send(t.m.input);
      REQUIRE(d.c.answers == before.answers);
      REQUIRE(d.all_text().find("already answered") != std::string::npos);

      auto r = discord::respond(t.in, t.m, replies);
      CHECK(type_of(r.callback) == 4);
      CHECK(flags_of(data_of(r.callback)) == 64);
      CHECK(adapters::string_field(data_of(r.callback), "content").find("already answered") != std::string::npos);
    }
  }
}

TEST_CASE("discord respond: cmd:answer on a text question answers with the modal (type 9)", "[discord][outbound]") {
  engine_driver d;
  d.send(dialogs::input::open());
  for (int guard = 0; d.c.current != "goal_note" && guard < 20; ++guard) d.answer_current();
  REQUIRE(d.c.current == "goal_note");
  fx::interaction_builder b;
  auto t = interaction_of(b.component(dialogs::command_token("answer", "goal_note", d.c.round)));
  REQUIRE(t.m.action == discord::mapped_action::open_modal);
  REQUIRE(t.m.question == "goal_note");
  const auto& replies = d.send(t.m.input);
  const dialogs::question_reply* q = d.question();
  REQUIRE(q);
  REQUIRE(q->question == "goal_note");

  auto r = discord::respond(t.in, t.m, replies);
  CHECK(type_of(r.callback) == 9);
  CHECK(data_of(r.callback) == discord::render_text_modal(*q));
  CHECK(adapters::string_field(data_of(r.callback), "custom_id").rfind("q:goal_note", 0) == 0);
  // The question is not also sent as a message.
  for (const auto& f : r.followups) CHECK_FALSE(mentions_custom_id(f, "cmd:answer:goal_note"));
}

TEST_CASE("discord respond: a slash command in a server is a private message (type 4, flags 64)", "[discord][outbound]") {
  engine_driver d;
  fx::interaction_builder b;
  auto t = interaction_of(b.command("start"));
  REQUIRE(t.m.action == discord::mapped_action::dialog);
  REQUIRE(t.m.ephemeral);
  REQUIRE_FALSE(t.m.component);
  const auto& replies = d.send(t.m.input);
  REQUIRE(d.question());
  auto r = discord::respond(t.in, t.m, replies);
  CHECK(type_of(r.callback) == 4);
  CHECK(flags_of(data_of(r.callback)) == 64);
  for (const auto& f : r.followups) CHECK(flags_of(f) == 64);

  SECTION("in a DM the same command is an ordinary message") {
    fx::interaction_builder dm;
    dm.guild_id.clear();
    engine_driver d2;
    auto t2 = interaction_of(dm.command("start"));
    REQUIRE_FALSE(t2.m.ephemeral);
    auto r2 = discord::respond(t2.in, t2.m, d2.send(t2.m.input));
    CHECK(type_of(r2.callback) == 4);
    CHECK(flags_of(data_of(r2.callback)) == 0);
  }
}

TEST_CASE("discord respond: what does not fit the first message goes out as follow-ups, in order", "[discord][outbound]") {
  std::vector<dialogs::reply> replies{
      dialogs::text_reply{"first, with a control", {dialogs::action{"cmd:start:r1", "Start", dialogs::action_style::primary}}},
      dialogs::text_reply{"second", {}},
      dialogs::text_reply{"third, with a control", {dialogs::action{"cmd:help:r1", "Help", dialogs::action_style::normal}}},
      dialogs::text_reply{"fourth", {}},
  };
  for (bool guild : {true, false}) {
    DYNAMIC_SECTION((guild ? "in a server" : "in a DM")) {
      fx::interaction_builder b;
      if (!guild) b.guild_id.clear();
      auto t = interaction_of(b.command("status"));
      auto r = discord::respond(t.in, t.m, replies);
      CHECK(type_of(r.callback) == 4);
      CHECK(adapters::string_field(data_of(r.callback), "content") == "first, with a control");
      CHECK(mentions_custom_id(data_of(r.callback), "cmd:start"));
      // Components end a merge: "second" and "third" share a message, "fourth" is the last.
      REQUIRE(r.followups.size() == 2);
      CHECK(adapters::string_field(r.followups[0], "content") == "second\n\nthird, with a control");
      CHECK(mentions_custom_id(r.followups[0], "cmd:help"));
      CHECK(adapters::string_field(r.followups[1], "content") == "fourth");
      for (const auto& f : r.followups) CHECK(flags_of(f) == (guild ? 64 : 0));
    }
  }
  SECTION("nothing to say is still an answer") {
    fx::interaction_builder b;
    auto t = interaction_of(b.command("status"));
    auto r = discord::respond(t.in, t.m, {});
    CHECK(type_of(r.callback) == 4);
    CHECK(adapters::string_field(data_of(r.callback), "content") == "Okay.");
    CHECK(r.followups.empty());
  }
}

TEST_CASE("discord channel_messages: records of answers are left out, the rest merged", "[discord][outbound]") {
  engine_driver d = at_ideal_day();
  const auto& replies = d.press(dialogs::answer_token("ideal_day", "analyze_present", d.c.round));
  REQUIRE(d.find<dialogs::answered_reply>());
  auto msgs = discord::channel_messages(replies);
  REQUIRE(!msgs.empty());
  for (const auto& m : msgs) {
    CHECK(flags_of(m) == 0);
    CHECK(fx::check_message(m).empty());
    CHECK_FALSE(mentions_custom_id(m, "q:ideal_day"));
  }
  CHECK(mentions_custom_id(msgs.back(), "q:subfields"));
}

TEST_CASE("discord merge: content up to 2000, at most 10 embeds and 6000 embed characters", "[discord][outbound]") {
  // Content: joined with a blank line; 1000 + 2 + 998 is exactly 2000.
  auto merged = discord::merge({content(std::string(1000, 'a')), content(std::string(998, 'b'))});
  REQUIRE(merged.size() == 1);
  CHECK(adapters::string_field(merged[0], "content") == std::string(1000, 'a') + "\n\n" + std::string(998, 'b'));
  CHECK(discord::merge({content(std::string(1000, 'a')), content(std::string(999, 'b'))}).size() == 2);
  CHECK(discord::merge({content(std::string(2000, 'a')), content("")}).size() == 1);
  CHECK(discord::merge({content(std::string(2000, 'a')), content("b")}).size() == 2);

  // Embeds: 10 together, not 11.
  merged = discord::merge({embeds(4), embeds(6)});
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].at("embeds").as_array().size() == 10);
  auto over = discord::merge({embeds(4), embeds(7)});
  REQUIRE(over.size() == 2);
  CHECK(over[0].at("embeds").as_array().size() == 4);
  CHECK(over[1].at("embeds").as_array().size() == 7);

  // Embed text: 6000 characters together, not 6001 (colors and urls do not count).
  CHECK(discord::merge({embeds(1, 3000), embeds(1, 3000)}).size() == 1);
  CHECK(discord::merge({embeds(1, 3000), embeds(1, 3001)}).size() == 2);
  CHECK(discord::merge({embeds(2, 1500), embeds(3, 1000)}).size() == 1);
  CHECK(discord::merge({embeds(2, 1500), embeds(3, 1001)}).size() == 2);

  // Content and embeds together.
  json::object both = content("hello");
  both["embeds"] = embeds(2).at("embeds");
  merged = discord::merge({both, embeds(3)});
  REQUIRE(merged.size() == 1);
  CHECK(adapters::string_field(merged[0], "content") == "hello");
  CHECK(merged[0].at("embeds").as_array().size() == 5);
  merged = discord::merge({embeds(1), content("after")});
  REQUIRE(merged.size() == 1);
  CHECK(adapters::string_field(merged[0], "content") == "after");
  CHECK(merged[0].at("embeds").as_array().size() == 1);
}

TEST_CASE("discord merge: components end a merge, different flags never merge, merges chain", "[discord][outbound]") {
  // Only the last part of a merge may carry components.
  auto merged = discord::merge({content("a"), with_components(content("b"), "cmd:x")});
  REQUIRE(merged.size() == 1);
  CHECK(adapters::string_field(merged[0], "content") == "a\n\nb");
  CHECK(mentions_custom_id(merged[0], "cmd:x"));
  merged = discord::merge({with_components(content("a"), "cmd:x"), content("b")});
  REQUIRE(merged.size() == 2);
  CHECK(adapters::string_field(merged[1], "content") == "b");
  CHECK_FALSE(merged[1].contains("components"));
  CHECK(discord::merge({with_components(content("a"), "cmd:x"), with_components(content("b"), "cmd:y")}).size() == 2);

  // Flags.
  json::object quiet = content("private");
  quiet["flags"] = 64;
  json::object quiet2 = content("also private");
  quiet2["flags"] = 64;
  CHECK(discord::merge({content("public"), quiet}).size() == 2);
  CHECK(discord::merge({quiet, content("public")}).size() == 2);
  merged = discord::merge({quiet, quiet2});
  REQUIRE(merged.size() == 1);
  CHECK(flags_of(merged[0]) == 64);
  CHECK(adapters::string_field(merged[0], "content") == "private\n\nalso private");

  // A chain merges into the last open message; a break starts a new one.
  merged = discord::merge({content("1"), content("2"), with_components(content("3"), "cmd:z"), content("4"), content("5")});
  REQUIRE(merged.size() == 2);
  CHECK(adapters::string_field(merged[0], "content") == "1\n\n2\n\n3");
  CHECK(adapters::string_field(merged[1], "content") == "4\n\n5");
  CHECK(discord::merge({}).empty());
}

TEST_CASE("discord outbound: every kind round-trips through encode and decode", "[discord][outbound]") {
  json::object payload{{"content", "Hi \"there\" \xC3\xA9 \\"}, {"flags", 64},
                       {"components", json::array{json::object{{"type", 1}, {"components", json::array{}}}}}};
  std::vector<discord::outbound> all{
      discord::create_message{"319674150115610528", payload},
      discord::create_message{"", payload},
      discord::followup{"A_UNIQUE_TOKEN", payload},
      discord::interaction_callback{"846462639134605312", "A_UNIQUE_TOKEN", discord::callback(discord::update_message, payload)},
  };
  std::vector<std::string> kinds;
  for (const auto& m : all) {
    std::string kind = discord::kind_of(m);
    kinds.push_back(kind);
    auto back = discord::decode(kind, discord::encode(m));
    REQUIRE(back);
    CHECK(same(*back, m));
  }
  CHECK(kinds == std::vector<std::string>{"discord.post", "discord.post", "discord.followup", "discord.callback"});
}

TEST_CASE("discord outbound: unknown kinds and bodies without the kind's fields decode to nothing", "[discord][outbound]") {
  std::string good = discord::encode(discord::followup{"tok", json::object{{"content", "x"}}});
  CHECK(discord::decode("discord.followup", good));
  CHECK_FALSE(discord::decode("discord.nope", good));
  CHECK_FALSE(discord::decode("slack.post", good));
  CHECK_FALSE(discord::decode("", good));
  for (const char* kind : {"discord.post", "discord.followup", "discord.callback"}) {
    INFO(kind);
    CHECK_FALSE(discord::decode(kind, ""));
    CHECK_FALSE(discord::decode(kind, "{"));
    CHECK_FALSE(discord::decode(kind, "null"));
    CHECK_FALSE(discord::decode(kind, R"([{"payload":{}}])"));
    CHECK_FALSE(discord::decode(kind, R"({"channel":"C","token":"t","interaction_id":"1"})"));
    CHECK_FALSE(discord::decode(kind, R"({"channel":"C","token":"t","interaction_id":"1","payload":"x"})"));
    CHECK_FALSE(discord::decode(kind, R"({"channel":"C","token":"t","interaction_id":"1","payload":[1]})"));
  }
}

TEST_CASE("discord callback bodies: pong, private notes", "[discord][outbound]") {
  auto note = discord::private_note("only you");
  CHECK(type_of(note) == 4);
  CHECK(adapters::string_field(data_of(note), "content") == "only you");
  CHECK(flags_of(data_of(note)) == 64);
  CHECK(type_of(discord::callback(discord::modal, json::object{{"custom_id", "q:x"}})) == 9);
}
