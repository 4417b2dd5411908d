#pragma once
// Slack processing: takes acknowledged events (in memory, or read back from the inbox
// after a restart or a spill), maps each to an engine input, runs the turn, and commits
// the new state, the replies as typed outbox messages and the inbox record together —
// one transaction per batch. Both transports (HTTP, Socket Mode) feed this one path.
//
// Threading: the event loop's thread.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/outbound.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"
#include "bot/turns/conversation_service.hpp"

namespace mlpath {

class slack_processor {
 public:
  slack_processor(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                  slack_workspaces& workspaces, slack_web_client& api, outbox_dispatcher& outbox, metrics& m,
                  wall_clock_fn now);

  // An event now stored in the inbox; `parsed` spares parsing it again.
  void accept(storage::inbox_event event, std::optional<slack::inbound> parsed);
  // Reads what the inbox still holds from before a restart; call once, before any accept().
  void load_backlog();
  // Processes what is waiting (e.g. once the workspaces are known).
  void kick() { schedule(); }

 private:
  struct work_item {
    storage::inbox_event event;
    std::optional<slack::inbound> parsed;
  };

  void schedule();
  void reload_backlog();
  void process_batch();
  void process(const work_item& w);
  // The person's time zone from their Slack profile (users.info), once per process run:
  // check-ins set without a zone use it, and follow it when it changes.
  void learn_zone(const dialogs::user_ref& user);
  // The person counts as a member of their workspace's community (for /mlpath stats).
  void attribute(const dialogs::user_ref& user, std::int64_t user_id);
  // app_home_opened: the person's home page, published (views.publish through the outbox).
  void publish_home(const dialogs::user_ref& user, const std::string& event_id);
  slack::publish_home home_page(const dialogs::user_ref& user, std::int64_t user_id, const dialogs::conversation& c,
                                bool first_visit);

  net::event_loop& loop_;
  storage::store& store_;
  conversation_service& conversations_;
  slack_workspaces& workspaces_;
  slack_web_client& api_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  wall_clock_fn now_;

  std::deque<work_item> work_;
  bool scheduled_ = false;
  bool spilled_ = false;  // some unprocessed events are only in the inbox
  // user id -> DM channel already stored; written inside batches, so cleared when one rolls back.
  std::map<std::int64_t, std::string> known_dm_;
  std::set<std::pair<std::string, std::string>> zone_asked_;  // (team, user) looked up this run
  std::set<std::int64_t> attributed_;  // community membership already noted; cleared when a batch rolls back
};

}  // namespace mlpath
