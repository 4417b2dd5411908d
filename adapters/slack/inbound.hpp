#pragma once
// Everything Slack POSTs to /slack/events, classified and parsed (untrusted input:
// simdjson on-demand, Boost.URL for form bodies; errors are values, never exceptions).
// Three wire kinds share the URL, as in Bolt: Events API JSON, slash commands
// (form-encoded), interactivity (form-encoded `payload=<json>`).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mlpath::slack {

enum class inbound_kind {
  url_verification,  // Events API handshake: answer with the challenge
  ssl_check,         // certificate check (form ssl_check=1): answer 200, nothing else
  event_callback,    // an Events API event (message, app_mention, app_home_opened, ...)
  app_rate_limited,  // Slack tells us it is dropping our events
  slash_command,
  block_actions,
  view_submission,
  view_closed,
  unsupported,       // well-formed but not a kind we handle: 200 and ignore
};
const char* to_string(inbound_kind k);

// One input's current value from `state.values` (checkboxes, selects, text inputs).
struct state_value {
  std::string block_id;
  std::string action_id;
  std::string type;                 // checkboxes, static_select, plain_text_input, ...
  std::vector<std::string> values;  // selected option values, or the typed text as one value
};

struct block_action {
  std::string action_id;
  std::string block_id;
  std::string type;                   // button, checkboxes, static_select, ...
  std::string value;                  // a button's value
  std::vector<std::string> selected;  // selected option values (selects, checkboxes)
};

struct inbound {
  inbound_kind kind = inbound_kind::unsupported;
  std::string type;  // the raw type (envelope, payload or event type), for logs and metrics

  std::string challenge;  // url_verification
  std::string team_id;
  std::string enterprise_id;
  // The app is installed org-wide (Enterprise Grid): the installation is the enterprise's,
  // not the workspace's. From is_enterprise_install, or the first of an event's authorizations.
  bool enterprise_install = false;
  std::string api_app_id;

  // event_callback
  std::string event_id;
  std::string event_type;  // event.type: message, app_mention, app_home_opened, app_uninstalled, ...
  std::int64_t event_time = 0;
  std::string subtype;
  std::string bot_id;
  std::string app_id;
  std::string channel_type;  // im, channel, group, mpim
  std::string ts;
  std::string thread_ts;
  std::string tab;           // app_home_opened: home or messages
  // tokens_revoked: whose tokens went. Only user tokens revoked leaves the bot installed.
  std::vector<std::string> revoked_bot_users;
  std::vector<std::string> revoked_user_tokens;
  // team_access_revoked: the teams of an org the org-wide install can no longer reach.
  std::vector<std::string> revoked_teams;

  // shared by events, commands and interactivity
  std::string user;     // the acting user id
  std::string channel;  // channel id
  std::string text;     // message text or slash command text, HTML entities (&amp; &lt; &gt;) decoded

  // slash_command
  std::string command;  // e.g. /mlpath
  std::string response_url;
  std::string trigger_id;

  // block_actions / view_*
  std::string container_type;  // message, view, ...
  std::string message_ts;      // the message the element was on
  bool ephemeral = false;      // the message was ephemeral (no `message` in the payload)
  std::vector<block_action> actions;
  std::vector<state_value> state;
  std::string view_id;
  std::string callback_id;
  std::string private_metadata;
};

// A request we must refuse: 400 malformed, 415 wrong content type.
struct parse_failure {
  int status = 400;
  std::string reason;
};

// `content_type` is the Content-Type header (parameters such as charset are ignored).
// Thread-safe: each thread reuses its own JSON parser. Never throws.
std::variant<inbound, parse_failure> parse_inbound(std::string_view content_type, std::string_view body);

// The form-encoded certificate check, recognisable before signature verification.
bool is_ssl_check(std::string_view content_type, std::string_view body);

// Slack escapes &, < and > in message text; this undoes exactly that.
std::string decode_entities(std::string_view text);

}  // namespace mlpath::slack
