#include "bot/discord/discord_service.hpp"

#include "bot/discord/gateway.hpp"

namespace mlpath {

discord_service::discord_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                                 discord_rest* rest, outbox_dispatcher& outbox, metrics& m, settings s,
                                 wall_clock_fn now)
    : loop_(loop),
      store_(store),
      metrics_(m),
      now_(now),
      rest_(rest),
      settings_(std::move(s)),
      processor_(store, conversations, m, std::move(now)),
      sender_(loop, store, rest, settings_.application_id),
      ingress_(loop, store, processor_, sender_, outbox, m, settings_.public_key) {
  outbox.set_sender([this](const storage::outbox_message& record, const discord::outbound& what, send_done done) {
    sender_.send(record, what, std::move(done));
  });
}

discord_service::~discord_service() = default;

void discord_service::start() {
  if (rest_ && !settings_.bot_token.empty()) {
    gateway_ = std::make_unique<discord_gateway>(
        loop_, *rest_, store_, metrics_, now_,
        discord_gateway::settings{settings_.bot_token, settings_.shards, settings_.ca_file},
        [this](const std::string& event, std::string_view d) { ingress_.on_dispatch(event, d); },
        [this](const std::string& user_id) { processor_.set_bot_user_id(user_id); });
    gateway_->start();
  }
}

bool discord_service::ready() const { return !gateway_ || gateway_->ready(); }

std::string discord_service::not_ready() const {
  return ready() ? std::string() : std::string("the gateway has not reached READY or RESUMED");
}

void discord_service::suspend(std::function<void()> done) {
  if (!gateway_) {
    done();
    return;
  }
  gateway_->suspend(std::move(done));
}

}  // namespace mlpath
