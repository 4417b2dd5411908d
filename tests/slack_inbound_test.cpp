// Slack inbound payloads: parsing every wire kind, mapping to engine inputs, and the
// conformance suite over the corpus of real payloads in ../shared/fixtures/slack.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <random>

#include "adapters/slack/mapping.hpp"
#include "adapters/slack/web_api.hpp"
#include "dialogs/action_token.hpp"
#include "engine_driver.hpp"
#include "slack_support.hpp"

using namespace mlpath;
using namespace mlpath::slack;
namespace fx = mlpath::test::slack;
namespace json = boost::json;
using dialogs::input_kind;

namespace {

const bot_identity self{"UBOT", "BBOT", "ABOT"};

parse_failure parse_fails(std::string_view content_type, std::string_view body) {
  auto r = parse_inbound(content_type, body);
  if (auto* in = std::get_if<inbound>(&r)) FAIL("expected a parse failure, got kind " << to_string(in->kind));
  return std::get<parse_failure>(r);
}

// An event_callback envelope as Slack sends it, around `event`.
json::object envelope(json::object event) {
  return {{"token", "verification-token"},
          {"team_id", "T111"},
          {"api_app_id", "ABOT"},
          {"event", std::move(event)},
          {"type", "event_callback"},
          {"event_id", "Ev123"},
          {"event_time", 1700000000},
          {"authorizations", json::array{json::object{{"team_id", "T111"}, {"user_id", "UBOT"}, {"is_bot", true}}}}};
}

json::object dm(std::string text, std::string user = "U222") {
  return {{"type", "message"},     {"user", std::move(user)}, {"text", std::move(text)}, {"ts", "1700000000.000100"},
          {"channel", "D111"},     {"event_ts", "1700000000.000100"},             {"channel_type", "im"},
          {"client_msg_id", "abc"}, {"team", "T111"}};
}

mapped map_json(const json::value& body) {
  return map_inbound(fx::parse_ok(fx::json_type, json::serialize(body)), self);
}

// A block_actions payload shaped like Slack's (see interactivity/block_actions_message_button.json).
json::object block_actions(json::object action, json::object values = {}, bool ephemeral = false) {
  json::object p{{"type", "block_actions"},
                 {"user", {{"id", "W111"}, {"username", "pat"}, {"name", "pat"}, {"team_id", "T111"}}},
                 {"api_app_id", "ABOT"},
                 {"token", "verification_token"},
                 {"container", {{"type", "message"}, {"message_ts", "111.222"}, {"channel_id", "D111"}, {"is_ephemeral", ephemeral}}},
                 {"trigger_id", "111.222.valid"},
                 {"team", {{"id", "T111"}, {"domain", "workspace-domain"}}},
                 {"enterprise", nullptr},
                 {"is_enterprise_install", false},
                 {"channel", {{"id", "D111"}, {"name", "directmessage"}}},
                 {"response_url", "https://hooks.slack.com/actions/T111/111/random-value"},
                 {"actions", json::array{std::move(action)}}};
  if (!ephemeral) p["message"] = json::object{{"type", "message"}, {"ts", "111.222"}, {"bot_id", "BBOT"}, {"text", "q"}};
  p["state"] = json::object{{"values", std::move(values)}};
  return p;
}

json::object button(std::string value, std::string block_id = "b") {
  return {{"action_id", value},
          {"block_id", std::move(block_id)},
          {"text", {{"type", "plain_text"}, {"text", "Button"}, {"emoji", true}}},
          {"value", value},
          {"type", "button"},
          {"action_ts", "1596530385.194939"}};
}

json::object option_json(std::string value) {
  return {{"text", {{"type", "plain_text"}, {"text", value}, {"emoji", true}}}, {"value", value}};
}

json::object checkbox_state(const std::vector<std::string>& chosen) {
  json::array options;
  for (const auto& c : chosen) options.push_back(option_json(c));
  return {{"type", "checkboxes"}, {"selected_options", std::move(options)}};
}

mapped map_payload(const json::object& payload) { return map_inbound(fx::parse_payload(payload), self); }

}  // namespace

// --- wire kinds ---------------------------------------------------------------------

TEST_CASE("content types: JSON and form bodies, anything else is 415", "[slack][inbound]") {
  std::string body = R"({"type":"url_verification","challenge":"abc","token":"t"})";
  CHECK(fx::parse_ok("application/json", body).kind == inbound_kind::url_verification);
  CHECK(fx::parse_ok("application/json; charset=utf-8", body).challenge == "abc");
  CHECK(fx::parse_ok("Application/JSON ;charset=UTF-8", body).kind == inbound_kind::url_verification);
  CHECK(fx::parse_ok("application/x-www-form-urlencoded; charset=utf-8", "ssl_check=1&token=x").kind ==
        inbound_kind::ssl_check);
  for (std::string ct : {"", "text/plain", "multipart/form-data; boundary=x", "application/jsonp", "json"}) {
    INFO(ct);
    CHECK(parse_fails(ct, body).status == 415);
  }
  CHECK(parse_fails("application/json", std::string(5u << 20, ' ')).status == 413);
}

TEST_CASE("url_verification, app_rate_limited and unknown types", "[slack][inbound]") {
  auto in = fx::parse_ok(fx::json_type, R"({"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV","type":"url_verification"})");
  CHECK(in.kind == inbound_kind::url_verification);
  CHECK(in.challenge == "3eZbrw1aBm2rZgRNFdxV");
  CHECK(parse_fails(fx::json_type, R"({"type":"url_verification"})").status == 400);

  in = fx::parse_ok(fx::json_type, R"({"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820})");
  CHECK(in.kind == inbound_kind::app_rate_limited);
  CHECK(in.team_id == "T1");
  CHECK(map_inbound(in, self).action == mapped_action::rate_limited);
  CHECK(map_inbound(in, self).where.user.tenant == "T1");

  // Well-formed but not ours: acknowledged and ignored, not an error.
  in = fx::parse_ok(fx::json_type, R"({"type":"brand_new_thing","x":[1,2,{"y":null}]})");
  CHECK(in.kind == inbound_kind::unsupported);
  CHECK(in.type == "brand_new_thing");
  CHECK(fx::parse_ok(fx::json_type, "{}").kind == inbound_kind::unsupported);
  auto m = map_inbound(in, self);
  CHECK(m.action == mapped_action::ignore);
  CHECK(!m.reason.empty());
  // An event type we did not subscribe to is an event_callback that maps to "ignore".
  auto ev = fx::parse_ok(fx::json_type, json::serialize(envelope({{"type", "reaction_added"}, {"user", "U1"}})));
  CHECK(ev.kind == inbound_kind::event_callback);
  CHECK(map_inbound(ev, self).action == mapped_action::ignore);
}

TEST_CASE("malformed JSON and missing required fields are 400", "[slack][inbound]") {
  for (std::string body :
       {"", " ", "{", "{\"type\":", "[]", "\"event_callback\"", "42", "null", "{\"type\":\"event_callback\"} x",
        "{\"type\":\"event_callback\"}{}", "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}",
        "{'type':'event_callback'}", "{\"type\":\"event\\x\"}"}) {
    INFO(body);
    CHECK(parse_fails(fx::json_type, body).status == 400);
  }
  CHECK(parse_fails(fx::json_type, R"({"type":"event_callback","team_id":"T1"})").reason.find("event") !=
        std::string::npos);
  CHECK(parse_fails(fx::json_type, R"({"type":"event_callback","event":"message"})").status == 400);
  CHECK(parse_fails(fx::json_type, R"({"type":"event_callback","event":{"user":"U1"}})").status == 400);
  CHECK(parse_fails(fx::form_type, json::serialize(json::object{})).status == 400);
}

TEST_CASE("form bodies: ssl_check, slash commands, payloads, '+' is a space", "[slack][inbound]") {
  CHECK(is_ssl_check(fx::form_type, "token=abc&ssl_check=1"));
  CHECK(is_ssl_check("application/x-www-form-urlencoded; charset=utf-8", "ssl_check=1"));
  CHECK_FALSE(is_ssl_check(fx::json_type, "ssl_check=1"));
  CHECK_FALSE(is_ssl_check(fx::form_type, "ssl_check=0"));
  CHECK_FALSE(is_ssl_check(fx::form_type, "command=%2Fmlpath&user_id=U1"));
  CHECK_FALSE(is_ssl_check(fx::form_type, "ssl_check=%zz"));

  auto in = fx::parse_ok(fx::form_type,
                         "token=t&team_id=T1&channel_id=C1&user_id=U1&command=%2Fmlpath&text=edit+3+%2B+more%20"
                         "%26amp%3B+%26lt%3Bhi%26gt%3B&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&"
                         "trigger_id=1.2.3&api_app_id=A1&enterprise_id=E1");
  CHECK(in.kind == inbound_kind::slash_command);
  CHECK(in.command == "/mlpath");
  CHECK(in.text == "edit 3 + more & <hi>");
  CHECK(in.user == "U1");
  CHECK(in.team_id == "T1");
  CHECK(in.channel == "C1");
  CHECK(in.response_url == "https://hooks.slack.com/commands/1");
  CHECK(in.trigger_id == "1.2.3");
  CHECK(in.api_app_id == "A1");
  CHECK(in.enterprise_id == "E1");

  // Optional fields may be missing; text may be empty or absent.
  in = fx::parse_ok(fx::form_type, "command=%2Fmlpath&user_id=U1&team_id=T1&text=");
  CHECK(in.text.empty());
  in = fx::parse_ok(fx::form_type, "command=%2Fmlpath&user_id=U1&team_id=T1");
  CHECK(in.kind == inbound_kind::slash_command);

  CHECK(parse_fails(fx::form_type, "token=abc&team_id=T1").status == 400);  // neither payload nor command
  CHECK(parse_fails(fx::form_type, "").status == 400);
  CHECK(parse_fails(fx::form_type, "command=%2Fmlpath&team_id=T1").status == 400);  // no user
  CHECK(parse_fails(fx::form_type, "payload=%zz").status == 400);
  CHECK(parse_fails(fx::form_type, "payload=not+json").status == 400);
  CHECK(parse_fails(fx::form_type, "payload=").status == 400);
  CHECK(parse_fails(fx::form_type, "payload=%5B%5D").status == 400);  // []
  CHECK(parse_fails(fx::form_type, "payload=" + fx::form_encode(R"({"type":"block_actions"})")).status == 400);
  CHECK(parse_fails(fx::form_type, "payload=" + fx::form_encode(R"({"type":"view_submission"})")).status == 400);
  CHECK(parse_fails(fx::form_type, "a=b c").status == 400);  // a raw space is not form encoding

  // '+' inside the payload JSON is a space too, %2B a plus.
  in = fx::parse_ok(fx::form_type, "payload=" + std::string("%7B%22type%22%3A%22view_closed%22%2C%22view%22%3A%7B%22"
                                                            "private_metadata%22%3A%22a+b%2Bc%22%7D%7D"));
  CHECK(in.kind == inbound_kind::view_closed);
  CHECK(in.private_metadata == "a b+c");
  // An interactive payload cannot smuggle in an Events API kind.
  in = fx::parse_ok(fx::form_type, fx::payload_form(R"({"type":"url_verification","challenge":"x"})"));
  CHECK(in.kind == inbound_kind::unsupported);
}

TEST_CASE("entities in message text are decoded exactly once", "[slack][inbound]") {
  CHECK(decode_entities("a &amp;lt; b &lt;c&gt; &amp; &quot; &") == "a &lt; b <c> & &quot; &");
  CHECK(decode_entities("") == "");
  CHECK(decode_entities("&amp") == "&amp");
  auto in = fx::parse_ok(fx::json_type, json::serialize(envelope(dm("5 &lt; 6 &amp;&amp; 7 &gt; 3"))));
  CHECK(in.text == "5 < 6 && 7 > 3");
}

TEST_CASE("block_actions: actions, selections and state.values are collected", "[slack][inbound]") {
  json::object values{
      {"q:motivation:r2", {{"q:motivation", checkbox_state({"hands_on_coding", "new_ideas"})}}},
      {"q:domain:r2", {{"q:domain", {{"type", "static_select"}, {"selected_option", option_json("retail")}}}}},
      {"q:ideal_day:r2", {{"q:ideal_day", {{"type", "static_select"}, {"selected_option", nullptr}}}}},
      {"free", {{"answer", {{"type", "plain_text_input"}, {"value", "some text"}}}, {"empty", {{"type", "plain_text_input"}, {"value", nullptr}}}}}};
  json::object select{{"type", "static_select"},
                      {"action_id", "q:domain"},
                      {"block_id", "q:domain:r2"},
                      {"selected_option", option_json("retail")},
                      {"action_ts", "1.2"}};
  auto in = fx::parse_payload(block_actions(select, values));
  CHECK(in.kind == inbound_kind::block_actions);
  CHECK(in.user == "W111");
  CHECK(in.team_id == "T111");
  CHECK(in.channel == "D111");
  CHECK(in.message_ts == "111.222");
  CHECK_FALSE(in.ephemeral);
  CHECK(in.container_type == "message");
  CHECK(in.response_url == "https://hooks.slack.com/actions/T111/111/random-value");
  CHECK(in.trigger_id == "111.222.valid");
  REQUIRE(in.actions.size() == 1);
  CHECK(in.actions[0].type == "static_select");
  CHECK(in.actions[0].action_id == "q:domain");
  CHECK(in.actions[0].block_id == "q:domain:r2");
  CHECK(in.actions[0].selected == std::vector<std::string>{"retail"});
  REQUIRE(in.state.size() == 5);
  auto find = [&](const std::string& action_id) -> const state_value& {
    for (const auto& s : in.state)
      if (s.action_id == action_id) return s;
    FAIL("no state for " << action_id);
    throw 0;
  };
  CHECK(find("q:motivation").values == std::vector<std::string>{"hands_on_coding", "new_ideas"});
  CHECK(find("q:motivation").type == "checkboxes");
  CHECK(find("q:motivation").block_id == "q:motivation:r2");
  CHECK(find("q:domain").values == std::vector<std::string>{"retail"});
  CHECK(find("q:ideal_day").values.empty());
  CHECK(find("answer").values == std::vector<std::string>{"some text"});
  CHECK(find("empty").values.empty());

  // Checkbox actions carry selected_options; an ephemeral message has no `message`.
  json::object boxes{{"type", "checkboxes"},
                     {"action_id", "q:motivation"},
                     {"block_id", "q:motivation:r2"},
                     {"selected_options", json::array{option_json("data_insights")}}};
  in = fx::parse_payload(block_actions(boxes, {}, true));
  CHECK(in.ephemeral);
  CHECK(in.actions[0].selected == std::vector<std::string>{"data_insights"});
  CHECK(in.state.empty());
}

TEST_CASE("hostile inputs never crash the parser", "[slack][inbound]") {
  // Deep nesting in a field we skip and in one we read.
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  auto r = parse_inbound(fx::json_type, R"({"type":"x","junk":)" + deep + "}");
  CHECK(r.index() < 2);
  r = parse_inbound(fx::json_type, R"({"type":"event_callback","event":)" + deep + "}");
  CHECK(std::holds_alternative<parse_failure>(r));
  r = parse_inbound(fx::json_type, std::string(100000, '{'));
  CHECK(std::holds_alternative<parse_failure>(r));
  // Long strings: free text is cut at a character boundary, ids that cannot be Slack's are refused.
  std::string long_text;
  for (int i = 0; i < 40000; ++i) long_text += "\xC3\xA9";  // é
  auto in = fx::parse_ok(fx::json_type, json::serialize(envelope(dm(long_text))));
  CHECK(in.text.size() <= 65536);
  CHECK(fx::valid_utf8(in.text));
  CHECK(parse_fails(fx::json_type, json::serialize(envelope(dm("hi", std::string(10000, 'U'))))).status == 400);
  // Many actions and state entries are bounded.
  json::array many;
  for (int i = 0; i < 1000; ++i) many.push_back(button("q:x:y:r1"));
  json::object p = block_actions(button("q:x:y:r1"));
  p["actions"] = many;
  in = fx::parse_payload(p);
  CHECK(in.actions.size() <= 16);
  // Wrong JSON types where objects or strings are expected are tolerated.
  in = fx::parse_ok(fx::json_type,
                    R"({"type":"event_callback","team_id":7,"event":{"type":"message","user":{"id":"U1"},"text":null,)"
                    R"("channel":{"id":"C1"},"bot_profile":"x","tokens":[]},"event_time":1.5})");
  CHECK(in.kind == inbound_kind::event_callback);
  CHECK(in.user.empty());
  CHECK(map_inbound(in, self).action == mapped_action::ignore);
  in = fx::parse_payload(json::object{{"type", "block_actions"}, {"actions", json::array{1, "x", nullptr, json::array{}}},
                                      {"user", "U9"}, {"state", json::array{}}, {"container", nullptr}});
  CHECK(in.kind == inbound_kind::block_actions);
  CHECK(in.actions.empty());
  CHECK(map_inbound(in, self).action == mapped_action::ignore);
  // Invalid UTF-8 and NUL bytes in a form field.
  r = parse_inbound(fx::form_type, "command=%2Fmlpath&user_id=U1&team_id=T1&text=%FF%FE%00x");
  CHECK(std::holds_alternative<inbound>(r));
}

// --- mapping --------------------------------------------------------------------------

TEST_CASE("a DM from a person drives the dialog, in the same DM", "[slack][mapping]") {
  auto m = map_json(envelope(dm("  Python and data cleaning ")));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.where.user.platform == "slack");
  CHECK(m.where.user.tenant == "T111");
  CHECK(m.where.user.user == "U222");
  CHECK(m.where.channel == "D111");
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.text == "  Python and data cleaning ");
  CHECK_FALSE(m.input.from_button);

  // A reply in a thread of the DM counts too.
  auto thread = dm("in a thread");
  thread["thread_ts"] = "1699999999.000100";
  thread["parent_user_id"] = "U222";
  m = map_json(envelope(thread));
  CHECK(m.action == mapped_action::dialog);
  CHECK(m.input.text == "in a thread");
}

TEST_CASE("channel messages, edits, deletions and every bot are ignored", "[slack][mapping]") {
  auto channel = dm("hello");
  channel["channel_type"] = "channel";
  channel["channel"] = "C111";
  CHECK(map_json(envelope(channel)).action == mapped_action::ignore);
  auto mpim = dm("hello");
  mpim["channel_type"] = "mpim";
  CHECK(map_json(envelope(mpim)).action == mapped_action::ignore);

  for (std::string subtype : {"message_changed", "message_deleted", "bot_message", "channel_join", "file_share",
                              "thread_broadcast", "me_message"}) {
    auto e = dm("x");
    e["subtype"] = subtype;
    auto m = map_json(envelope(e));
    INFO(subtype);
    CHECK(m.action == mapped_action::ignore);
    CHECK(m.reason.find(subtype) != std::string::npos);
  }

  // Our own post (modern shape: user = bot user, bot_id, no subtype), by bot_id...
  auto own = dm("Question 1 of 11", "UBOT");
  own["bot_id"] = "BBOT";
  own["bot_profile"] = json::object{{"id", "BBOT"}, {"app_id", "ABOT"}};
  auto m = map_json(envelope(own));
  CHECK(m.action == mapped_action::ignore);
  CHECK(m.reason.find("own") != std::string::npos);
  // ...by bot user id alone...
  m = map_json(envelope(dm("echo", "UBOT")));
  CHECK(m.action == mapped_action::ignore);
  CHECK(m.reason.find("own") != std::string::npos);
  // ...by bot_id alone, even if the user id were someone else's...
  auto by_bot_id = dm("echo", "U333");
  by_bot_id["bot_id"] = "BBOT";
  CHECK(map_json(envelope(by_bot_id)).action == mapped_action::ignore);
  // ...and any other bot never drives the dialog either.
  auto other = dm("I am another app", "UB111");
  other["bot_id"] = "B999";
  m = map_json(envelope(other));
  CHECK(m.action == mapped_action::ignore);
  CHECK(m.reason.find("bot") != std::string::npos);
  auto other_app = dm("profile only", "UB111");
  other_app["bot_profile"] = json::object{{"id", "B777"}, {"app_id", "A777"}};
  CHECK(map_json(envelope(other_app)).action == mapped_action::ignore);
}

TEST_CASE("app_mention continues privately, without the mention", "[slack][mapping]") {
  json::object mention{{"type", "app_mention"}, {"user", "U222"},   {"text", "<@UBOT> start"},
                       {"ts", "1.2"},           {"channel", "C111"}, {"event_ts", "1.2"}};
  auto m = map_json(envelope(mention));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.where.channel.empty());
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.text == "start");
  mention["text"] = "<@UBOT|mlpath>   <@U999>  what &amp; how";
  CHECK(map_json(envelope(mention)).input.text == "what & how");
  mention["text"] = "<@UBOT>";
  m = map_json(envelope(mention));
  CHECK(m.input.kind == input_kind::open);
  mention["user"] = "UBOT";
  CHECK(map_json(envelope(mention)).action == mapped_action::ignore);
}

TEST_CASE("team_access_revoked: the org-wide install left some of the org's teams", "[slack][mapping]") {
  // As Slack's reference shows it: an org payload with no team, the teams in the event.
  json::object org_payload{{"token", "verification-token"},
                           {"team_id", nullptr},
                           {"enterprise_id", "E111"},
                           {"api_app_id", "ABOT"},
                           {"event", {{"type", "team_access_revoked"}, {"team_ids", json::array{"T1XX3", "TXX34"}}}},
                           {"type", "event_callback"},
                           {"event_id", "Ev777"},
                           {"event_time", 1700000000},
                           {"authorizations", json::array{json::object{{"enterprise_id", "E111"},
                                                                       {"team_id", nullptr},
                                                                       {"user_id", "UBOT"},
                                                                       {"is_bot", true},
                                                                       {"is_enterprise_install", true}}}}};
  auto in = fx::parse_ok(fx::json_type, json::serialize(org_payload));
  CHECK(in.team_id.empty());
  CHECK(in.revoked_teams == std::vector<std::string>{"T1XX3", "TXX34"});
  auto m = map_inbound(in, self);
  CHECK(m.action == mapped_action::teams_revoked);
  CHECK(m.where.user.tenant == "E111");
  org_payload["event"].as_object()["team_ids"] = json::array{};
  CHECK(map_json(org_payload).action == mapped_action::ignore);
  // An empty or null id names no team (it would match rows with no tenant).
  org_payload["event"].as_object()["team_ids"] = json::array{"", nullptr};
  CHECK(map_json(org_payload).action == mapped_action::ignore);
  org_payload["event"].as_object()["team_ids"] = json::array{"T1XX3"};
  org_payload["enterprise_id"] = nullptr;
  org_payload["authorizations"] = json::array{};
  CHECK(map_json(org_payload).action == mapped_action::ignore);
}

TEST_CASE("uninstall, revoked tokens and App Home", "[slack][mapping]") {
  auto m = map_json(envelope({{"type", "app_uninstalled"}}));
  CHECK(m.action == mapped_action::uninstall);
  CHECK(m.where.user.tenant == "T111");
  m = map_json(envelope({{"type", "tokens_revoked"}, {"tokens", {{"oauth", json::array{}}, {"bot", json::array{"UBOT"}}}}}));
  CHECK(m.action == mapped_action::revoke);
  CHECK(m.where.user.tenant == "T111");
  m = map_json(envelope({{"type", "tokens_revoked"}, {"tokens", {{"oauth", json::array{"U5"}}}}}));
  CHECK(m.action == mapped_action::ignore);
  m = map_json(envelope({{"type", "tokens_revoked"}, {"tokens", {{"oauth", json::array{"U5"}}, {"bot", json::array{}}}}}));
  CHECK(m.action == mapped_action::ignore);
  m = map_json(envelope({{"type", "app_home_opened"}, {"user", "U222"}, {"channel", "D111"}, {"tab", "messages"}}));
  CHECK(m.action == mapped_action::ignore);
  CHECK(!m.reason.empty());
  CHECK(fx::parse_ok(fx::json_type, json::serialize(envelope({{"type", "app_home_opened"}, {"tab", "home"}}))).tab == "home");
  m = map_json(envelope({{"type", "app_home_opened"}, {"user", "U222"}, {"channel", "D111"}, {"tab", "home"}}));
  CHECK(m.action == mapped_action::home);
  CHECK(m.where.user.user == "U222");
  CHECK(m.where.user.tenant == "T111");
}

TEST_CASE("share and stats: a card in the channel, the numbers for the workspace, a DM is no place to share",
          "[slack][mapping]") {
  auto command = [](std::string text, std::string channel) {
    return map_inbound(fx::parse_ok(fx::form_type, "team_id=T1&channel_id=" + channel +
                                                       "&user_id=U1&command=%2Fmlpath&text=" + fx::form_encode(text) +
                                                       "&trigger_id=9.9"),
                       self);
  };
  auto m = command("share", "C9");
  CHECK(m.action == mapped_action::share);
  CHECK(m.where.channel == "C9");
  m = command("share", "D9");
  CHECK(m.action == mapped_action::dialog);  // the engine says where sharing works
  CHECK(m.input.command == "share");
  CHECK(command("stats", "C9").action == mapped_action::stats);
  CHECK(command("stats", "D9").action == mapped_action::stats);

  // The card's Start button (no round) starts the presser's own reflection in their DM and
  // never rewrites the public card.
  auto press = map_payload(block_actions(button("cmd:start")));
  REQUIRE(press.action == mapped_action::dialog);
  CHECK(press.input.command == "start");
  CHECK(press.where.channel.empty());
  CHECK(press.where.message_ts.empty());
}

TEST_CASE("slash commands: /mlpath [word] continues in a DM", "[slack][mapping]") {
  auto command = [](std::string text) {
    return map_inbound(fx::parse_ok(fx::form_type, "token=t&team_id=T1&channel_id=C9&user_id=U1&command=%2Fmlpath&text=" +
                                                       fx::form_encode(text) +
                                                       "&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=9.9"),
                       self);
  };
  auto m = command("");
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::open);
  CHECK(m.where.channel.empty());
  CHECK(m.where.user.user == "U1");
  CHECK(m.where.user.tenant == "T1");
  CHECK(m.where.response_url == "https://hooks.slack.com/x");
  CHECK(m.where.trigger_id == "9.9");
  CHECK_FALSE(m.ack_text.empty());

  for (std::string word : {"start", "resume", "status", "result", "back", "restart", "help", "delete", "checkin"}) {
    m = command(word);
    INFO(word);
    CHECK(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::command);
    CHECK(m.input.command == word);
    CHECK_FALSE(m.ack_text.empty());
  }
  m = command("  Edit 3 ");
  CHECK(m.input.command == "edit");
  CHECK(m.input.arg == "3");
  // Anything else is passed on as a command word, so the engine says what it understands.
  m = command("Banana split");
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "banana");
  test::engine_driver d;
  d.send(m.input);
  CHECK(d.has_error());
}

TEST_CASE("button presses map through the action tokens", "[slack][mapping]") {
  auto m = map_payload(block_actions(button(dialogs::answer_token("ideal_day", "ship_models", 3))));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.question == "ideal_day");
  CHECK(m.input.options == std::vector<std::string>{"ship_models"});
  CHECK(m.input.round == 3);
  CHECK(m.input.from_button);
  CHECK(m.where.user.user == "W111");
  CHECK(m.where.user.tenant == "T111");
  CHECK(m.where.channel == "D111");
  CHECK(m.where.message_ts == "111.222");
  CHECK_FALSE(m.where.ephemeral);
  CHECK(m.where.response_url == "https://hooks.slack.com/actions/T111/111/random-value");
  CHECK(m.where.trigger_id == "111.222.valid");

  m = map_payload(block_actions(button(dialogs::command_token("skip", "worry", 4)), {}, true));
  CHECK(m.input.kind == input_kind::command);
  CHECK(m.input.command == "skip");
  CHECK(m.input.arg == "worry");
  CHECK(m.input.round == 4);
  CHECK(m.where.ephemeral);

  m = map_payload(block_actions(button(dialogs::command_token("answer", "goal_note", 2))));
  CHECK(m.action == mapped_action::open_modal);
  CHECK(m.question == "goal_note");
  CHECK(m.input.command == "answer");
  CHECK(m.input.round == 2);

  m = map_payload(block_actions(button(dialogs::command_token("confirm", "restart", 2))));
  CHECK(m.input.command == "confirm");
  CHECK(m.input.arg == "restart");
}

TEST_CASE("foreign and stale tokens", "[slack][mapping]") {
  for (std::string value : std::vector<std::string>{"click_me_123", "", "q", "x:y", "q:Bad-Id:opt:r1", "cmd:", "q:a:b:c:d", std::string(300, 'q')}) {
    INFO(value);
    auto m = map_payload(block_actions(button(value)));
    CHECK(m.action == mapped_action::ignore);
    CHECK(!m.reason.empty());
  }
  // A link button has no value.
  json::object link{{"type", "button"}, {"action_id", "x"}, {"block_id", "y"}, {"url", "https://example.com"}};
  CHECK(map_payload(block_actions(link)).action == mapped_action::ignore);
  // An unknown element type is ignored.
  json::object picker{{"type", "datepicker"}, {"action_id", "q:when"}, {"block_id", "q:when:r1"}, {"selected_date", "2024-01-01"}};
  CHECK(map_payload(block_actions(picker)).action == mapped_action::ignore);

  // A button from an earlier run maps normally; the engine recognises it as stale.
  test::engine_driver d;
  d.send(dialogs::input::open());
  auto before = d.c;
  auto m = map_payload(block_actions(button(dialogs::answer_token("motivation", "new_ideas", d.c.round + 5))));
  REQUIRE(m.action == mapped_action::dialog);
  d.send(m.input);
  CHECK(d.c.answers == before.answers);
  CHECK(d.all_text().find("earlier run") != std::string::npos);
}

TEST_CASE("selects answer at once, checkboxes wait for Next", "[slack][mapping]") {
  json::object select{{"type", "static_select"},
                      {"action_id", "q:domain"},
                      {"block_id", "q:domain:r2"},
                      {"selected_option", option_json("retail")}};
  auto m = map_payload(block_actions(select));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.question == "domain");
  CHECK(m.input.options == std::vector<std::string>{"retail"});
  CHECK(m.input.round == 2);
  CHECK(m.input.from_button);
  select["action_id"] = "not-ours";
  CHECK(map_payload(block_actions(select)).action == mapped_action::ignore);

  json::object boxes{{"type", "checkboxes"},
                     {"action_id", "q:motivation"},
                     {"block_id", "q:motivation:r2"},
                     {"selected_options", json::array{option_json("data_insights")}}};
  m = map_payload(block_actions(boxes));
  CHECK(m.action == mapped_action::ignore);
  CHECK(m.reason == "selection change");
}

TEST_CASE("Next takes the selection from state.values", "[slack][mapping]") {
  std::string next = dialogs::command_token("next", "motivation", 2);
  json::object values{{"q:motivation:r2", {{"q:motivation", checkbox_state({"hands_on_coding", "data_insights"})}}}};
  auto m = map_payload(block_actions(button(next, "actions1"), values));
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.question == "motivation");
  CHECK(m.input.options == std::vector<std::string>{"hands_on_coding", "data_insights"});
  CHECK(m.input.round == 2);
  CHECK(m.input.from_button);

  // Nothing ticked: an empty choice, which the engine answers by asking for one.
  m = map_payload(block_actions(button(next), {{"q:motivation:r2", {{"q:motivation", checkbox_state({})}}}}));
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.options.empty());
  m = map_payload(block_actions(button(next)));
  CHECK(m.input.kind == input_kind::choose);
  CHECK(m.input.options.empty());

  // The current round's block wins over another element with the same action_id.
  json::object two{{"q:motivation:r1", {{"q:motivation", checkbox_state({"new_ideas"})}}},
                   {"q:motivation:r2", {{"q:motivation", checkbox_state({"strategy_people"})}}},
                   {"q:other:r2", {{"q:other", checkbox_state({"x"})}}}};
  m = map_payload(block_actions(button(next), two));
  CHECK(m.input.options == std::vector<std::string>{"strategy_people"});

  // Through the engine: the selection answers the open question.
  test::engine_driver d;
  d.send(dialogs::input::open());
  std::string token = dialogs::command_token("next", "motivation", d.c.round);
  json::object sel{{"q:motivation:r" + std::to_string(d.c.round), {{"q:motivation", checkbox_state({"new_ideas", "hands_on_coding"})}}}};
  d.send(map_payload(block_actions(button(token), sel)).input);
  REQUIRE(d.c.answers.size() == 1);
  CHECK(d.c.answers[0].options == std::vector<std::string>{"hands_on_coding", "new_ideas"});
  // Empty selection on the next multi question: asked to pick one, nothing stored.
  d.answer_current();  // ideal_day
  REQUIRE(d.c.current == "subfields");
  token = dialogs::command_token("next", "subfields", d.c.round);
  d.send(map_payload(block_actions(button(token))).input);
  CHECK(d.c.answers.size() == 2);
  CHECK(d.has_error());
}

TEST_CASE("modal submissions answer the text question they were opened for", "[slack][mapping]") {
  json::object payload{
      {"type", "view_submission"},
      {"team", {{"id", "T111"}, {"domain", "d"}}},
      {"user", {{"id", "W111"}, {"team_id", "T111"}}},
      {"api_app_id", "ABOT"},
      {"trigger_id", "111.222.valid"},
      {"view",
       {{"id", "V111"},
        {"type", "modal"},
        {"callback_id", "q:goal_note:r2"},
        {"private_metadata", ""},
        {"state", {{"values", {{"q:goal_note:r2", {{"answer", {{"type", "plain_text_input"}, {"value", "Ship a model &amp; learn"}}}}}}}}}}},
      {"response_urls", json::array{}}};
  auto m = map_payload(payload);
  REQUIRE(m.action == mapped_action::dialog);
  CHECK(m.input.kind == input_kind::text);
  CHECK(m.input.question == "goal_note");
  CHECK(m.input.round == 2);
  CHECK(m.input.from_button);
  // Modal input is typed by the person, not Slack-escaped message text: taken verbatim.
  CHECK(m.input.text == "Ship a model &amp; learn");
  CHECK(m.where.user.user == "W111");
  CHECK(m.where.channel.empty());

  payload["view"].as_object()["callback_id"] = "view-id";
  CHECK(map_payload(payload).action == mapped_action::ignore);
  payload["type"] = "view_closed";
  CHECK(map_payload(payload).action == mapped_action::ignore);
}

// --- conformance: every file of the corpus -----------------------------------------------

namespace {

// Socket Mode frames carry the same payloads as HTTP bodies, as JSON.
std::string envelope_payload(const std::string& frame) {
  auto v = json::parse(frame).as_object();
  if (auto* p = v.if_contains("payload")) return json::serialize(*p);
  return frame;
}

// A JSON object of strings and scalars as a form body, the way Slack encodes slash commands.
std::string as_form(const std::string& json_text) {
  std::string out;
  json::value parsed = json::parse(json_text);
  for (const auto& [k, v] : parsed.as_object()) {
    if (!out.empty()) out += "&";
    std::string value = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
    out += std::string(k) + "=" + fx::form_encode(value);
  }
  return out;
}

std::variant<inbound, parse_failure> parse_file(const std::filesystem::path& rel, const std::string& body) {
  std::string p = rel.generic_string();
  if (p.size() > 9 && p.substr(p.size() - 9) == ".form.txt") return parse_inbound(fx::form_type, body);
  if (p.rfind("interactivity/", 0) == 0) return parse_inbound(fx::form_type, fx::payload_form(body));
  if (p.rfind("socket_mode/", 0) == 0) return parse_inbound(fx::json_type, envelope_payload(body));
  if (p == "commands/shape/SlashCommandPayload.json") return parse_inbound(fx::form_type, as_form(body));
  return parse_inbound(fx::json_type, body);
}

}  // namespace

TEST_CASE("conformance: every Slack fixture parses without a crash", "[slack][conformance]") {
  MLPATH_REQUIRE_SLACK_FIXTURES();
  int files = 0;
  std::map<std::string, std::variant<inbound, parse_failure>> results;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fx::fixtures_dir())) {
    if (!entry.is_regular_file() || entry.path().filename() == "SOURCES.md") continue;
    auto rel = std::filesystem::relative(entry.path(), fx::fixtures_dir());
    std::string body = test::read_text(entry.path());
    std::string name = rel.generic_string();
    INFO(name);
    ++files;
    if (name.rfind("web_api/", 0) == 0) {
      auto r = parse_api_response(200, "", body);
      if (name != "web_api/rate_limit_tiers.json") CHECK(r.error != "invalid_response");
      continue;
    }
    auto r = parse_file(rel, body);
    // Every payload of the corpus is well-formed: none may be refused.
    if (auto* f = std::get_if<parse_failure>(&r)) FAIL_CHECK(name << ": " << f->status << " " << f->reason);
    else (void)map_inbound(std::get<inbound>(r), self);  // and mapping never throws
    // Both content types on every file: refusals are fine, crashes are not.
    (void)parse_inbound(fx::json_type, body);
    (void)parse_inbound(fx::form_type, body);
    (void)is_ssl_check(fx::form_type, body);
    results.emplace(name, std::move(r));
  }
  CHECK(files >= 55);

  auto get = [&](const std::string& name) -> const inbound& {
    INFO(name);
    auto it = results.find(name);
    REQUIRE(it != results.end());
    REQUIRE(std::holds_alternative<inbound>(it->second));
    return std::get<inbound>(it->second);
  };

  SECTION("Events API") {
    const auto& uv = get("events_api/url_verification.json");
    CHECK(uv.kind == inbound_kind::url_verification);
    CHECK(uv.challenge == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    CHECK(get("events_api/app_rate_limited.json").kind == inbound_kind::app_rate_limited);

    // The DM thread reply drives the dialog with its text.
    const auto& reply = get("events_api/message_im_thread_reply.json");
    CHECK(reply.kind == inbound_kind::event_callback);
    CHECK(reply.event_id == "Ev111");
    CHECK(reply.event_time == 1599616881);
    CHECK(reply.thread_ts == "1726133698.626339");
    CHECK(reply.enterprise_id == "E111");
    auto m = map_inbound(reply, self);
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::text);
    CHECK(m.input.text == "When Slack was released?");
    CHECK(m.where.channel == "D111");
    CHECK(m.where.user.user == "W222");
    CHECK(m.where.user.tenant == "T111");

    // Bots, edits, deletions and channel messages never drive the dialog.
    for (std::string name : {"events_api/message_bot_granular_no_subtype.json", "events_api/message_bot_message_classic_subtype.json",
                             "events_api/message_bot_message_integration_real.json", "events_api/message_changed.json",
                             "events_api/message_changed_by_bot.json", "events_api/message_deleted.json",
                             "events_api/message_channels_user_real.json", "events_api/message_channels_user_mentions_real.json",
                             "events_api/message_user_channel.json", "events_api/reaction_added_legacy_authed_users.json"}) {
      INFO(name);
      const auto& in = get(name);
      CHECK(in.kind == inbound_kind::event_callback);
      CHECK(map_inbound(in, self).action == mapped_action::ignore);
    }
    // Bots are ignored even in a DM: the filter is bot_id, not the channel.
    for (std::string name : {"events_api/message_bot_granular_no_subtype.json", "events_api/message_bot_message_classic_subtype.json"}) {
      inbound in = get(name);
      in.channel_type = "im";
      CHECK(map_inbound(in, self).action == mapped_action::ignore);
    }
    const auto& granular = get("events_api/message_bot_granular_no_subtype.json");
    CHECK(granular.bot_id == "B999");
    CHECK(granular.user == "UB111");
    CHECK(granular.subtype.empty());
    // Our own bot in that fixture's shape: ignored by bot_id, and by user id.
    bot_identity them{"UB111", "B999", "A222"};
    CHECK(map_inbound(granular, them).reason.find("own") != std::string::npos);
    CHECK(get("events_api/message_changed.json").subtype == "message_changed");
    CHECK(get("events_api/message_deleted.json").subtype == "message_deleted");

    const auto& mention = get("events_api/app_mention.json");
    CHECK(mention.event_type == "app_mention");
    m = map_inbound(mention, self);
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.where.channel.empty());
    CHECK(m.input.kind == input_kind::open);  // "<@U111>" and nothing else

    const auto& mentions = get("events_api/message_channels_user_mentions_real.json");
    CHECK(mentions.text.find("<@U074VRHQ11T>") == 0);

    // Schema samples: every field, blank values.
    CHECK(map_inbound(get("events_api/shape/AppUninstalledPayload.json"), self).action == mapped_action::uninstall);
    CHECK(map_inbound(get("events_api/shape/TokensRevokedPayload.json"), self).action == mapped_action::revoke);
    CHECK(get("events_api/shape/AppHomeOpenedPayload.json").event_type == "app_home_opened");
    CHECK(map_inbound(get("events_api/shape/AppHomeOpenedPayload.json"), self).action == mapped_action::ignore);
    CHECK(map_inbound(get("events_api/shape/MemberJoinedChannelPayload.json"), self).action == mapped_action::ignore);
    // The schema sample has a bot_id (blank) and a user (blank): still never a dialog.
    CHECK(map_inbound(get("events_api/shape/MessagePayload.json"), self).action == mapped_action::ignore);
    CHECK(map_inbound(get("events_api/shape/AppRateLimitedPayload.json"), self).action == mapped_action::ignore);
  }

  SECTION("slash commands") {
    const auto& cmd = get("commands/slash_command.form.txt");
    CHECK(cmd.kind == inbound_kind::slash_command);
    CHECK(cmd.command == "/hello-world");
    CHECK(cmd.text == "Hi");
    CHECK(cmd.user == "W111");
    CHECK(cmd.team_id == "T111");
    CHECK(cmd.enterprise_id == "E111");
    CHECK(cmd.trigger_id == "111.111.xxx");
    auto m = map_inbound(cmd, self);
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.kind == input_kind::command);
    CHECK(m.input.command == "hi");
    CHECK(get("commands/signing_vector_body.form.txt").kind == inbound_kind::slash_command);
    CHECK(get("commands/shape/SlashCommandPayload.json").kind == inbound_kind::slash_command);
    CHECK(get("socket_mode/envelope_slash_commands.json").kind == inbound_kind::slash_command);
    CHECK(get("socket_mode/envelope_slash_commands.json").command == "/hello-socket-mode");
  }

  SECTION("interactivity") {
    for (std::string name : {"interactivity/block_actions_message_button.json", "interactivity/block_actions_message_button.form.txt"}) {
      INFO(name);
      const auto& ba = get(name);
      CHECK(ba.kind == inbound_kind::block_actions);
      REQUIRE(ba.actions.size() == 1);
      CHECK(ba.actions[0].type == "button");
      CHECK(ba.actions[0].value == "click_me_123");
      CHECK(ba.actions[0].action_id == "a");
      CHECK(ba.actions[0].block_id == "b");
      CHECK(ba.user == "W111");
      CHECK(ba.team_id == "T111");
      CHECK(ba.enterprise_id == "E111");
      CHECK(ba.channel == "C111");
      CHECK(ba.message_ts == "111.222");
      CHECK(ba.ephemeral);
      CHECK(ba.trigger_id == "111.222.valid");
      // Not one of our tokens.
      CHECK(map_inbound(ba, self).action == mapped_action::ignore);
    }
    // The same payload with one of our buttons maps to the answer.
    auto payload = json::parse(fx::fixture("interactivity/block_actions_message_button.json")).as_object();
    payload["actions"].as_array()[0].as_object()["value"] = dialogs::answer_token("ideal_day", "ship_models", 1);
    auto m = map_payload(payload);
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.options == std::vector<std::string>{"ship_models"});
    CHECK(m.where.ephemeral);
    CHECK(m.where.channel == "C111");
    // The real payload shape with cmd:next and state.values (block_id -> action_id -> value).
    payload["actions"].as_array()[0].as_object()["value"] = dialogs::command_token("next", "motivation", 1);
    payload["state"] = json::object{{"values", {{"q:motivation:r1", {{"q:motivation", checkbox_state({"data_insights"})}}}}}};
    m = map_payload(payload);
    CHECK(m.input.kind == input_kind::choose);
    CHECK(m.input.options == std::vector<std::string>{"data_insights"});

    for (std::string name : {"interactivity/view_submission.json", "interactivity/view_submission.form.txt"}) {
      INFO(name);
      const auto& vs = get(name);
      CHECK(vs.kind == inbound_kind::view_submission);
      CHECK(vs.view_id == "V111");
      CHECK(vs.callback_id == "view-id");
      CHECK(vs.private_metadata == "This is for you!");
      REQUIRE(vs.state.size() == 1);
      CHECK(vs.state[0].block_id == "hspI");
      CHECK(vs.state[0].action_id == "maBWU");
      CHECK(vs.state[0].type == "plain_text_input");
      CHECK(vs.state[0].values == std::vector<std::string>{"test"});
      CHECK(map_inbound(vs, self).action == mapped_action::ignore);  // not our callback_id
    }
    auto view = json::parse(fx::fixture("interactivity/view_submission.json")).as_object();
    view["view"].as_object()["callback_id"] = "q:goal_note:r1";
    m = map_payload(view);
    REQUIRE(m.action == mapped_action::dialog);
    CHECK(m.input.question == "goal_note");
    CHECK(m.input.text == "test");

    CHECK(get("interactivity/shape/BlockActionPayload.json").kind == inbound_kind::block_actions);
    CHECK(get("interactivity/shape/ViewSubmissionPayload.json").kind == inbound_kind::view_submission);
    CHECK(get("interactivity/shape/ViewClosedPayload.json").kind == inbound_kind::view_closed);
    CHECK(map_inbound(get("interactivity/shape/ViewClosedPayload.json"), self).action == mapped_action::ignore);
    CHECK(get("socket_mode/envelope_interactive_shortcut.json").kind == inbound_kind::unsupported);
  }

  SECTION("Socket Mode frames") {
    CHECK(get("socket_mode/envelope_events_api_app_mention.json").event_type == "app_mention");
    const auto& msg = get("socket_mode/envelope_events_api_message.json");
    CHECK(msg.kind == inbound_kind::event_callback);
    CHECK(msg.text == "<@U111> Hi here!");
    CHECK(map_inbound(msg, self).action == mapped_action::ignore);  // a channel message
    CHECK(get("socket_mode/hello.json").kind == inbound_kind::unsupported);
    CHECK(get("socket_mode/disconnect_too_many_websockets.json").kind == inbound_kind::unsupported);
  }
}

TEST_CASE("conformance: damaged fixtures are refused or parsed, never a crash", "[slack][conformance]") {
  MLPATH_REQUIRE_SLACK_FIXTURES();
  std::mt19937 rng(12345);
  int tried = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fx::fixtures_dir())) {
    if (!entry.is_regular_file()) continue;
    std::string body = test::read_text(entry.path());
    if (body.size() > 20000) body.resize(20000);
    std::string wrapped = fx::payload_form(body);
    for (std::size_t cut = 0; cut < body.size(); cut += 1 + body.size() / 40) {
      (void)parse_inbound(fx::json_type, body.substr(0, cut));
      (void)parse_inbound(fx::form_type, wrapped.substr(0, cut));
      (void)parse_api_response(200, "", body.substr(0, cut));
      ++tried;
    }
    for (int i = 0; i < 30 && !body.empty(); ++i) {
      std::string damaged = body;
      for (int k = 0; k < 3; ++k)
        damaged[rng() % damaged.size()] = static_cast<char>("{}[]\",:\\\x00\xff 0a"[rng() % 14]);
      auto r = parse_inbound(fx::json_type, damaged);
      if (auto* in = std::get_if<inbound>(&r)) (void)map_inbound(*in, self);
      (void)parse_inbound(fx::form_type, fx::payload_form(damaged));
      (void)parse_api_response(500, "x", damaged);
      ++tried;
    }
  }
  CHECK(tried > 1000);
}

TEST_CASE("slack inbound: org-wide installs are recognised in events, interactivity and slash commands",
          "[slack][inbound]") {
  namespace fx = mlpath::test::slack;
  auto ev = fx::parse_ok(fx::json_type, R"({"type":"event_callback","team_id":"T1","enterprise_id":"E1","event_id":"Ev1",
    "event":{"type":"app_home_opened","user":"U1","tab":"home"},
    "authorizations":[{"enterprise_id":"E1","team_id":null,"user_id":"U0BOT","is_bot":true,"is_enterprise_install":true},
                      {"enterprise_id":"E1","team_id":"T1","user_id":"U0BOT","is_bot":true,"is_enterprise_install":false}]})");
  CHECK(ev.enterprise_install);
  CHECK(ev.enterprise_id == "E1");
  CHECK(ev.team_id == "T1");
  auto workspace = fx::parse_ok(fx::json_type, R"({"type":"event_callback","team_id":"T1","event_id":"Ev2",
    "event":{"type":"app_home_opened","user":"U1","tab":"home"},
    "authorizations":[{"enterprise_id":null,"team_id":"T1","user_id":"U0BOT","is_bot":true,"is_enterprise_install":false}]})");
  CHECK_FALSE(workspace.enterprise_install);
  auto press = fx::parse_payload(boost::json::parse(R"({"type":"block_actions","is_enterprise_install":true,
    "enterprise":{"id":"E9","name":"Org"},"team":{"id":"T9"},"user":{"id":"U9"},"trigger_id":"t",
    "actions":[{"action_id":"cmd:start","type":"button","value":"cmd:start"}]})"));
  CHECK(press.enterprise_install);
  CHECK(press.enterprise_id == "E9");
  auto cmd = fx::parse_ok(fx::form_type, "command=%2Fmlpath&text=start&user_id=U1&team_id=T1&enterprise_id=E1&is_enterprise_install=true&trigger_id=x");
  CHECK(cmd.enterprise_install);
  CHECK(cmd.enterprise_id == "E1");
  auto plain = fx::parse_ok(fx::form_type, "command=%2Fmlpath&text=start&user_id=U1&team_id=T1&trigger_id=x");
  CHECK_FALSE(plain.enterprise_install);
}
