#pragma once
// What mlpath sends to Slack, as a closed set of typed messages (the outbox stores them,
// the sender turns each into one Web API call), and the protocol choice between them:
// which reply becomes chat.postMessage, chat.update of the pressed message, an update of
// a message posted earlier, an ephemeral note, or a modal.
//
// Pure; every function is thread-safe.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/slack/mapping.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::slack {

// chat.postMessage. `channel` "" = the person's DM (conversations.open first). A post
// with a `ref` is remembered so a later update_posted can change it.
struct post_message {
  std::string channel;
  std::string ref;
  boost::json::object payload;  // text, blocks (no channel)
};

// chat.update of a message whose channel and ts are known (the one a button was on).
struct update_message {
  std::string channel;
  std::string ts;
  boost::json::object payload;
};

// chat.update of the message posted earlier under `ref`; nothing to do if it never was.
struct update_posted {
  std::string ref;
  boost::json::object payload;
};

// chat.postEphemeral: seen only by `user` in `channel`.
struct post_ephemeral {
  std::string channel;
  std::string user;
  boost::json::object payload;
};

// views.open with a trigger_id (valid for 3 seconds after the press).
struct open_view {
  std::string trigger_id;
  boost::json::object view;
};

// views.publish: the person's App Home tab. Only the newest matters, so a later one for
// the same person makes an unsent earlier one redundant.
struct publish_home {
  std::string user;
  boost::json::object view;
};

using outbound = std::variant<post_message, update_message, update_posted, post_ephemeral, open_view, publish_home>;

// The stable id each type is stored under: slack.post, slack.update, slack.update_ref,
// slack.ephemeral, slack.views_open, slack.views_publish.
const char* kind_of(const outbound& m);
// The type's fields as JSON, and back. decode gives nullopt for an unknown kind or a
// body that does not hold the kind's fields.
std::string encode(const outbound& m);
std::optional<outbound> decode(std::string_view kind, std::string_view body);

// The ref a posted question is remembered under, so its answer can replace it later.
std::string question_ref(std::string_view question, int round);

// Replies to a person's request, in order: answered questions update the message the
// button was on (or the question posted earlier), a stale press that changed nothing gets
// an ephemeral note, a text question asked from its "answer" button opens a modal, the
// rest are posted where the request came from.
std::vector<outbound> respond(const mapped& m, const std::vector<dialogs::reply>& replies);

// Replies nobody asked for just now (a nudge, a check-in): posted in the person's DM.
std::vector<outbound> direct_messages(const std::vector<dialogs::reply>& replies);

}  // namespace mlpath::slack
