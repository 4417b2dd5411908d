#pragma once
// From a parsed Slack request to what the service does: an engine input for a person,
// plus where the replies go; or a reason to acknowledge and ignore it.

#include <string>

#include "adapters/slack/inbound.hpp"
#include "dialogs/input.hpp"
#include "dialogs/user_ref.hpp"

namespace mlpath::slack {

// Who we are in a workspace (from auth.test), to ignore our own messages.
struct bot_identity {
  std::string user_id;  // U... of the bot user
  std::string bot_id;   // B...
  std::string app_id;   // A...
};

struct route {
  dialogs::user_ref user;    // {"slack", team_id, user_id}
  std::string channel;       // where replies go; "" = open a DM with the user first
  std::string message_ts;    // the message a button was pressed on (turned into a record)
  bool ephemeral = false;    // that message was ephemeral (update it through response_url)
  std::string response_url;
  std::string trigger_id;    // for opening a modal (views.open) within 3 seconds
};

enum class mapped_action {
  ignore,        // acknowledge and drop (reason says why)
  dialog,        // run `input` through the engine for `where.user`
  open_modal,    // show the text-answer modal for `question` (views.open with trigger_id)
  uninstall,     // app_uninstalled: the workspace's (or org's) tokens and its people's data go
  revoke,        // tokens_revoked naming bot tokens: those tokens go, nothing is sent with them any more
  teams_revoked, // team_access_revoked: the org-wide install left some of the org's teams; their people's data goes
  rate_limited,  // app_rate_limited: Slack is dropping our events for a while (logged and counted)
  home,          // app_home_opened (Home tab): publish the person's home page
  share,         // /mlpath share in a channel: the acknowledgement posts the public start card there
  stats,         // /mlpath stats: the acknowledgement shows the workspace's aggregate numbers
};

struct mapped {
  mapped_action action = mapped_action::ignore;
  std::string reason;          // ignore: why (own message, edit, unsubscribed event type, ...)
  route where;
  dialogs::input input;
  std::string question;        // open_modal: the question to ask
  std::string ack_text;        // slash commands: the immediate ephemeral answer
  bool from_home = false;      // a button on the Home tab: the page is published again after the turn
};

// The callback_id of mlpath's Home tab view.
constexpr const char* home_callback_id = "mlpath_home";

// Pure: the same request and identity always map the same way.
mapped map_inbound(const inbound& in, const bot_identity& self);

}  // namespace mlpath::slack
