#pragma once
// Block Kit rendering of the engine's neutral replies, within Slack's limits (50 blocks
// per message, 3000 characters per text, 75 per button label, 255 per action value).
// Written with Boost.JSON; text is escaped for mrkdwn (&, <, >).

#include <boost/json/object.hpp>
#include <vector>

#include "adapters/common/community.hpp"
#include "dialogs/home.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::slack {

// One reply as one or more chat.postMessage bodies ({"text": fallback, "blocks": [...]},
// without channel). A result becomes two: the match card and the plan.
std::vector<boost::json::object> render_reply(const dialogs::reply& r);

// What a question message becomes once answered (chat.update body without channel/ts):
// plain text, no buttons, so it cannot be pressed twice.
boost::json::object render_answered(const dialogs::answered_reply& r);

// The modal (views.open `view`) that takes a free-text answer; callback_id carries
// the question token.
boost::json::object render_text_modal(const dialogs::question_reply& q);

// The App Home tab (views.publish `view`): at most 100 blocks, buttons carrying the same
// cmd: tokens as messages.
boost::json::object render_home(const dialogs::home_reply& h);

// The public card `/mlpath share` posts in a channel: the pitch and a Start button
// (cmd:start without a round) that starts the presser's own reflection in their DM.
boost::json::object render_share_card();

// A workspace's aggregate numbers for `/mlpath stats`: no individual data, counts below 5
// shown as "<5".
boost::json::object render_stats(const adapters::community_stats& s);

// mrkdwn escaping of &, < and >.
std::string escape_mrkdwn(std::string_view text);

}  // namespace mlpath::slack
