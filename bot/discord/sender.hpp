#pragma once
// Discord sending: each typed outbox message becomes its REST call (a channel message
// with the outbox id as nonce, a follow-up webhook, an interaction callback), opening the
// person's DM channel first where none is known. A follow-up waits while the callback of
// its interaction is still being written as an HTTP response (hold/release), because
// Discord refuses follow-ups to an unanswered interaction.
//
// Threading: the event loop's thread.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "adapters/discord/outbound.hpp"
#include "bot/discord/rest_client.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/outbox/sender.hpp"
#include "storage/store.hpp"

namespace mlpath {

class discord_sender {
 public:
  // `rest` may be null (no DISCORD_BOT_TOKEN): every send then fails permanently.
  discord_sender(net::event_loop& loop, storage::store& store, discord_rest* rest, std::string application_id);

  void send(const storage::outbox_message& record, const discord::outbound& what, send_done done);

  // The interaction with this token is being answered in an HTTP response: its follow-ups
  // wait until release() (the response was written) or a safety timeout.
  void hold(const std::string& token);
  void release(const std::string& token);

  static constexpr std::chrono::seconds hold_timeout{3};

 private:
  void create_message(const storage::outbox_message& record, const discord::create_message& m, const std::string& channel,
                      send_done done);
  void send_followup(const discord::followup& m, send_done done);

  net::event_loop& loop_;
  storage::store& store_;
  discord_rest* rest_;
  std::string application_id_;
  std::map<std::string, std::vector<std::function<void()>>> held_;  // token -> parked follow-ups
};

}  // namespace mlpath
