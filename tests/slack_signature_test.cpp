// Slack request signing (v0): Slack's documented vector, and every way a request can fail.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/slack/signature.hpp"
#include "bot/net/crypto.hpp"
#include "slack_support.hpp"

using namespace mlpath::slack;
using namespace std::chrono_literals;
namespace fx = mlpath::test::slack;

namespace {

const mlpath::adapters::crypto_primitives crypto = mlpath::net::crypto_primitives();


struct vector_case {
  std::string secret, timestamp, signature, body;
  std::chrono::sys_seconds at;
};

// The vector from Slack's "Verifying requests" docs (as bolt-js tests it). Without the
// corpus the same constants are used inline, so the test never silently disappears.
vector_case documented_vector() {
  vector_case v;
  if (std::filesystem::is_directory(fx::fixtures_dir())) {
    auto j = boost::json::parse(fx::fixture("commands/signing_vector.json")).as_object();
    v.secret = std::string(j.at("signing_secret").as_string());
    v.timestamp = std::string(j.at("x_slack_request_timestamp").as_string());
    v.signature = std::string(j.at("expected_x_slack_signature").as_string());
    v.body = fx::fixture("commands/" + std::string(j.at("body_file").as_string()));
  } else {
    v.secret = "8f742231b10e8888abcd99yyyzzz85a5";
    v.timestamp = "1531420618";
    v.signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    v.body =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  }
  v.at = std::chrono::sys_seconds(std::chrono::seconds(std::stoll(v.timestamp)));
  return v;
}

}  // namespace

TEST_CASE("Slack's documented signing vector verifies", "[slack][signature]") {
  auto v = documented_vector();
  CHECK(v.body.size() == 362);
  CHECK(sign_request(crypto, v.secret, v.timestamp, v.body) == v.signature);
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at) == verify_result::ok);
  // The vector's body is a slash command: it parses too.
  auto in = fx::parse_ok(fx::form_type, v.body);
  CHECK(in.kind == inbound_kind::slash_command);
  CHECK(in.command == "/webhook-collect");
  CHECK(in.user == "U2CERLKJA");
  CHECK(in.response_url == "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
}

TEST_CASE("a wrong secret or an altered body fails the signature", "[slack][signature]") {
  auto v = documented_vector();
  CHECK(verify_request(crypto, "8f742231b10e8888abcd99yyyzzz85a6", v.timestamp, v.signature, v.body, v.at) ==
        verify_result::bad_signature);
  CHECK(verify_request(crypto, "", v.timestamp, v.signature, v.body, v.at) == verify_result::bad_signature);
  for (std::size_t i : {std::size_t{0}, v.body.size() / 2, v.body.size() - 1}) {
    std::string altered = v.body;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    INFO("byte " << i);
    CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, altered, v.at) == verify_result::bad_signature);
  }
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body + "&", v.at) == verify_result::bad_signature);
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body.substr(1), v.at) == verify_result::bad_signature);
  // The timestamp is part of what is signed.
  std::string other_ts = std::to_string(std::stoll(v.timestamp) + 1);
  CHECK(verify_request(crypto, v.secret, other_ts, v.signature, v.body, v.at) == verify_result::bad_signature);
  // Hex is compared exactly: Slack sends lower case.
  std::string upper = v.signature;
  for (auto& c : upper)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  upper.replace(0, 3, "v0=");
  CHECK(verify_request(crypto, v.secret, v.timestamp, upper, v.body, v.at) == verify_result::bad_signature);
}

TEST_CASE("the timestamp must be within five minutes either way", "[slack][signature]") {
  auto v = documented_vector();
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at + 300s) == verify_result::ok);
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at - 300s) == verify_result::ok);
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at + 301s) == verify_result::stale);
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at + 24h) == verify_result::stale);
  // A timestamp from the future is a replay set up in advance, or a broken clock.
  CHECK(verify_request(crypto, v.secret, v.timestamp, v.signature, v.body, v.at - 301s) == verify_result::stale);
  // A fresh, correctly signed request with the current time passes.
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string ts = std::to_string(now.time_since_epoch().count());
  std::string sig = sign_request(crypto, "secret", ts, "{}");
  CHECK(verify_request(crypto, "secret", ts, sig, "{}", now) == verify_result::ok);
  CHECK(verify_request(crypto, "secret", ts, sig, "{}", now + 10min) == verify_result::stale);
}

TEST_CASE("missing and malformed signature headers are refused", "[slack][signature]") {
  auto v = documented_vector();
  CHECK(verify_request(crypto, v.secret, "", v.signature, v.body, v.at) == verify_result::missing_headers);
  CHECK(verify_request(crypto, v.secret, v.timestamp, "", v.body, v.at) == verify_result::missing_headers);
  CHECK(verify_request(crypto, v.secret, "", "", v.body, v.at) == verify_result::missing_headers);

  std::string hex = v.signature.substr(3);
  for (std::string sig : {"v1=" + hex, hex, "v0" + hex + "0", "v0=" + hex.substr(1), "v0=" + hex + "0", std::string("v0="),
                          std::string("=")}) {
    INFO(sig);
    CHECK(verify_request(crypto, v.secret, v.timestamp, sig, v.body, v.at) == verify_result::malformed);
  }
  for (std::string ts : {"abc", "1531420618.5", " 1531420618", "1531420618 ", "0x5b46e1ca", "1e9",
                         "99999999999999999999999"}) {
    INFO(ts);
    CHECK(verify_request(crypto, v.secret, ts, v.signature, v.body, v.at) == verify_result::malformed);
  }
  // Non-hex of the right length is just a mismatch.
  CHECK(verify_request(crypto, v.secret, v.timestamp, "v0=" + std::string(64, 'z'), v.body, v.at) ==
        verify_result::bad_signature);
  CHECK(std::string(to_string(verify_result::stale)).size() > 0);
}
