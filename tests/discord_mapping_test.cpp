// From Discord interactions and gateway DMs to what the service does: every rule of
// adapters/discord/mapping.hpp.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/discord/mapping.hpp"
#include "dialogs/action_token.hpp"
#include "discord_support.hpp"

using namespace mlpath;
using namespace mlpath::discord;
using dialogs::input_kind;
namespace fx = mlpath::test::discord;
namespace json = boost::json;

namespace {

mapped map_json(const json::object& body) { return map_interaction(fx::parse_json(body)); }

fx::interaction_builder in_dm() {
  fx::interaction_builder b;
  b.guild_id = "";
  return b;
}

}  // namespace

TEST_CASE("PING is answered with PONG", "[discord][mapping]") {
  CHECK(map_interaction(fx::parse_ok(R"({"type":1})")).action == mapped_action::pong);
  CHECK(map_interaction(fx::parse_ok(R"({"type":1,"id":"1","token":"t","user":{"id":"2","bot":true}})")).action ==
        mapped_action::pong);
}

TEST_CASE("/mlpath subcommands are dialog commands for the user", "[discord][mapping]") {
  fx::interaction_builder guild;
  for (std::string word : {"start", "resume", "status", "result", "back", "restart", "help", "delete", "checkin"}) {
    INFO(word);
    for (auto b : {guild, in_dm()}) {
      auto m = map_json(b.command(word));
      REQUIRE(m.action == mapped_action::dialog);
      CHECK(m.input.kind == input_kind::command);
      CHECK(m.input.command == word);
      CHECK(m.input.arg.empty());
      CHECK_FALSE(m.input.round);
      // One conversation per Discord user, wherever they are.
      CHECK(m.user.platform == "discord");
      CHECK(m.user.tenant.empty());
      CHECK(m.user.user == "53908232506183680");
      CHECK(m.guild_id == b.guild_id);
      CHECK(m.ephemeral == !b.guild_id.empty());
      CHECK_FALSE(m.component);
    }
  }
  // A word a newer command definition adds goes to the engine, which says what it knows.
  auto m = map_json(guild.command("pause"));
  CHECK(m.action == mapped_action::dialog);
  CHECK(m.input.command == "pause");
  // A subcommand group or a strange name is not ours.
  json::object odd = guild.command("start");
  odd["data"].as_object()["options"].as_array()[0].as_object()["name"] = "Start Now";
  CHECK(map_json(odd).action == mapped_action::ignore);
  // /mlpath without a subcommand (not possible with ours, but harmless): open.
  m = map_json(guild.command(""));
  CHECK(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::open);
}

TEST_CASE("unknown commands, autocomplete and bots are ignored", "[discord][mapping]") {
  fx::interaction_builder b;
  CHECK(map_json(b.command("start", "blep")).action == mapped_action::ignore);
  auto autocomplete = b.command("start");
  autocomplete["type"] = 4;
  CHECK(map_json(autocomplete).action == mapped_action::ignore);
  auto bot = b.command("start");
  bot["member"].as_object()["user"].as_object()["bot"] = true;
  CHECK(map_json(bot).action == mapped_action::ignore);
  auto no_token = b.command("start");
  no_token.erase("token");
  CHECK(map_json(no_token).action == mapped_action::ignore);
  auto no_user = b.command("start");
  no_user.erase("member");
  CHECK(map_json(no_user).action == mapped_action::ignore);
}

TEST_CASE("context 0 without guild_id still counts as a server (ephemeral)", "[discord][mapping]") {
  json::object o = fx::interaction_builder{}.command("status");
  o.erase("guild_id");
  auto m = map_json(o);
  CHECK(m.ephemeral);
  CHECK(m.guild_id.empty());
}

TEST_CASE("share: a public card in a server, a polite answer in DMs", "[discord][mapping]") {
  auto m = map_json(fx::interaction_builder{}.command("share"));
  CHECK(m.action == mapped_action::share);
  CHECK(m.guild_id == "290926798626357999");
  CHECK(m.channel_id == "645027906669510667");
  m = map_json(in_dm().command("share"));
  CHECK(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "share");
}

TEST_CASE("stats: Manage Server or Administrator, in a server only", "[discord][mapping]") {
  fx::interaction_builder b;
  for (std::string name : {"mlpath", "mlpath-stats"}) {
    INFO(name);
    auto cmd = [&](const fx::interaction_builder& x) { return name == "mlpath" ? x.command("stats") : x.command("", name); };
    b.permissions = "32";  // MANAGE_GUILD
    CHECK(map_json(cmd(b)).action == mapped_action::stats);
    b.permissions = "8";  // ADMINISTRATOR
    CHECK(map_json(cmd(b)).action == mapped_action::stats);
    b.permissions = std::to_string((1ull << 45) | 32);
    CHECK(map_json(cmd(b)).action == mapped_action::stats);
    for (std::string p : {"0", "2147483607", "16", "garbage", ""}) {  // 2147483607 = 2^31-1 without bits 3 and 5
      INFO(p);
      b.permissions = p;
      auto m = map_json(cmd(b));
      CHECK(m.action == mapped_action::forbidden);
      CHECK(m.reason.find("Manage Server") != std::string::npos);
      CHECK(m.ephemeral);
    }
    auto m = map_json(cmd(in_dm()));
    CHECK(m.action == mapped_action::forbidden);
    CHECK(m.reason.find("server") != std::string::npos);
  }
  // The fixture's member permissions (2147483647) include both bits.
  b.permissions = "2147483647";
  CHECK(map_json(b.command("stats")).action == mapped_action::stats);
}

TEST_CASE("answer buttons and selects become choices bound to question and round", "[discord][mapping]") {
  fx::interaction_builder b;
  auto m = map_json(b.component(dialogs::answer_token("ideal_day", "ship_models", 4)));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.component);
  CHECK(m.ephemeral);
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.question == "ideal_day");
  CHECK(m.input.options == std::vector<std::string>{"ship_models"});
  CHECK(m.input.round == 4);
  CHECK(m.input.from_button);

  // A string select: custom_id q:<question>:r<round>, the values are option ids.
  m = map_json(b.component("q:motivation:r4", 3, {"hands_on_coding", "data_insights", "hands_on_coding"}));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.question == "motivation");
  CHECK(m.input.options == std::vector<std::string>{"hands_on_coding", "data_insights"});
  CHECK(m.input.round == 4);
  CHECK(m.input.from_button);
  CHECK(m.component);
  // An emptied select changes nothing; a select naming an option is not ours.
  CHECK(map_json(b.component("q:motivation:r4", 3, {})).action == mapped_action::ignore);
  CHECK(map_json(b.component("q:motivation:x:r4", 3, {"a"})).action == mapped_action::ignore);
  // A button without an option answers nothing.
  CHECK(map_json(b.component("q:motivation:r4")).action == mapped_action::ignore);
  // Not our tokens.
  for (std::string id : {"click_one", "class_select_1", "q:", "cmd:", "q:a:b:c:r1", "Q:a:b", "q:Ideal:x"}) {
    INFO(id);
    CHECK(map_json(b.component(id)).action == mapped_action::ignore);
  }
  // In a DM: updates in place, not ephemeral.
  m = map_json(in_dm().component(dialogs::answer_token("ideal_day", "ship_models", 4)));
  CHECK(m.component);
  CHECK_FALSE(m.ephemeral);
}

TEST_CASE("control buttons: commands, the answer modal, edit selects", "[discord][mapping]") {
  fx::interaction_builder b;
  auto m = map_json(b.component(dialogs::command_token("skip", "worry", 3)));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "skip");
  CHECK(m.input.arg == "worry");
  CHECK(m.input.round == 3);
  CHECK(m.input.from_button);
  CHECK(m.component);

  m = map_json(b.component(dialogs::command_token("confirm", "restart", 3)));
  CHECK(m.input.command == "confirm");
  CHECK(m.input.arg == "restart");

  m = map_json(b.component(dialogs::command_token("answer", "goal_note", 3)));
  CHECK(m.action == mapped_action::open_modal);
  CHECK(m.question == "goal_note");
  CHECK(m.input.round == 3);

  // The long-summary select "Change an answer": cmd:edit[:pN]:r<round>, value = question.
  m = map_json(b.component("cmd:edit:r3", 3, {"domain"}));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "edit");
  CHECK(m.input.arg == "domain");
  CHECK(m.input.round == 3);
  m = map_json(b.component("cmd:edit:p2:r3", 3, {"worry"}));
  CHECK(m.input.arg == "worry");
  CHECK(m.input.round == 3);
  CHECK(map_json(b.component("cmd:edit:r3", 3, {})).action == mapped_action::ignore);

  // The engine's own "Start again" button carries a round: an ordinary command press.
  m = map_json(b.component(dialogs::command_token("start", "", 5)));
  CHECK(m.input.command == "start");
  CHECK(m.input.round == 5);
  CHECK(m.component);
}

TEST_CASE("the share card's Start button starts a private flow for the presser", "[discord][mapping]") {
  fx::interaction_builder b;
  b.message_flags = 0;  // the card is a public message
  auto m = map_json(b.component("cmd:start"));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "start");
  CHECK_FALSE(m.input.round);
  CHECK_FALSE(m.component);  // never rewrite the public card
  CHECK(m.ephemeral);        // the flow is private
  CHECK(m.guild_id == "290926798626357999");  // attributed to the server
  CHECK(m.user.user == "53908232506183680");
  CHECK(m.user.tenant.empty());
  // Any press on a public server message is answered with a new message.
  m = map_json(b.component(dialogs::command_token("resume", "", 1)));
  CHECK(m.action == mapped_action::dialog);
  CHECK_FALSE(m.component);
}

TEST_CASE("discord: modal submissions answer the text question they were opened for", "[discord][mapping]") {
  fx::interaction_builder b;
  for (bool label : {false, true}) {
    INFO("label layout " << label);
    auto m = map_json(b.modal("q:goal_note:r3", "Lead a small team", label));
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::text);
    CHECK(m.input.text == "Lead a small team");
    CHECK(m.input.question == "goal_note");
    CHECK(m.input.round == 3);
    CHECK(m.input.from_button);
    CHECK(m.component);  // opened from a button: update that message
  }
  // From a slash command (no message): a new message.
  CHECK_FALSE(map_json(b.modal("q:goal_note:r3", "x", true, false)).component);
  // Words that are command words stay the answer: from_button + question.
  auto m = map_json(b.modal("q:goal_note:r3", "help", true));
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.text == "help");
  // Not our modal.
  CHECK(map_json(b.modal("game_feedback_modal", "x", true)).action == mapped_action::ignore);
  CHECK(map_json(b.modal("cmd:answer:goal_note:r3", "x", true)).action == mapped_action::ignore);
  CHECK(map_json(b.modal("q:goal_note:opt:r3", "x", true)).action == mapped_action::ignore);
  // The text field is found among others; "answer" preferred.
  auto in = fx::parse_ok(R"({"type":5,"id":"1","token":"t","user":{"id":"7"},"data":{"custom_id":"q:goal_note:r1","components":[
      {"type":18,"component":{"type":3,"custom_id":"pick","values":["a"]}},
      {"type":18,"component":{"type":4,"custom_id":"other","value":"no"}},
      {"type":18,"component":{"type":4,"custom_id":"answer","value":"yes"}}]}})");
  m = map_interaction(in);
  CHECK(m.input.text == "yes");
  CHECK(m.user.user == "7");
  // An empty modal still maps (the engine re-asks).
  in = fx::parse_ok(R"({"type":5,"id":"1","token":"t","user":{"id":"7"},"data":{"custom_id":"q:goal_note:r1"}})");
  m = map_interaction(in);
  CHECK(m.action == mapped_action::dialog);
  CHECK(m.input.text.empty());
}

// --- gateway DMs -------------------------------------------------------------------------

namespace {

std::string dm_json(json::object overrides = {}) {
  json::object d{{"id", "334385199974967042"},
                 {"channel_id", "319674150115610528"},
                 {"author", {{"id", "82198898841029460"}, {"username", "test"}, {"discriminator", "0"}, {"global_name", "Test"}}},
                 {"content", "python, cpp"},
                 {"type", 0},
                 {"flags", 0},
                 {"tts", false},
                 {"mentions", json::array{}},
                 {"attachments", json::array{}},
                 {"embeds", json::array{}},
                 {"components", json::array{}},
                 {"nonce", "1028029979960541184"},
                 {"timestamp", "2017-07-11T17:27:07.299000+00:00"}};
  for (auto& [k, v] : overrides) d[k] = v;
  return json::serialize(d);
}

mapped map_dm_json(const std::string& d, std::string_view self = "80351110224678912") {
  dm_message m;
  REQUIRE(parse_message_create(d, m));
  return map_dm(m, self);
}

}  // namespace

TEST_CASE("a DM from a person is their typed answer", "[discord][mapping][dm]") {
  dm_message msg;
  REQUIRE(parse_message_create(dm_json(), msg));
  CHECK(msg.id == "334385199974967042");
  CHECK(msg.channel_id == "319674150115610528");
  CHECK(msg.author_id == "82198898841029460");
  CHECK(msg.guild_id.empty());
  CHECK(msg.content == "python, cpp");
  auto m = map_dm(msg, "80351110224678912");
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.text == "python, cpp");
  CHECK_FALSE(m.input.from_button);
  CHECK(m.user.platform == "discord");
  CHECK(m.user.tenant.empty());
  CHECK(m.user.user == "82198898841029460");
  CHECK(m.channel_id == "319674150115610528");
  CHECK_FALSE(m.ephemeral);
  CHECK_FALSE(m.component);
  // A reply (type 19) counts; command words go to the engine as typed text.
  CHECK(map_dm_json(dm_json({{"type", 19}, {"content", "back"}})).input.text == "back");
}

TEST_CASE("guild messages, bots, webhooks, our own and ephemeral messages are ignored", "[discord][mapping][dm]") {
  CHECK(map_dm_json(dm_json({{"guild_id", "439103874612675485"}})).action == mapped_action::ignore);
  CHECK(map_dm_json(dm_json(), "82198898841029460").reason == "our own message");
  json::object bot_author{{"id", "5"}, {"bot", true}};
  CHECK(map_dm_json(dm_json({{"author", bot_author}})).action == mapped_action::ignore);
  CHECK(map_dm_json(dm_json({{"webhook_id", "845027738276462632"}})).action == mapped_action::ignore);
  CHECK(map_dm_json(dm_json({{"flags", 64}})).action == mapped_action::ignore);
  CHECK(map_dm_json(dm_json({{"flags", 64 | 4}})).action == mapped_action::ignore);
  for (int type : {1, 7, 6, 20, 23}) {
    INFO(type);
    CHECK(map_dm_json(dm_json({{"type", type}})).action == mapped_action::ignore);
  }
  CHECK(map_dm_json(dm_json({{"content", ""}})).action == mapped_action::ignore);
  // Without our id (READY not seen yet) a person's DM still maps.
  CHECK(map_dm_json(dm_json(), "").action == mapped_action::dialog);
}

TEST_CASE("parse_message_create refuses what is not a message", "[discord][mapping][dm]") {
  dm_message m;
  m.content = "unchanged";
  for (std::string bad : {"", "null", "[]", "{}", R"({"id":"1"})", R"({"author":{"id":"1"}})", R"({"channel_id":"1"})",
                          "{\"author\":{\"id\":\"1\"},\"channel_id\":\"2\"", R"({"author":{"id":"1"},"channel_id":"2"} x)"}) {
    INFO(bad);
    CHECK_FALSE(parse_message_create(bad, m));
  }
  CHECK(m.content == "unchanged");
  // Minimal and oddly typed fields.
  REQUIRE(parse_message_create(R"({"author":{"id":"1","bot":"yes"},"channel_id":"2","flags":"64","type":"0","content":5})", m));
  CHECK(m.author_id == "1");
  CHECK_FALSE(m.author_bot);
  CHECK(m.flags == 64);  // a permission-style string is read as bits
  CHECK(m.type == 0);
  CHECK(m.content.empty());
}

TEST_CASE("parse_message_create reads only the author of our own echoes", "[discord][mapping][dm]") {
  std::string d = R"({"content":"a long reply \u00e9","id":"9","channel_id":"5","type":0,"author":{"id":"BOT","bot":true}})";
  mlpath::discord::dm_message m;
  REQUIRE(mlpath::discord::parse_message_create(d, m, "BOT"));
  CHECK(m.author_id == "BOT");
  CHECK(m.content.empty());
  CHECK(mlpath::discord::map_dm(m, "BOT").action == mlpath::discord::mapped_action::ignore);
  mlpath::discord::dm_message p;
  std::string person = R"({"content":"hello","id":"9","channel_id":"5","type":0,"author":{"id":"U1"}})";
  REQUIRE(mlpath::discord::parse_message_create(person, p, "BOT"));
  CHECK(p.content == "hello");
  CHECK(p.channel_id == "5");
  CHECK(mlpath::discord::map_dm(p, "BOT").action == mlpath::discord::mapped_action::dialog);
}

TEST_CASE("a truncated MESSAGE_CREATE is refused, whoever it seems to come from", "[discord][mapping][dm]") {
  // Every prefix of a real message, read both with our own id as the author to skip (the
  // fast path that looks at the author first) and with another id: refused or read,
  // never a crash. A prefix missing the closing brace used to crash the path that reads a
  // message after the author check.
  std::string d = dm_json();
  dm_message author;
  REQUIRE(parse_message_create(d, author));
  for (std::size_t n = 0; n < d.size(); ++n) {
    std::string cut = d.substr(0, n);
    dm_message a, b;
    // Our own echo may be recognised from its author alone, and then nothing else is read.
    if (parse_message_create(cut, a, author.author_id)) CHECK(a.content.empty());
    CHECK_FALSE(parse_message_create(cut, b, "42"));
  }
}
