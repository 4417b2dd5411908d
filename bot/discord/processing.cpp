#include "bot/discord/processing.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/discord/components.hpp"
#include "adapters/discord/outbound.hpp"
#include "bot/observe/log.hpp"
#include "bot/outbox/message.hpp"
#include "bot/turns/community.hpp"

namespace mlpath {

namespace json = boost::json;

discord_processor::discord_processor(storage::store& store, conversation_service& conversations, metrics& m,
                                     wall_clock_fn now)
    : store_(store), conversations_(conversations), metrics_(m), now_(std::move(now)) {
}

discord_processor::batch_outcome discord_processor::process(const std::vector<incoming>& interactions,
                                                            const std::vector<discord::dm_message>& dms) {
  batch_outcome out;
  out.answers.resize(interactions.size());
  try {
    storage::batch_guard g(store_);
    auto now = now_();
    for (std::size_t i = 0; i < interactions.size(); ++i) {
      const auto& in = interactions[i].in;
      if (!store_.inbox_add({"discord", in.id, "application/json", {}, now})) {
        metrics_.count("mlpath_inbound_duplicates_total", "platform=\"discord\"");
        out.answers[i].callback = json::serialize(discord::private_note("Already handled."));
        continue;
      }
      logs::log_scope context{{"platform", "discord"}, {"guild", in.guild_id}, {"interaction_id", in.id}};
      try {
        out.answers[i] = process_interaction(interactions[i]);
      } catch (const storage::storage_error&) {
        throw;  // the database failed, not the interaction: the batch is answered by deferral and retried
      } catch (const std::exception& e) {
        spdlog::error("discord: interaction {} failed: {}", in.id, e.what());
        out.answers[i] = {json::serialize(discord::private_note("Sorry, something went wrong on my side. Please try again.")),
                          false};
        store_.inbox_done("discord", in.id, now);
      }
    }
    for (const auto& m : dms) {
      if (!store_.inbox_add({"discord", "msg:" + m.id, "application/json", {}, now})) continue;
      logs::log_scope context{{"platform", "discord"}, {"event_id", "msg:" + m.id}};
      try {
        process_dm(m);
      } catch (const storage::storage_error&) {
        throw;
      } catch (const std::exception& e) {
        spdlog::error("discord: DM {} failed: {}", m.id, e.what());
        store_.inbox_done("discord", "msg:" + m.id, now);
      }
    }
    g.commit();
    out.committed = true;
  } catch (const std::exception& e) {
    attributed_.clear();  // the rolled-back batch may have held new attributions
    spdlog::error("discord: cannot store {} interactions: {}", interactions.size(), e.what());
  }
  return out;
}

void discord_processor::attribute(const discord::mapped& m, std::int64_t user_id) {
  if (m.guild_id.empty() || !user_id) return;
  if (!attributed_.insert({m.guild_id, user_id}).second) return;
  store_.note_community_member("discord", m.guild_id, user_id, now_());
}

json::object discord_processor::stats(const std::string& guild_id) {
  auto s = community_numbers(store_, conversations_.engine().material(), "discord", guild_id);
  return discord::callback(discord::channel_message, discord::render_stats(s, true));
}

discord_processor::answer discord_processor::plain(const incoming& work, const discord::mapped& m,
                                                   json::object callback) {
  const auto& in = work.in;
  auto now = now_();
  store_.inbox_done("discord", in.id, now);
  if (work.deferred) {
    for (auto& o : discord::after_deferral(in, m, {std::move(callback), {}}))
      store_.outbox_add(outbox::to_record(o, 0, {}, now));
    return {};
  }
  if (!work.via_gateway) return {json::serialize(callback), false};
  store_.outbox_add(outbox::to_record(discord::interaction_callback{in.id, in.token, std::move(callback)}, 0, {}, now));
  return {};
}

discord_processor::answer discord_processor::process_interaction(const incoming& work) {
  const discord::interaction& in = work.in;
  bool via_gateway = work.via_gateway;
  discord::mapped m = discord::map_interaction(in);
  auto now = now_();
  switch (m.action) {
    case discord::mapped_action::pong:
      return {R"({"type":1})", false};
    case discord::mapped_action::ignore:
      return plain(work, m, discord::private_note("I can't do anything with that. Try /mlpath help."));
    case discord::mapped_action::forbidden:
      return plain(work, m,
                   discord::private_note(m.guild_id.empty()
                                             ? "Community stats only exist inside a server."
                                             : "Community stats are for people with the Manage Server permission."));
    case discord::mapped_action::share: {
      std::int64_t id = store_.ensure_user(m.user, now);
      attribute(m, id);
      return plain(work, m, discord::callback(discord::channel_message, discord::render_share_card()));
    }
    case discord::mapped_action::stats:
      return plain(work, m, stats(m.guild_id));
    case discord::mapped_action::open_modal:
    case discord::mapped_action::dialog:
      break;
  }
  answer out;
  conversations_.handle(m.user, m.input, now, [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    attribute(m, turn.user_id);
    discord::interaction_response r = discord::respond(in, m, replies);
    if (work.deferred) {
      for (auto& o : discord::after_deferral(in, m, std::move(r)))
        turn.outbox.push_back(outbox::to_record(std::move(o), turn.user_id, {}, now));
      turn.inbox_done = std::make_pair(std::string("discord"), in.id);
      return;
    }
    if (via_gateway)
      turn.outbox.push_back(outbox::to_record(discord::interaction_callback{in.id, in.token, std::move(r.callback)},
                                              turn.user_id, {}, now));
    else
      out.callback = json::serialize(r.callback);
    out.followups = !r.followups.empty();
    for (auto& p : r.followups)
      turn.outbox.push_back(outbox::to_record(discord::followup{in.token, std::move(p)}, turn.user_id, {}, now));
    turn.inbox_done = std::make_pair(std::string("discord"), in.id);
  });
  return out;
}

void discord_processor::process_dm(const discord::dm_message& msg) {
  discord::mapped m = discord::map_dm(msg, bot_user_id_);
  auto now = now_();
  if (m.action != discord::mapped_action::dialog) {
    store_.inbox_done("discord", "msg:" + msg.id, now);
    return;
  }
  conversations_.handle(m.user, m.input, now, [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    for (auto& p : discord::channel_messages(replies))
      turn.outbox.push_back(outbox::to_record(discord::create_message{msg.channel_id, std::move(p)}, turn.user_id, {}, now));
    if (!turn.erase_user) store_.set_dm_channel(turn.user_id, msg.channel_id);
    turn.inbox_done = std::make_pair(std::string("discord"), "msg:" + msg.id);
  });
}

}  // namespace mlpath
