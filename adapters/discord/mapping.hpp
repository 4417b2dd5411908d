#pragma once
// From a Discord interaction or gateway DM to what the service does.

#include <string>

#include "adapters/discord/interaction.hpp"
#include "dialogs/input.hpp"
#include "dialogs/user_ref.hpp"

namespace mlpath::discord {

// Bits of member.permissions we check ourselves.
constexpr std::uint64_t permission_administrator = 1ull << 3;
constexpr std::uint64_t permission_manage_guild = 1ull << 5;

enum class mapped_action {
  ignore,      // nothing to do (reason says why)
  pong,        // PING: answer {"type":1}
  dialog,      // run `input` for `user` through the engine
  open_modal,  // answer with the text-input modal for `question` (callback type 9)
  share,       // post the public start card in the channel
  stats,       // show this server's aggregate numbers (permission already checked)
  forbidden,   // the caller may not do this (e.g. stats without Manage Server)
};

struct mapped {
  mapped_action action = mapped_action::ignore;
  std::string reason;
  dialogs::user_ref user;  // {"discord", "", user id}: one conversation per Discord user
  std::string guild_id;    // where it happened ("" in DMs), for attribution
  std::string channel_id;
  bool ephemeral = false;  // in a server channel the flow is private (flag 64)
  bool component = false;  // a press on one of our messages: answer with an update (type 7)
  dialogs::input input;
  std::string question;    // open_modal
};

// Pure. Command words follow DESIGN.md §3; custom_ids carry the tokens of
// dialogs/action_token.hpp (q:..., cmd:...).
mapped map_interaction(const interaction& in);

// A gateway MESSAGE_CREATE (parsed from its `d`): a DM from a person is their typed answer.
struct dm_message {
  std::string id;
  std::string channel_id;
  std::string guild_id;   // present: not a DM
  std::string author_id;
  bool author_bot = false;
  std::string webhook_id;
  std::uint64_t flags = 0;
  int type = 0;
  std::string content;
};
// Parses MESSAGE_CREATE's `d`; false when it is not an object with the fields above.
// When the author is `skip_author` (our own bot: every message we send to a DM echoes
// back), only the author is read and `out` holds just that, which map_dm ignores: the
// rest of the message, its text above all, is never decoded.
bool parse_message_create(std::string_view d_json, dm_message& out, std::string_view skip_author = {});
// Maps a DM to a dialog input; ignores guild messages, bots, webhooks, our own messages,
// ephemeral system messages and message types other than default (0) and reply (19).
mapped map_dm(const dm_message& m, std::string_view our_user_id);

}  // namespace mlpath::discord
