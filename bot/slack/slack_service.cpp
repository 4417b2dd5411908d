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
      ingress_(loop, store, workspaces_, processor_, m, s.signing_secret, now),
      sender_(store, api, workspaces_, m),
      oauth_(api, workspaces_, {s.client_id, s.client_secret, s.redirect_uri}, now) {
  outbox.set_sender([this](const storage::outbox_message& record, const slack::outbound& what, send_done done) {
    sender_.send(record, what, std::move(done));
  });
}

void slack_service::start() {
  // Resume what was acknowledged but not processed before the last stop, once we know
  // which bot we are in each workspace.
  processor_.load_backlog();
  workspaces_.start([this] { processor_.kick(); });
}

}  // namespace mlpath
