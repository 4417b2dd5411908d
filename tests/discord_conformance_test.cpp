// Conformance over the corpus of real Discord payloads in ../shared/fixtures/discord:
// every file goes through every parser without a crash, interactions map to the right
// action and input, gateway frames drive the session, REST bodies and headers teach the
// limiter. Required when CI=true; skipped with a notice where ../shared is absent.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <map>
#include <random>

#include "adapters/discord/commands.hpp"
#include "adapters/discord/gateway_session.hpp"
#include "adapters/discord/identify_gate.hpp"
#include "adapters/discord/mapping.hpp"
#include "adapters/discord/rest_limits.hpp"
#include "dialogs/action_token.hpp"
#include "discord_support.hpp"

using namespace mlpath;
using namespace mlpath::discord;
using namespace std::chrono_literals;
namespace fx = mlpath::test::discord;
namespace json = boost::json;
using dialogs::input_kind;
using kind = gateway_action::kind;

namespace {

// Every parser of the adapter on one text: refusals are fine, crashes are not.
void every_parser(const std::string& text) {
  auto r = parse_interaction(text);
  if (auto* in = std::get_if<interaction>(&r)) (void)map_interaction(*in);
  dm_message m;
  if (parse_message_create(text, m)) (void)map_dm(m, "1");
  (void)parse_rest_error(text);
  (void)parse_gateway_bot(text);
  (void)commands_match(text, text);
  (void)check_commands(text);
  (void)commands_for_guild(text);
  gateway_session s({"t", intent_guilds | intent_direct_messages, 0, 1, "wss://gateway.discord.gg"}, [] { return 0.5; });
  auto now = gateway_session::clock::time_point{} + 1h;
  (void)s.start(now);
  s.allow_identify(true);
  (void)s.on_open(now);
  for (const auto& a : s.on_message(text, now))
    if (a.what == kind::dispatch) every_parser(a.payload().size() < text.size() ? std::string(a.payload()) : std::string());
  (void)s.on_message(R"({"op":10,"d":{"heartbeat_interval":45000}})", now);
  (void)s.on_message(text, now);
  (void)s.on_timer(now + 1h);
}

// A curl-style "< Header: value" response as the REST client would hand it over.
rest_response_info from_http_text(const std::string& text) {
  rest_response_info r;
  std::string body;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (line.rfind("< ", 0) != 0) {
      body += line + "\n";
      continue;
    }
    line = line.substr(2);
    if (line.rfind("HTTP/", 0) == 0) {
      r.status = std::stoi(line.substr(line.find(' ') + 1, 3));
      continue;
    }
    auto colon = line.find(':');
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "x-ratelimit-bucket") r.bucket = value;
    else if (name == "x-ratelimit-limit") r.limit = value;
    else if (name == "x-ratelimit-remaining") r.remaining = value;
    else if (name == "x-ratelimit-reset-after") r.reset_after = value;
    else if (name == "x-ratelimit-global") r.global = value;
    else if (name == "x-ratelimit-scope") r.scope = value;
    else if (name == "retry-after") r.retry_after_header = value;
  }
  r.body = body;
  return r;
}

}  // namespace

TEST_CASE("conformance: every Discord fixture goes through every parser", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fx::fixtures_dir())) {
    if (!entry.is_regular_file() || entry.path().filename() == "SOURCES.md") continue;
    auto rel = std::filesystem::relative(entry.path(), fx::fixtures_dir()).generic_string();
    INFO(rel);
    ++files;
    std::string raw = fx::fixture_raw(rel);
    every_parser(raw);
    every_parser(fx::strip_comments(raw));
    every_parser(fx::relax_jsonc(raw));
    // Every .json is strict JSON; every .jsonc is JSON once relaxed.
    boost::system::error_code ec;
    if (rel.size() > 5 && rel.substr(rel.size() - 5) == ".json") (void)json::parse(raw, ec);
    else if (rel.size() > 6 && rel.substr(rel.size() - 6) == ".jsonc") (void)json::parse(fx::relax_jsonc(raw), ec);
    else continue;
    CHECK_FALSE(ec);
  }
  CHECK(files >= 48);
}

TEST_CASE("conformance: interactions parse and map", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();

  SECTION("a guild slash command") {
    auto in = fx::parse_ok(fx::fixture("interactions/application_command.guild.json"));
    CHECK(in.type == interaction_type::application_command);
    CHECK(in.id == "786008729715212338");
    CHECK(in.token == "A_UNIQUE_TOKEN");
    CHECK(in.guild_id == "290926798626357999");
    CHECK(in.channel_id == "645027906669510667");
    CHECK(in.user_id == "53908232506183680");
    CHECK(in.username == "Mason");
    CHECK(in.member_permissions == 2147483647u);
    CHECK(in.context == -1);  // this example predates `context`
    CHECK(in.command_name == "cardsearch");
    CHECK(in.subcommand.empty());
    CHECK(in.options == std::vector<std::pair<std::string, std::string>>{{"cardname", "The Gitrog Monster"}});
    CHECK(map_interaction(in).action == mapped_action::ignore);  // not our command
    // The same payload as /mlpath start and /mlpath stats.
    auto body = json::parse(fx::fixture("interactions/application_command.guild.json")).as_object();
    body["data"] = json::object{{"type", 1}, {"name", "mlpath"}, {"id", "1"}, {"options", json::array{json::object{{"type", 1}, {"name", "start"}}}}};
    auto m = map_interaction(fx::parse_json(body));
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::command);
    CHECK(m.input.command == "start");
    CHECK(m.ephemeral);  // guild_id present though `context` is not
    CHECK(m.user.user == "53908232506183680");
    body["data"].as_object()["options"].as_array()[0].as_object()["name"] = "stats";
    CHECK(map_interaction(fx::parse_json(body)).action == mapped_action::stats);  // 2147483647 has both bits
  }

  SECTION("a command with locale and an integer option") {
    auto in = fx::parse_ok(fx::fixture("interactions/application_command.guild.with_locale_entitlements.json"));
    CHECK(in.command_name == "testsubcommands");
    CHECK(in.locale == "de");
    CHECK(in.application_id == "297153970613387264");
    CHECK(in.options == std::vector<std::pair<std::string, std::string>>{{"testint", "1"}});
    CHECK(in.user_id == "695549908383432716");
    CHECK(map_interaction(in).action == mapped_action::ignore);
  }

  SECTION("a bot-DM command (user install)") {
    auto in = fx::parse_ok(fx::fixture("interactions/application_command.bot_dm.user_install.jsonc"));
    CHECK(in.context == 1);
    CHECK(in.guild_id.empty());
    CHECK(in.command_name == "link");
    CHECK_FALSE(in.has_member);
    CHECK(in.user_id.empty());  // the doc's user object is a placeholder
    CHECK(map_interaction(in).action == mapped_action::ignore);
    auto body = json::parse(fx::fixture("interactions/application_command.bot_dm.user_install.jsonc")).as_object();
    body["user"] = json::object{{"id", "1090372582781497424"}, {"username", "u"}};
    body["data"] = json::object{{"type", 1}, {"name", "mlpath"}, {"options", json::array{json::object{{"type", 1}, {"name", "share"}}}}};
    auto m = map_interaction(fx::parse_json(body));
    CHECK(m.action == mapped_action::dialog);  // no channel to share into: the engine says so
    CHECK(m.input.command == "share");
    CHECK_FALSE(m.ephemeral);
    body["data"].as_object()["options"].as_array()[0].as_object()["name"] = "stats";
    m = map_interaction(fx::parse_json(body));
    CHECK(m.action == mapped_action::forbidden);
  }

  SECTION("autocomplete without id or token") {
    auto in = fx::parse_ok(fx::fixture("interactions/application_command_autocomplete.partial.json"));
    CHECK(in.type == interaction_type::autocomplete);
    CHECK(in.command_name == "airhorn");
    CHECK(in.options == std::vector<std::pair<std::string, std::string>>{{"variant", "data a user is typ"}});
    CHECK(map_interaction(in).action == mapped_action::ignore);
  }

  SECTION("a button press") {
    auto in = fx::parse_ok(fx::fixture("interactions/message_component.button.guild.json"));
    CHECK(in.type == interaction_type::message_component);
    CHECK(in.custom_id == "click_one");
    CHECK(in.component_type == 2);
    CHECK(in.message_id == "844397162624450620");
    CHECK(in.message_flags == 0);
    CHECK(in.member_permissions == 17179869183ull);
    CHECK(in.token == "unique_interaction_token");
    CHECK(map_interaction(in).action == mapped_action::ignore);
    auto body = json::parse(fx::fixture("interactions/message_component.button.guild.json")).as_object();
    body["data"].as_object()["custom_id"] = dialogs::answer_token("ideal_day", "ship_models", 1);
    auto m = map_interaction(fx::parse_json(body));
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::choose);
    CHECK(m.input.options == std::vector<std::string>{"ship_models"});
    CHECK(m.input.round == 1);
    CHECK_FALSE(m.component);  // that message is public (flags 0): answer with a new one
    body["message"].as_object()["flags"] = 64;
    CHECK(map_interaction(fx::parse_json(body)).component);
  }

  SECTION("a string select") {
    auto in = fx::parse_ok(fx::fixture("interactions/message_component.string_select.guild.json"));
    CHECK(in.component_type == 3);
    CHECK(in.custom_id == "class_select_1");
    CHECK(in.values == std::vector<std::string>{"mage", "rogue"});
    CHECK(in.message_id == "847587334500646933");
    CHECK(in.user_id == "53908232506183680");  // the member, not the bot author of the message
    CHECK_FALSE(in.user_is_bot);
    CHECK(map_interaction(in).action == mapped_action::ignore);
    auto body = json::parse(fx::fixture("interactions/message_component.string_select.guild.json")).as_object();
    body["data"].as_object()["custom_id"] = "q:subfields:r2";
    auto m = map_interaction(fx::parse_json(body));
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.question == "subfields");
    CHECK(m.input.options == std::vector<std::string>{"mage", "rogue"});
    CHECK(m.input.round == 2);
  }

  SECTION("a modal submission in the Label layout") {
    std::string raw = fx::fixture_raw("interactions/modal_submit.label_text_input.data.jsonc");
    // Strict JSON after comments only if the placeholder line is gone: shape reference.
    CHECK(std::holds_alternative<parse_failure>(parse_interaction(fx::strip_comments(raw))));
    auto in = fx::parse_ok(fx::relax_jsonc(raw));
    CHECK(in.type == interaction_type::modal_submit);
    CHECK(in.custom_id == "game_feedback_modal");
    REQUIRE(in.fields.size() == 1);
    CHECK(in.fields[0].custom_id == "game_feedback");
    CHECK(in.fields[0].value == "The recent changes to acceleration feel much better, but shadows still need help");
    CHECK(map_interaction(in).action == mapped_action::ignore);
  }

  SECTION("webhook events are not interactions") {
    for (std::string name : {"webhook_events/application_authorized.user_install.jsonc", "webhook_events/application_deauthorized.jsonc"}) {
      INFO(name);
      auto r = parse_interaction(fx::fixture(name));
      REQUIRE(std::holds_alternative<parse_failure>(r));
      CHECK(std::get<parse_failure>(r).status == 204);
    }
  }
}

TEST_CASE("conformance: gateway frames drive the session", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();
  auto now = gateway_session::clock::time_point{} + 10h;
  double r = 0.5;
  gateway_session s({"my_token", intent_guilds | intent_direct_messages, 0, 1, "wss://gateway.discord.gg/"}, [&] { return r; });
  (void)s.start(now);
  s.allow_identify(true);
  (void)s.on_open(now);
  auto sent = s.on_message(fx::fixture("gateway/hello.op10.json"), now);
  REQUIRE(sent.size() == 1);
  // Our Identify has every field of Discord's minimal example, with our values.
  auto ours = json::parse(sent[0].payload()).as_object();
  auto example = json::parse(fx::fixture("gateway/identify.op2.minimal.json")).as_object();
  CHECK(ours.at("op") == example.at("op"));
  for (const auto& [k, v] : example.at("d").as_object()) CHECK(ours.at("d").as_object().contains(k));
  CHECK(ours.at("d").at("intents") == 4097);
  CHECK(ours.at("d").at("token") == "my_token");
  REQUIRE(s.next_deadline());
  CHECK(*s.next_deadline() == now + 22500ms);  // 45000 x 0.5

  auto out = s.on_message(fx::fixture("gateway/ready.dispatch.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "READY");
  CHECK(s.ready());
  CHECK(s.session_id() == "12345");
  CHECK(s.resume_url() == "wss://us-east1-b.gateway.discord.gg");
  CHECK(s.user_id() == "80351110224678912");
  CHECK(s.sequence() == 1000);

  out = s.on_message(fx::fixture("gateway/guild_create.dispatch.trimmed.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "GUILD_CREATE");
  CHECK(json::parse(out[0].payload()).at("name") == "Discord Developers");

  out = s.on_message(fx::fixture("gateway/message_create.guild.dispatch.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "MESSAGE_CREATE");
  CHECK(s.sequence() == 130);
  dm_message msg;
  REQUIRE(parse_message_create(out[0].payload(), msg));
  CHECK(msg.guild_id == "439103874612675485");
  CHECK(msg.author_id == "560661188019488714");
  CHECK(msg.content == "blah bljhshADh blah");
  CHECK(map_dm(msg, s.user_id()).action == mapped_action::ignore);  // a server message

  out = s.on_message(fx::fixture("gateway/interaction_create.modal_submit.legacy_action_row.dispatch.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "INTERACTION_CREATE");
  CHECK(s.sequence() == 6);
  auto in = fx::parse_ok(out[0].payload());
  CHECK(in.type == interaction_type::modal_submit);
  CHECK(in.id == "1095661440997806172");
  CHECK(in.guild_id == "808638139785936919");
  CHECK(in.user_id == "290483761559240704");
  CHECK(in.username == "Mahdi BM");
  CHECK(in.member_permissions == 70368744177663ull);
  CHECK(in.locale == "en-US");
  CHECK(in.custom_id == "autoPings;add;match");
  REQUIRE(in.fields.size() == 1);
  CHECK(in.fields[0].custom_id == "texts");
  CHECK(in.fields[0].value == "Hello, dad");
  CHECK(map_interaction(in).action == mapped_action::ignore);
  in.custom_id = "q:goal_note:r1";
  auto m = map_interaction(in);
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.text == "Hello, dad");
  CHECK(m.input.question == "goal_note");

  out = s.on_message(fx::fixture("gateway/envelope.dispatch.example.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].event == "GATEWAY_EVENT_NAME");
  CHECK(out[0].payload() == "{}");
  CHECK(s.sequence() == 42);

  // Discord asks for a heartbeat; both ACK spellings clear the wait.
  out = s.on_message(fx::fixture("gateway/heartbeat.op1.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload() == R"({"op":1,"d":42})");
  CHECK(s.on_message(fx::fixture("gateway/heartbeat_ack.op11.json"), now).empty());
  (void)s.on_message(fx::fixture("gateway/heartbeat.op1.json"), now);
  CHECK(s.on_message(fx::fixture("gateway/heartbeat_ack.op11.full_frame.json"), now).empty());
  auto beat = s.on_timer(now + 22500ms);
  REQUIRE(beat.size() == 1);  // no zombie: the ACKs came
  CHECK(json::parse(beat[0].payload()).at("op") == 1);
  (void)s.on_message(fx::fixture("gateway/heartbeat_ack.op11.json"), now);

  // Client-only frames from the server are ignored.
  for (std::string name : {"gateway/identify.op2.minimal.json", "gateway/resume.op6.json"}) CHECK(s.on_message(fx::fixture(name), now).empty());
  CHECK(s.on_message(fx::fixture("gateway/identify.op2.full.jsonc"), now).empty());

  // op 7: close and resume with the stored session, in the shape of Discord's example.
  out = s.on_message(fx::fixture("gateway/reconnect.op7.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == kind::close);
  out = s.on_closed(4000, now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].url == "wss://us-east1-b.gateway.discord.gg/?v=10&encoding=json");
  (void)s.on_open(now);
  sent = s.on_message(fx::fixture("gateway/hello.op10.json"), now);
  REQUIRE(sent.size() == 1);
  auto resume = json::parse(sent[0].payload()).as_object();
  auto resume_example = json::parse(fx::fixture("gateway/resume.op6.json")).as_object();
  CHECK(resume.at("op") == resume_example.at("op"));
  for (const auto& [k, v] : resume_example.at("d").as_object()) CHECK(resume.at("d").as_object().contains(k));
  CHECK(resume.at("d").at("session_id") == "12345");
  CHECK(resume.at("d").at("seq") == 42);

  // op 9 (d false): a fresh session.
  out = s.on_message(fx::fixture("gateway/invalid_session.op9.json"), now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == kind::close);
  out = s.on_closed(4000, now);
  CHECK(out[0].url == "wss://gateway.discord.gg/?v=10&encoding=json");
  CHECK(out[0].delay >= 1s);
  CHECK(s.session_id().empty());
}

TEST_CASE("conformance: REST bodies and rate-limit responses", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();
  auto e = parse_rest_error(fx::fixture("rest/error_40001.unauthorized.json"));
  CHECK(e.code == 40001);
  CHECK(e.message == "Unauthorized");
  for (std::string name : {"rest/error_50035.array.json", "rest/error_50035.object.json", "rest/error_50035.request.json"}) {
    INFO(name);
    e = parse_rest_error(fx::fixture(name));
    CHECK(e.code == 50035);
    CHECK(e.message == "Invalid Form Body");
  }
  e = parse_rest_error(fx::fixture("rest/rate_limit_429.global.body.json"));
  CHECK(e.global);
  CHECK(*e.retry_after == Approx(64.57));
  e = parse_rest_error(fx::fixture("rest/rate_limit_429.shared.body.json"));
  CHECK(*e.retry_after == Approx(1336.57));
  CHECK_FALSE(e.global);

  auto t0 = rest_limiter::clock::time_point{} + 100h;
  std::string route = route_key("POST", "/channels/290926798999357250/messages");

  SECTION("user scope: the bucket waits the body's 64.57 s") {
    auto info = from_http_text(fx::fixture("rest/rate_limit_429.user.http.txt"));
    CHECK(info.status == 429);
    CHECK(info.bucket == "abcd1234");
    CHECK(info.retry_after_header == "65");
    rest_limiter l;
    (void)l.reserve(route, t0);
    l.update(route, info, t0);
    CHECK(l.bucket_of(route) == "hash:abcd1234/290926798999357250");
    auto at = l.reserve(route, t0);
    CHECK(at >= t0 + 64570ms);
    CHECK(at < t0 + 65s);
    CHECK(l.invalid_recent(t0) == 1);
    CHECK(l.global_blocked_until() <= t0);
  }
  SECTION("shared scope: waits, not counted") {
    rest_limiter l;
    (void)l.reserve(route, t0);
    l.update(route, from_http_text(fx::fixture("rest/rate_limit_429.shared.http.txt")), t0);
    CHECK(l.invalid_recent(t0) == 0);
    CHECK(l.reserve(route, t0) >= t0 + 1336570ms);
  }
  SECTION("global: everything but callbacks waits") {
    rest_limiter l;
    (void)l.reserve(route, t0);
    l.update(route, from_http_text(fx::fixture("rest/rate_limit_429.global.http.txt")), t0);
    CHECK(l.global_blocked_until() >= t0 + 64570ms);
    CHECK(l.reserve(route_key("POST", "/users/@me/channels"), t0) >= t0 + 64570ms);
    CHECK(l.reserve(route_key("POST", "/interactions/1/t/callback"), t0) == t0);
    CHECK(l.invalid_recent(t0) == 1);
  }

  auto bot = parse_gateway_bot(fx::fixture("rest/get_gateway_bot.response.json"));
  REQUIRE(bot);
  CHECK(bot->url == "wss://gateway.discord.gg/");
  CHECK(bot->shards == 9);
  CHECK(bot->limit.remaining == 999);
  CHECK(bot->limit.reset_after == 14400000ms);
  identify_gate gate(bot->limit, t0);
  CHECK(gate.try_acquire(0, t0));
  CHECK_FALSE(gate.try_acquire(1, t0));  // max_concurrency 1
  auto plain = parse_gateway_bot(fx::fixture("rest/get_gateway.response.json"));
  REQUIRE(plain);
  CHECK(plain->url == "wss://gateway.discord.gg/");

  // A message without guild fields is the shape of a DM.
  dm_message msg;
  REQUIRE(parse_message_create(fx::fixture("rest/message.object.json"), msg));
  auto m = map_dm(msg, "80351110224678912");
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.text == "Supa Hot");
  CHECK(m.user.user == "53908099506183680");
  CHECK(m.channel_id == "290926798999357250");
  CHECK_FALSE(parse_message_create(fx::fixture("rest/create_dm.response.dm_channel.json"), msg));
}

TEST_CASE("conformance: command examples pass the command checks", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();
  for (std::string name : {"commands/chat_input.blep.json", "commands/chat_input.localized.json", "commands/user_command.json"}) {
    INFO(name);
    std::string list = "[" + fx::fixture(name) + "]";
    for (const auto& p : check_commands(list)) FAIL_CHECK(p);
    CHECK(commands_match(list, list));
    CHECK_FALSE(commands_match(list, "[]"));
  }
  // Localizations are part of the definition.
  std::string loc = "[" + fx::fixture("commands/chat_input.localized.json") + "]";
  auto v = json::parse(loc).as_array();
  v[0].as_object().erase("name_localizations");
  CHECK_FALSE(commands_match(loc, json::serialize(v)));
}

TEST_CASE("discord conformance: damaged fixtures are refused or parsed, never a crash", "[discord][conformance]") {
  MLPATH_REQUIRE_DISCORD_FIXTURES();
  std::mt19937 rng(4242);
  int tried = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fx::fixtures_dir())) {
    if (!entry.is_regular_file()) continue;
    std::string body = fx::relax_jsonc(test::read_text(entry.path()));
    if (body.size() > 20000) body.resize(20000);
    for (std::size_t cut = 0; cut < body.size(); cut += 1 + body.size() / 30) {
      every_parser(body.substr(0, cut));
      ++tried;
    }
    for (int i = 0; i < 20 && !body.empty(); ++i) {
      std::string damaged = body;
      for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = "{}[]\",:\\\x00\xff 0a-"[rng() % 15];
      every_parser(damaged);
      ++tried;
    }
  }
  CHECK(tried > 1000);
}
