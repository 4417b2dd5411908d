// Discord interactions: Ed25519 verification (every way a request can fail) and parsing
// of every interaction type, including hostile bodies.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <random>

#include "adapters/discord/interaction.hpp"
#include "bot/net/crypto.hpp"
#include "discord_support.hpp"

using namespace mlpath;
using namespace mlpath::discord;
namespace fx = mlpath::test::discord;
namespace json = boost::json;

namespace {

const mlpath::adapters::crypto_primitives crypto = mlpath::net::crypto_primitives();


parse_failure parse_fails(std::string_view body) {
  auto r = parse_interaction(body);
  if (std::holds_alternative<interaction>(r)) FAIL("expected a parse failure");
  return std::get<parse_failure>(r);
}

}  // namespace

// --- signatures ------------------------------------------------------------------------

TEST_CASE("a body signed with the application key verifies", "[discord][signature]") {
  fx::signer s;
  std::string body = R"({"type":1,"id":"1","token":"t","application_id":"2"})";
  std::string ts = "1700000000";
  CHECK(verify_interaction(crypto, s.public_key_hex(), s.sign(ts, body), ts, body) == verify_result::ok);
  // Upper-case hex is hex too.
  std::string upper_sig = s.sign(ts, body);
  for (char& c : upper_sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string upper_key = s.public_key_hex();
  for (char& c : upper_key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(verify_interaction(crypto, upper_key, upper_sig, ts, body) == verify_result::ok);
  // Empty bodies and binary bytes are signed like anything else.
  std::string odd("\x00\xff{}", 4);
  CHECK(verify_interaction(crypto, s.public_key_hex(), s.sign(ts, odd), ts, odd) == verify_result::ok);
  CHECK(verify_interaction(crypto, s.public_key_hex(), s.sign(ts, ""), ts, "") == verify_result::ok);
}

TEST_CASE("wrong key, altered body or timestamp fail the signature", "[discord][signature]") {
  fx::signer s, other;
  std::string body = R"({"type":2,"data":{"name":"mlpath"}})";
  std::string ts = "1700000000";
  std::string sig = s.sign(ts, body);
  CHECK(verify_interaction(crypto, other.public_key_hex(), sig, ts, body) == verify_result::bad_signature);
  CHECK(verify_interaction(crypto, s.public_key_hex(), sig, ts, body + " ") == verify_result::bad_signature);
  CHECK(verify_interaction(crypto, s.public_key_hex(), sig, ts, R"({"type":2,"data":{"name":"mlpatH"}})") ==
        verify_result::bad_signature);
  CHECK(verify_interaction(crypto, s.public_key_hex(), sig, "1700000001", body) == verify_result::bad_signature);
  // Moving bytes between timestamp and body keeps the concatenation but is still the
  // same message: Discord signs timestamp + body, so this verifies (documented behaviour).
  CHECK(verify_interaction(crypto, s.public_key_hex(), sig, ts + "{", body.substr(1)) == verify_result::ok);
  // One flipped bit in the signature.
  std::string flipped = sig;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  CHECK(verify_interaction(crypto, s.public_key_hex(), flipped, ts, body) == verify_result::bad_signature);
  // Another message's valid signature.
  CHECK(verify_interaction(crypto, s.public_key_hex(), s.sign(ts, "{}"), ts, body) == verify_result::bad_signature);
}

TEST_CASE("missing headers and non-hex or wrong-length values are refused", "[discord][signature]") {
  fx::signer s;
  std::string body = R"({"type":1})";
  std::string ts = "1700000000";
  std::string sig = s.sign(ts, body);
  std::string key = s.public_key_hex();
  CHECK(verify_interaction(crypto, key, "", ts, body) == verify_result::missing_headers);
  CHECK(verify_interaction(crypto, key, sig, "", body) == verify_result::missing_headers);
  CHECK(verify_interaction(crypto, key, "", "", body) == verify_result::missing_headers);

  // Non-hex anywhere, even where a lenient decoder would stop early and accept the prefix.
  std::string bad = sig;
  bad[127] = 'g';
  CHECK(verify_interaction(crypto, key, bad, ts, body) == verify_result::malformed);
  bad = sig;
  bad[0] = 'z';
  CHECK(verify_interaction(crypto, key, bad, ts, body) == verify_result::malformed);
  CHECK(verify_interaction(crypto, key, sig.substr(0, 126), ts, body) == verify_result::malformed);
  CHECK(verify_interaction(crypto, key, sig + "00", ts, body) == verify_result::malformed);
  CHECK(verify_interaction(crypto, key, sig.substr(0, 127), ts, body) == verify_result::malformed);
  CHECK(verify_interaction(crypto, key, " " + sig.substr(1), ts, body) == verify_result::malformed);
  // A broken public key (configuration error) fails closed.
  CHECK(verify_interaction(crypto, key.substr(0, 62), sig, ts, body) == verify_result::malformed);
  CHECK(verify_interaction(crypto, "", sig, ts, body) == verify_result::malformed);
  std::string bad_key = key;
  bad_key[5] = 'x';
  CHECK(verify_interaction(crypto, bad_key, sig, ts, body) == verify_result::malformed);
  // An all-zero key and signature: valid hex, never a valid signature.
  CHECK(verify_interaction(crypto, std::string(64, '0'), std::string(128, '0'), ts, body) == verify_result::bad_signature);

  CHECK(std::string(to_string(verify_result::ok)) == "ok");
  CHECK(std::string(to_string(verify_result::bad_signature)) == "bad_signature");
}

// --- parsing -------------------------------------------------------------------------------

TEST_CASE("PING parses with only a type", "[discord][interaction]") {
  auto in = fx::parse_ok(R"({"type":1})");
  CHECK(in.type == interaction_type::ping);
  in = fx::parse_ok(R"({"id":"1","application_id":"2","type":1,"token":"t","version":1,"user":{"id":"3"}})");
  CHECK(in.type == interaction_type::ping);
  CHECK(in.id == "1");
  CHECK(in.token == "t");
}

TEST_CASE("a guild command with a subcommand and options", "[discord][interaction]") {
  json::object body = fx::interaction_builder{}.command("start");
  auto& data = body["data"].as_object();
  data["options"] = json::array{json::object{
      {"type", 1},
      {"name", "start"},
      {"options", json::array{json::object{{"type", 3}, {"name", "note"}, {"value", "hello \"there\""}},
                              json::object{{"type", 4}, {"name", "n"}, {"value", 42}},
                              json::object{{"type", 10}, {"name", "x"}, {"value", 1.5}},
                              json::object{{"type", 5}, {"name", "b"}, {"value", true}}}}}};
  // Numbers keep the spelling they arrived with (Boost writes 1.5 as 1.5E0; Discord as 1.5).
  std::string text = json::serialize(body);
  auto at = text.find("1.5E0");
  REQUIRE(at != std::string::npos);
  text.replace(at, 5, "1.5");
  auto in = fx::parse_ok(text);
  CHECK(in.type == interaction_type::application_command);
  CHECK(in.command_name == "mlpath");
  CHECK(in.subcommand == "start");
  REQUIRE(in.options.size() == 4);
  CHECK(in.options[0] == std::pair<std::string, std::string>{"note", "hello \"there\""});
  CHECK(in.options[1] == std::pair<std::string, std::string>{"n", "42"});
  CHECK(in.options[2] == std::pair<std::string, std::string>{"x", "1.5"});
  CHECK(in.options[3] == std::pair<std::string, std::string>{"b", "true"});
  CHECK(in.guild_id == "290926798626357999");
  CHECK(in.user_id == "53908232506183680");
  CHECK(in.username == "mason");
  CHECK(in.has_member);
  CHECK(in.member_permissions == 2147483647u);
  CHECK(in.context == 0);
  CHECK(in.locale == "en-US");
  CHECK(in.channel_id == "645027906669510667");
  CHECK(in.application_id == "290926444748734465");
}

TEST_CASE("subcommand groups and top-level options", "[discord][interaction]") {
  auto in = fx::parse_ok(R"({"type":2,"id":"1","token":"t","user":{"id":"9"},"data":{"name":"x","options":[
      {"type":2,"name":"grp","options":[{"type":1,"name":"sub","options":[{"type":3,"name":"a","value":"v"}]}]}]}})");
  CHECK(in.subcommand == "grp sub");
  CHECK(in.options == std::vector<std::pair<std::string, std::string>>{{"a", "v"}});
  in = fx::parse_ok(R"({"type":2,"data":{"name":"cardsearch","options":[{"type":3,"name":"cardname","value":"The Gitrog Monster"}]}})");
  CHECK(in.subcommand.empty());
  CHECK(in.options == std::vector<std::pair<std::string, std::string>>{{"cardname", "The Gitrog Monster"}});
  // Only the first subcommand counts; key order inside an option does not matter.
  in = fx::parse_ok(R"({"type":2,"data":{"options":[{"name":"a","type":1},{"name":"b","type":1}],"name":"mlpath"}})");
  CHECK(in.subcommand == "a");
}

TEST_CASE("DM interactions carry user instead of member", "[discord][interaction]") {
  fx::interaction_builder b;
  b.guild_id = "";
  auto in = fx::parse_json(b.command("status"));
  CHECK(in.guild_id.empty());
  CHECK(in.context == 1);
  CHECK(in.user_id == "53908232506183680");
  CHECK_FALSE(in.has_member);
  CHECK(in.member_permissions == 0);
  // A bot user is flagged.
  in = fx::parse_ok(R"({"type":3,"user":{"id":"5","bot":true},"data":{"custom_id":"x","component_type":2}})");
  CHECK(in.user_is_bot);
  // member.user wins over a stray top-level user.
  in = fx::parse_ok(R"({"type":2,"user":{"id":"1"},"member":{"user":{"id":"2"},"permissions":"8"}})");
  CHECK(in.user_id == "2");
  CHECK(in.member_permissions == 8);
}

TEST_CASE("member.permissions: big decimal strings, garbage is no permission", "[discord][interaction]") {
  auto perms = [](std::string p) {
    json::object o{{"type", 2}, {"member", {{"user", {{"id", "1"}}}, {"permissions", p}}}};
    return fx::parse_json(o).member_permissions;
  };
  CHECK(perms("70368744177663") == 70368744177663ull);  // 2^46 - 1, beyond 32 bits
  CHECK(perms("17179869183") == 17179869183ull);
  CHECK(perms("0") == 0);
  CHECK(perms("18446744073709551615") == 18446744073709551615ull);
  // Over 64 bits: the low 64 bits, exactly as a big-integer "&" would see them.
  CHECK(perms("18446744073709551616") == 0);                      // 2^64
  CHECK(perms("18446744073709551648") == 32);                     // 2^64 + 32: MANAGE_GUILD only
  CHECK(perms("36893488147419103264") == 32);                     // 2^65 + 32
  for (std::string bad : {"", "-8", "8a", " 8", "0x20", "1e3", "8.0", "\xef\xbc\x98"}) {
    INFO(bad);
    CHECK(perms(bad) == 0);
  }
  // A number where a string belongs is ignored.
  auto in = fx::parse_ok(R"({"type":2,"member":{"user":{"id":"1"},"permissions":8}})");
  CHECK(in.member_permissions == 0);
  CHECK(in.has_member);
}

TEST_CASE("message components: buttons, selects and the message they were on", "[discord][interaction]") {
  fx::interaction_builder b;
  auto in = fx::parse_json(b.component("q:ideal_day:ship_models:r2"));
  CHECK(in.type == interaction_type::message_component);
  CHECK(in.custom_id == "q:ideal_day:ship_models:r2");
  CHECK(in.component_type == 2);
  CHECK(in.message_id == "844397162624450620");
  CHECK(in.message_flags == 64);
  in = fx::parse_json(b.component("q:motivation:r2", 3, {"hands_on_coding", "data_insights"}));
  CHECK(in.component_type == 3);
  CHECK(in.values == std::vector<std::string>{"hands_on_coding", "data_insights"});
  // Values beyond 25 are not Discord's: kept to 25.
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("v" + std::to_string(i));
  CHECK(fx::parse_json(b.component("q:x:r1", 3, many)).values.size() == 25);
}

TEST_CASE("modal submissions: legacy action rows and Label layouts", "[discord][interaction]") {
  fx::interaction_builder b;
  for (bool label : {false, true}) {
    INFO("label layout " << label);
    auto in = fx::parse_json(b.modal("q:goal_note:r3", "Lead a team\nof 5", label));
    CHECK(in.type == interaction_type::modal_submit);
    CHECK(in.custom_id == "q:goal_note:r3");
    REQUIRE(in.fields.size() == 1);
    CHECK(in.fields[0].custom_id == "answer");
    CHECK(in.fields[0].value == "Lead a team\nof 5");
  }
  // Several inputs, a text display and a select inside labels.
  auto in = fx::parse_ok(R"({"type":5,"data":{"custom_id":"m","components":[
      {"type":10,"id":1,"content":"read me"},
      {"type":18,"id":2,"component":{"type":3,"id":3,"custom_id":"bug","values":["ant","bee"]}},
      {"type":18,"id":4,"component":{"type":4,"id":5,"custom_id":"why","value":"because"}},
      {"type":1,"components":[{"type":4,"custom_id":"more","value":""}]}]}})");
  REQUIRE(in.fields.size() == 3);
  CHECK(in.fields[0].custom_id == "bug");
  CHECK(in.fields[0].values == std::vector<std::string>{"ant", "bee"});
  CHECK(in.fields[1].custom_id == "why");
  CHECK(in.fields[1].value == "because");
  CHECK(in.fields[2].custom_id == "more");
  CHECK(in.fields[2].value.empty());
}

TEST_CASE("webhook events are acknowledged, not taken for interactions", "[discord][interaction]") {
  // {"type":1,"event":{...}} would look like a PING without the `event` check.
  auto f = parse_fails(R"({"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","data":{}}})");
  CHECK(f.status == 204);
  CHECK(parse_fails(R"({"version":1,"application_id":"1","type":0})").status == 204);
}

TEST_CASE("malformed bodies are 400 (or 413), never a crash", "[discord][interaction]") {
  for (std::string body : {"", "null", "[]", "\"x\"", "{", "{}", R"({"type":"1"})", R"({"type":9})", R"({"type":-1})",
                           R"({"type":1.5})", R"({"type":1} {})", R"({"type":1}x)", "{\"type\":1,\"id\":\"\xff\"}"}) {
    INFO(body);
    auto r = parse_interaction(body);
    if (auto* f = std::get_if<parse_failure>(&r)) CHECK(f->status == 400);
    else CHECK(body == "{\"type\":1,\"id\":\"\xff\"}");  // simdjson checks UTF-8; either way no crash
  }
  CHECK(parse_fails(std::string(5u << 20, ' ')).status == 413);
  CHECK(parse_fails(R"({"type":2,"id":")" + std::string(5000, '1') + "\"}").status == 400);
  // Unexpected JSON types are skipped, not errors.
  auto in = fx::parse_ok(R"({"type":3,"id":5,"token":null,"guild_id":[],"member":"x","user":7,
      "data":{"custom_id":{"a":1},"component_type":"2","values":"v"},"message":[],"context":"0"})");
  CHECK(in.type == interaction_type::message_component);
  CHECK(in.id.empty());
  CHECK(in.custom_id.empty());
  CHECK(in.context == -1);
}

TEST_CASE("hostile bodies never crash the parser", "[discord][interaction]") {
  fx::interaction_builder b;
  std::vector<std::string> seeds{json::serialize(b.command("start")), json::serialize(b.component("q:a:b:r1", 3, {"x"})),
                                 json::serialize(b.modal("q:a:r1", "text", true)),
                                 json::serialize(b.modal("q:a:r1", "text", false))};
  // Deep nesting.
  seeds.push_back(R"({"type":5,"data":{"components":)" + std::string(2000, '[') + std::string(2000, ']') + "}}");
  std::string deep = R"({"type":5,"data":{"components":[)";
  for (int i = 0; i < 500; ++i) deep += R"({"type":1,"components":[)";
  for (int i = 0; i < 500; ++i) deep += "]}";
  seeds.push_back(deep + "]}}");
  std::mt19937 rng(7);
  for (const auto& seed : seeds) {
    (void)parse_interaction(seed);
    for (std::size_t cut = 0; cut < seed.size(); cut += 1 + seed.size() / 50) (void)parse_interaction(seed.substr(0, cut));
    for (int i = 0; i < 200; ++i) {
      std::string damaged = seed;
      for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = "{}[]\",:\\\x00\xff 0a-"[rng() % 15];
      (void)parse_interaction(damaged);
    }
  }
  SUCCEED();
}
