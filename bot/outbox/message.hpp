#pragma once
// The closed set of messages the outbox holds: every Slack and Discord message type
// (adapters/slack/outbound.hpp, adapters/discord/outbound.hpp). A message is stored as its
// type's stable kind id plus its fields, in the same transaction as the turn that caused
// it; the dispatcher reads it back as the typed value and hands it to its platform.
//
// A new kind: add a struct to the platform's `outbound` variant with its kind id and
// fields (encode/decode), and the platform sender's case for it.

#include <optional>
#include <string>
#include <variant>

#include "adapters/discord/outbound.hpp"
#include "adapters/slack/outbound.hpp"
#include "storage/store.hpp"

namespace mlpath::outbox {

using message = std::variant<slack::outbound, discord::outbound>;

const char* platform_of(const message& m);  // slack, discord

// A message that must not be sent twice blindly and can be looked up on its platform
// (a Slack post, found by its metadata): marked in_doubt before each send, and
// reconciled before it is sent again when an earlier send's outcome is unknown. Discord
// posts need no mark: their nonce makes a repeat harmless.
bool reconcilable(const message& m);

// The row to store with a turn. `user_id` 0 ties it to nobody (a gateway interaction's
// callback); `send_at` is the earliest time it may go.
storage::outbox_message to_record(const message& m, std::int64_t user_id, std::string tenant,
                                  dialogs::timestamp send_at);

// The typed message a stored row holds; nullopt when this version does not know its
// kind or cannot read its fields.
std::optional<message> from_record(const storage::outbox_message& r);

// Replies nobody asked for just now (a nudge, a check-in) as messages in the person's DM
// on `platform` (slack, discord); none for a platform without DMs.
std::vector<message> direct_messages(std::string_view platform, const std::vector<dialogs::reply>& replies);

}  // namespace mlpath::outbox
