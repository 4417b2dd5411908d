#pragma once
// Discord interactions (HTTP endpoint or gateway INTERACTION_CREATE): signature check and
// parsing. Untrusted input: simdjson on-demand, errors are values, never exceptions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/common/crypto.hpp"

namespace mlpath::discord {

enum class interaction_type { ping = 1, application_command = 2, message_component = 3, autocomplete = 4, modal_submit = 5 };

enum class verify_result { ok, missing_headers, malformed, bad_signature };
const char* to_string(verify_result r);

// Ed25519 over timestamp + raw body with the application's public key (hex). Anything
// malformed (non-hex, wrong lengths) is a failure, never an exception.
verify_result verify_interaction(const adapters::crypto_primitives& crypto, std::string_view public_key_hex, std::string_view signature_hex,
                                 std::string_view timestamp, std::string_view body);

// One submitted modal field (legacy action-row layout or the Label layout).
struct modal_field {
  std::string custom_id;
  std::string value;                // text input
  std::vector<std::string> values;  // select inside a label
};

struct interaction {
  std::string id;
  std::string application_id;
  std::string token;  // for the callback and follow-up webhooks (15 minutes)
  interaction_type type = interaction_type::ping;
  std::string guild_id;    // "" in DMs
  std::string channel_id;
  int context = -1;        // 0 guild, 1 bot DM, 2 private channel; -1 absent
  std::string user_id;     // member.user.id in guilds, user.id in DMs
  std::string username;
  bool user_is_bot = false;
  bool has_member = false;
  std::uint64_t member_permissions = 0;  // member.permissions (a decimal string on the wire)
  std::string locale;

  // application_command
  std::string command_name;  // e.g. mlpath
  std::string subcommand;    // e.g. start ("" when none)
  std::vector<std::pair<std::string, std::string>> options;  // option name -> value as text

  // message_component
  std::string custom_id;
  int component_type = 0;  // 2 button, 3 string select, ...
  std::vector<std::string> values;
  std::string message_id;  // the message the component was on
  std::uint64_t message_flags = 0;

  // modal_submit (custom_id above holds the modal's custom_id)
  std::vector<modal_field> fields;
};

// status: 400 malformed or not an interaction, 413 too large, and 204 for a Webhook Events
// payload (outer "event" key, or its type-0 PING) that reached this endpoint: well-formed
// and signed but not an interaction, so it is acknowledged with an empty 204 and ignored.
struct parse_failure {
  int status = 400;
  std::string reason;
};

// Only `type` is required (1-5): Discord's own examples omit id, token, version or context,
// so whoever answers checks for what it needs. Thread-safe (a parser per thread); never throws.
std::variant<interaction, parse_failure> parse_interaction(std::string_view body);

}  // namespace mlpath::discord
