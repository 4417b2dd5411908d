#include "bot/slack/slack_service.hpp"

namespace mlpath {

namespace {

slack_workspaces::options workspace_options(const slack_service::settings& s) {
  slack_workspaces::options o;
  o.client_id = s.client_id;  // refreshing rotating tokens needs the app's credentials
  o.client_secret = s.client_secret;
  return o;
}

}  // namespace

slack_service::slack_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                             slack_web_client& api, outbox_dispatcher& outbox, metrics& m, settings s,
                             wall_clock_fn now)
    : workspaces_(loop, store, api, s.bot_token, now, workspace_options(s)),
      processor_(loop, store, conversations, workspaces_, api, outbox, m, now),
      ingress_(loop, store, workspaces_, processor_, conversations.engine().material(), m, s.signing_secret, now),
      sender_(store, api, workspaces_, m),
      oauth_(api, workspaces_, {s.client_id, s.client_secret, s.redirect_uri}, now) {
  outbox.set_sender([this](const storage::outbox_message& record, const slack::outbound& what, send_done done) {
    sender_.send(record, what, std::move(done));
  });
  if (!s.app_token.empty()) {
    socket_ = std::make_unique<slack_socket_mode>(
        loop, api, m, s.app_token, s.ca_file, [this](int connection, slack::socket_frame frame) {
          std::string id = frame.envelope_id;
          ingress_.handle_envelope(std::move(frame), [this, connection, id](const std::string& payload) {
            if (socket_) socket_->ack(connection, id, payload);
          });
        });
  }
}

void slack_service::stop() {
  if (socket_) socket_->stop();
  workspaces_.stop();
}

std::string slack_service::not_ready() const {
  if (!workspaces_.ready()) return "auth.test has not passed yet";
  if (socket_ && socket_->failed()) return socket_->failure();
  if (socket_ && !socket_->ready()) return "Socket Mode has no connection that said hello";
  return {};
}

void slack_service::start() {
  // Resume what was acknowledged but not processed before the last stop, once we know
  // which bot we are in each workspace.
  processor_.load_backlog();
  workspaces_.start([this] { processor_.kick(); });
  if (socket_) socket_->start();
}

}  // namespace mlpath
