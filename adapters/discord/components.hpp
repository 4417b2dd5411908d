#pragma once
// Discord rendering of the engine's neutral replies: message payloads with content,
// embeds and components (buttons ≤5 per action row, ≤5 rows, string selects with
// min/max values, custom_id ≤100), the text-answer modal, the mentor share card and the
// stats embed. Written with Boost.JSON.

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "adapters/common/community.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::discord {

constexpr std::uint64_t flag_ephemeral = 1u << 6;

// One reply as one or more message payloads ({content, embeds, components[, flags]}).
// `ephemeral` adds flag 64. A result becomes the match embed and the plan embed.
std::vector<boost::json::object> render_reply(const dialogs::reply& r, bool ephemeral);

// The plain record a question message becomes once answered: no components.
boost::json::object render_answered(const dialogs::answered_reply& r, bool ephemeral);

// Callback type 9 `data`: a modal with one paragraph text input; custom_id carries the
// question token (q:<question>:r<round>).
boost::json::object render_text_modal(const dialogs::question_reply& q);

// The public card a mentor shares: title, pitch, a Start button (custom_id cmd:start).
boost::json::object render_share_card();

using adapters::community_stats;
// Aggregates only; any count below 5 is shown as "<5".
boost::json::object render_stats(const community_stats& s, bool ephemeral);

}  // namespace mlpath::discord
