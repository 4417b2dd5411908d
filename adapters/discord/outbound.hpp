#pragma once
// What mlpath sends to Discord, as a closed set of typed messages (the outbox stores them,
// the sender turns each into one REST call), and the protocol choices between them: the
// interaction callback type (message, update in place, modal), what goes out as
// follow-ups, and how consecutive payloads merge within Discord's message limits.
//
// Pure; every function is thread-safe.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/discord/interaction.hpp"
#include "adapters/discord/mapping.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::discord {

// POST /channels/{channel}/messages. `channel` "" = the person's DM (opened first). The
// sender adds the outbox id as nonce with enforce_nonce, so a retry is never a second message.
struct create_message {
  std::string channel;
  boost::json::object payload;
};

// POST /webhooks/{application}/{token}: a follow-up to an interaction already answered.
struct followup {
  std::string token;
  boost::json::object payload;
};

// POST /interactions/{id}/{token}/callback, for interactions that arrived over the gateway
// (those from the HTTP endpoint are answered in the HTTP response).
struct interaction_callback {
  std::string interaction_id;
  std::string token;
  boost::json::object payload;  // {type, data}
};

// PATCH /webhooks/{application}/{token}/messages/@original: the answer to an interaction
// that was first answered with a deferred callback (the turn could not finish in time).
struct edit_original {
  std::string token;
  boost::json::object payload;
};

using outbound = std::variant<create_message, followup, interaction_callback, edit_original>;

// Stable ids: discord.post, discord.followup, discord.callback, discord.edit_original.
const char* kind_of(const outbound& m);
std::string encode(const outbound& m);
// nullopt for an unknown kind or a body without the kind's fields.
std::optional<outbound> decode(std::string_view kind, std::string_view body);

// Interaction callback bodies.
enum callback_type { pong = 1, channel_message = 4, update_message = 7, modal = 9 };
boost::json::object callback(callback_type type, boost::json::object data);
// A note only the presser sees.
boost::json::object private_note(std::string_view text);

// The answer to one interaction that ran through the engine: the callback (a modal for a
// text question opened from its button; the pressed message updated in place when the
// press changed something; otherwise a new message, private in servers and for presses
// that changed nothing) and what follows it as follow-ups.
struct interaction_response {
  boost::json::object callback;
  std::vector<boost::json::object> followups;
};
interaction_response respond(const interaction& in, const mapped& m, const std::vector<dialogs::reply>& replies);

// When a turn cannot finish within Discord's 3 seconds (a busy database), the interaction
// is answered at once with a deferred callback: type 6 (update later) for presses and
// modal submits on a message, which are answered by updating it; otherwise type 5
// ("thinking"), private where the answer would be private.
enum deferred_type { deferred_message = 5, deferred_update = 6 };
boost::json::object deferred_callback(const interaction& in, const mapped& m);
// The turn's answer once it has run: an edit of the original message where that is what
// the answer would have done, else a follow-up (a private note after a press, a modal that
// can no longer open), then its follow-ups.
std::vector<outbound> after_deferral(const interaction& in, const mapped& m, interaction_response r);

// Replies as plain channel messages (a DM conversation, a nudge, a check-in), merged into
// as few messages as Discord's limits allow. Records of answered questions are left out:
// a DM's typed answer needs no record.
std::vector<boost::json::object> channel_messages(const std::vector<dialogs::reply>& replies);

// Consecutive payloads combined while content ≤ 2000, ≤ 10 embeds and ≤ 6000 embed
// characters allow; a payload with components ends a merge (only the last part may carry
// them), and payloads with different flags never merge.
std::vector<boost::json::object> merge(std::vector<boost::json::object> parts);

}  // namespace mlpath::discord
