#pragma once
// Slack sending: each typed outbox message becomes its Web API call (chat.postMessage,
// chat.update, chat.postEphemeral, views.open), with the workspace's token; a DM is
// opened first where no channel is known. Web API answers become send results: ok is
// sent, transient errors are retried by the outbox, permanent ones end the message;
// token_expired (a rotating token ran out) is transient: the workspace refreshes the
// token and the outbox sends again with the new one.
// Every post carries its outbox id in Slack message metadata (event_type mlpath_outbox);
// a post whose earlier send may have reached Slack (record.in_doubt) is first looked for
// in the channel's history (conversations.history, include_all_metadata) and only posted
// when it is not there.
//
// Threading: the event loop's thread.

#include "adapters/slack/outbound.hpp"
#include "bot/outbox/sender.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"

namespace mlpath {

class slack_sender {
 public:
  slack_sender(storage::store& store, slack_web_client& api, slack_workspaces& workspaces, metrics& m);

  void send(const storage::outbox_message& record, const slack::outbound& what, send_done done);

 private:
  void post(const storage::outbox_message& record, const slack::post_message& m, std::string channel, send_done done);
  void reconcile(const storage::outbox_message& record, const slack::post_message& m, std::string channel,
                 std::string cursor, int page, send_done done);
  void remember(const storage::outbox_message& record, const std::string& ref, const std::string& channel,
                const std::string& ts);
  void update(const std::string& team, const std::string& token, const std::string& channel, const std::string& ts,
              const boost::json::object& payload, send_done done);
  // The send result of a Web API answer; token_expired asks the workspace for a refresh.
  send_result outcome(const std::string& team, const std::string& token, const slack::api_response& r);

  storage::store& store_;
  slack_web_client& api_;
  slack_workspaces& workspaces_;
  metrics& metrics_;
};

}  // namespace mlpath
