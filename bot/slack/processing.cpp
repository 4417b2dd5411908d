#include "bot/slack/processing.hpp"

#include <spdlog/spdlog.h>

#include "adapters/slack/blocks.hpp"
#include "adapters/slack/outbound.hpp"
#include "dialogs/home.hpp"
#include "bot/observe/log.hpp"

namespace mlpath {
namespace {

constexpr std::size_t max_batch = 256;
// Events waiting to be processed are held in memory up to this many; beyond it they stay
// only in the inbox (where they are anyway) and are read back when the queue drains.
constexpr std::size_t max_queued = 10000;

}  // namespace

slack_processor::slack_processor(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                                 slack_workspaces& workspaces, slack_web_client& api, outbox_dispatcher& outbox,
                                 metrics& m, wall_clock_fn now)
    : loop_(loop),
      store_(store),
      conversations_(conversations),
      workspaces_(workspaces),
      api_(api),
      outbox_(outbox),
      metrics_(m),
      now_(std::move(now)) {}

void slack_processor::accept(storage::inbox_event event, std::optional<slack::inbound> parsed) {
  if (spilled_ || work_.size() >= max_queued) spilled_ = true;
  else work_.push_back({std::move(event), std::move(parsed)});
  schedule();
}

void slack_processor::load_backlog() { reload_backlog(); }

void slack_processor::reload_backlog() {
  spilled_ = false;
  std::size_t loaded = 0;
  for (auto& e : store_.inbox_pending(max_queued)) {
    ++loaded;
    if (e.source == "slack") work_.push_back({std::move(e), std::nullopt});
  }
  if (loaded == max_queued) spilled_ = true;
}

void slack_processor::schedule() {
  if (scheduled_ || (work_.empty() && !spilled_)) return;
  scheduled_ = true;
  loop_.post([this] { process_batch(); });
}

void slack_processor::process_batch() {
  scheduled_ = false;
  if (!workspaces_.ready()) return;  // resumed once the workspaces are known
  if (work_.empty() && spilled_) {
    try {
      reload_backlog();
    } catch (const std::exception& e) {
      spdlog::error("slack: cannot read the inbox backlog: {}", e.what());
      loop_.after(std::chrono::seconds(1), [this] { schedule(); });
      return;
    }
  }
  std::size_t n = std::min(work_.size(), max_batch);
  try {
    storage::batch_guard g(store_);
    for (std::size_t i = 0; i < n; ++i) {
      try {
        process(work_[i]);
      } catch (const storage::storage_error&) {
        throw;  // the database failed, not the event: the whole batch is tried again
      } catch (const std::exception& e) {
        // A poison event must not be retried forever: record it and move on.
        logs::log_scope context{{"platform", "slack"}, {"event_id", work_[i].event.event_id}};
        spdlog::error("slack: event {} could not be processed: {}", work_[i].event.event_id, e.what());
        metrics_.count("mlpath_inbound_failed_total", "platform=\"slack\"");
        store_.inbox_done("slack", work_[i].event.event_id, now_());
      }
    }
    g.commit();
    work_.erase(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(n));
  } catch (const std::exception& e) {
    known_dm_.clear();  // the rolled-back batch may have held new DM channels
    attributed_.clear();
    spdlog::error("slack: cannot commit processed events ({}); retrying in 1 s", e.what());
    loop_.after(std::chrono::seconds(1), [this] { schedule(); });
    return;
  }
  outbox_.kick();
  schedule();
}

void slack_processor::process(const work_item& w) {
  std::optional<slack::inbound> reparsed;
  if (!w.parsed) {
    // Read back from the inbox after a restart or a spill.
    auto parsed = slack::parse_inbound(w.event.content_type, w.event.payload);
    if (!std::holds_alternative<slack::inbound>(parsed)) {
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    }
    reparsed = std::move(std::get<slack::inbound>(parsed));
  }
  const slack::inbound& in = w.parsed ? *w.parsed : *reparsed;
  logs::log_scope context{{"platform", "slack"}, {"team", in.team_id}, {"event_id", w.event.event_id}};
  // A team of an org-wide install is served by the org's installation (and its token).
  if (in.enterprise_install) workspaces_.note_team(in.team_id, in.enterprise_id);
  slack::mapped m = slack::map_inbound(in, workspaces_.identity(in.team_id));
  bool lifecycle = m.action == slack::mapped_action::uninstall || m.action == slack::mapped_action::revoke ||
                   m.action == slack::mapped_action::teams_revoked ||
                   m.action == slack::mapped_action::rate_limited || m.action == slack::mapped_action::ignore;
  if (!lifecycle && !workspaces_.knows(in.team_id, in.enterprise_id, in.enterprise_install)) {
    // Stored before its workspace was uninstalled: nobody there may be recreated or messaged.
    spdlog::info("slack: dropped {}: the workspace is no longer installed", w.event.event_id);
    store_.inbox_done("slack", w.event.event_id, now_());
    return;
  }
  switch (m.action) {
    case slack::mapped_action::ignore:
      spdlog::debug("slack: ignored {}: {}", w.event.event_id, m.reason);
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    case slack::mapped_action::uninstall:
      workspaces_.uninstalled(in.team_id, in.enterprise_id, in.enterprise_install);
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    case slack::mapped_action::revoke:
      workspaces_.revoked(in.team_id, in.enterprise_id, in.enterprise_install, in.revoked_bot_users);
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    case slack::mapped_action::teams_revoked:
      workspaces_.teams_revoked(in.enterprise_id, in.revoked_teams);
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    case slack::mapped_action::rate_limited:
      spdlog::warn("slack: Slack reports it is rate-limiting events for team {}", in.team_id);
      metrics_.count("mlpath_slack_app_rate_limited_total");
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    case slack::mapped_action::home:
      publish_home(m.where.user, w.event.event_id);
      return;
    case slack::mapped_action::share:
    case slack::mapped_action::stats: {
      // Answered in the acknowledgement (the card, the numbers); the person counts as a
      // member of this workspace's community.
      std::int64_t id = store_.ensure_user(m.where.user, now_());
      attribute(m.where.user, id);
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    }
    case slack::mapped_action::open_modal:
      // The input is the pressed cmd:answer token (with its round): the engine re-asks the
      // question if it is still open, and the question becomes a modal.
    case slack::mapped_action::dialog:
      break;
  }
  auto now = now_();
  learn_zone(m.where.user);
  conversations_.handle(m.where.user, m.input, now, [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    for (auto& o : slack::respond(m, replies))
      turn.outbox.push_back(outbox::to_record(std::move(o), turn.user_id, in.team_id, now));
    if (!turn.erase_user) attribute(m.where.user, turn.user_id);
    // A press on the Home tab changed what the page shows: it is published again.
    if (m.from_home && !turn.erase_user)
      turn.outbox.push_back(outbox::to_record(home_page(m.where.user, turn.user_id, turn.state, false), turn.user_id,
                                              in.team_id, now));
    turn.inbox_done = std::make_pair(std::string("slack"), w.event.event_id);
    if (in.channel_type == "im" && !in.channel.empty() && !turn.erase_user) {
      auto known = known_dm_.find(turn.user_id);
      if (known == known_dm_.end() || known->second != in.channel) {
        store_.set_dm_channel(turn.user_id, in.channel);
        known_dm_[turn.user_id] = in.channel;
      }
    }
  });
}

void slack_processor::attribute(const dialogs::user_ref& user, std::int64_t user_id) {
  if (!user_id || user.tenant.empty() || !attributed_.insert(user_id).second) return;
  store_.note_community_member("slack", user.tenant, user_id, now_());
}

slack::publish_home slack_processor::home_page(const dialogs::user_ref& user, std::int64_t user_id,
                                               const dialogs::conversation& c, bool first_visit) {
  std::vector<std::string> earlier;
  if (c.at != dialogs::stage::done)
    if (auto r = store_.load_result(user_id)) earlier = r->primary;
  auto page = dialogs::home_for(conversations_.engine(), c, first_visit, earlier);
  return slack::publish_home{user.user, slack::render_home(page)};
}

void slack_processor::publish_home(const dialogs::user_ref& user, const std::string& event_id) {
  auto now = now_();
  std::int64_t id = store_.ensure_user(user, now);
  auto loaded = store_.load_conversation(id);
  bool first = store_.first_home_visit(id, now);
  attribute(user, id);
  store_.outbox_add(outbox::to_record(home_page(user, id, loaded.state, first), id, user.tenant, now));
  store_.inbox_done("slack", event_id, now);
}

void slack_processor::learn_zone(const dialogs::user_ref& user) {
  if (user.user.empty() || !zone_asked_.insert({user.tenant, user.user}).second) return;
  std::string token = workspaces_.token_for(user.tenant);
  if (token.empty()) return;
  api_.call_form(user.tenant, token, "users.info", {{"user", user.user}}, [this, user](const slack::api_response& r) {
    if (!r.ok || r.tz.empty()) {
      if (!r.ok) spdlog::debug("slack: users.info for a person failed ({}); their zone stays unknown", r.error);
      return;
    }
    try {
      storage::batch_guard g(store_);
      conversations_.handle(user, dialogs::input::due("zone_hint", r.tz), now_());
      g.commit();
    } catch (const std::exception& e) {
      zone_asked_.erase({user.tenant, user.user});  // try again next time they write
      spdlog::warn("slack: cannot store a person's time zone: {}", e.what());
    }
  });
}

}  // namespace mlpath
