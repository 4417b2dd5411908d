#include "bot/slack/sender.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/common/overloaded.hpp"

namespace mlpath {

namespace json = boost::json;

namespace {

send_result result_of(const slack::api_response& r) {
  if (r.ok) return send_result::ok();
  std::string why = r.error;
  if (!r.needed.empty()) why += " (needs scope " + r.needed + ")";
  for (const auto& msg : r.messages) why += "; " + msg;
  if (r.maybe_delivered) return send_result::unknown(why).because(r.retry_reason());
  if (r.transient()) return send_result::again(why, r.retry_after.value_or(std::chrono::seconds(0))).because(r.retry_reason());
  return send_result::give_up(why);
}

// How far before a message's creation its post may appear in the channel's history:
// Slack's clock and ours may disagree by this much.
constexpr std::chrono::minutes clock_margin{15};
// conversations.history pages looked through before concluding the post is absent.
constexpr int max_history_pages = 5;

// The message may be gone or too old to edit; the record of an answer is a nicety.
bool update_not_possible(const slack::api_response& r) {
  return !r.ok && (r.error == "message_not_found" || r.error == "cant_update_message" || r.error == "edit_window_closed");
}

json::object with(json::object payload, std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  for (const auto& [k, v] : fields) payload[k] = v;
  return payload;
}

}  // namespace

slack_sender::slack_sender(storage::store& store, slack_web_client& api, slack_workspaces& workspaces, metrics& m)
    : store_(store), api_(api), workspaces_(workspaces), metrics_(m) {}

send_result slack_sender::outcome(const std::string& team, const std::string& token, const slack::api_response& r) {
  // A rotating token ran out: transient once a refresh is under way (or done), so the
  // outbox sends it again with the new token.
  if (!r.ok && r.error == "token_expired" && workspaces_.token_expired(team, token))
    return send_result::again("token_expired: the workspace's token is being refreshed", std::chrono::seconds(1))
        .because("token_expired");
  return result_of(r);
}

void slack_sender::send(const storage::outbox_message& record, const slack::outbound& what, send_done done) {
  std::string token = workspaces_.token_for(record.tenant);
  if (token.empty()) {
    done(send_result::give_up("no Slack token for workspace " + record.tenant));
    return;
  }
  auto finish = [this, tenant = record.tenant, token, done](const slack::api_response& r) {
    done(outcome(tenant, token, r));
  };
  std::visit(
      adapters::overloaded{
          [&](const slack::post_message& m) {
            if (!m.channel.empty()) {
              post(record, m, m.channel, std::move(done));
              return;
            }
            if (auto dm = record.user_id ? store_.dm_channel(record.user_id) : std::nullopt) {
              post(record, m, *dm, std::move(done));
              return;
            }
            auto who = record.user_id ? store_.user_by_id(record.user_id) : std::nullopt;
            if (!who) {
              done(send_result::give_up("no channel and no person to open a DM with"));
              return;
            }
            api_.call_json(record.tenant, token, "conversations.open", json::serialize(json::object{{"users", who->user}}),
                           [this, record, m, token, done](const slack::api_response& r) {
                             if (!r.ok || r.channel_id.empty()) {
                               done(outcome(record.tenant, token, r));
                               return;
                             }
                             try {
                               store_.set_dm_channel(record.user_id, r.channel_id);
                             } catch (const std::exception& e) {
                               spdlog::warn("slack: cannot remember a DM channel: {}", e.what());
                             }
                             post(record, m, r.channel_id, done);
                           });
          },
          [&](const slack::update_message& m) {
            update(record.tenant, token, m.channel, m.ts, m.payload, std::move(done));
          },
          [&](const slack::update_posted& m) {
            auto where = store_.find_message(record.user_id, m.ref);
            if (!where) {
              done(send_result::ok());  // never posted: nothing to update
              return;
            }
            update(record.tenant, token, where->first, where->second, m.payload, std::move(done));
          },
          [&](const slack::post_ephemeral& m) {
            api_.call_json(record.tenant, token, "chat.postEphemeral",
                           json::serialize(with(m.payload, {{"channel", m.channel}, {"user", m.user}})), finish);
          },
          [&](const slack::open_view& m) {
            api_.call_json(record.tenant, token, "views.open",
                           json::serialize(json::object{{"trigger_id", m.trigger_id}, {"view", m.view}}), finish);
          },
          [&](const slack::publish_home& m) {
            api_.call_json(record.tenant, token, "views.publish",
                           json::serialize(json::object{{"user_id", m.user}, {"view", m.view}}), finish);
          },
      },
      what);
}

void slack_sender::update(const std::string& team, const std::string& token, const std::string& channel,
                          const std::string& ts, const json::object& payload, send_done done) {
  api_.call_json(team, token, "chat.update", json::serialize(with(payload, {{"channel", channel}, {"ts", ts}})),
                 [this, team, token, done](const slack::api_response& r) {
                   if (update_not_possible(r)) done(send_result::ok());
                   else done(outcome(team, token, r));
                 });
}

void slack_sender::post(const storage::outbox_message& record, const slack::post_message& m, std::string channel,
                        send_done done) {
  if (record.in_doubt) {
    // An earlier send may have reached Slack: look for it before posting again.
    reconcile(record, m, std::move(channel), {}, 1, std::move(done));
    return;
  }
  std::string token = workspaces_.token_for(record.tenant);
  json::object payload = with(m.payload, {{"channel", channel}});
  payload["metadata"] = slack::outbox_metadata(record.id);
  api_.call_json(
      record.tenant, token, "chat.postMessage", json::serialize(payload),
      [this, record, ref = m.ref, channel, token, done](const slack::api_response& r) {
        if (r.ok) remember(record, ref, r.channel_id.empty() ? channel : r.channel_id, r.ts);
        if (!r.warning.empty()) spdlog::warn("slack: chat.postMessage warning: {}", r.warning);
        done(outcome(record.tenant, token, r));
      },
      channel);
}

void slack_sender::remember(const storage::outbox_message& record, const std::string& ref, const std::string& channel,
                            const std::string& ts) {
  if (ref.empty() || !record.user_id) return;
  try {
    store_.remember_message(record.user_id, ref, channel, ts);
  } catch (const std::exception& e) {
    spdlog::warn("slack: cannot remember a posted message: {}", e.what());
  }
}

void slack_sender::reconcile(const storage::outbox_message& record, const slack::post_message& m, std::string channel,
                             std::string cursor, int page, send_done done) {
  std::string token = workspaces_.token_for(record.tenant);
  auto oldest = std::chrono::duration_cast<std::chrono::seconds>((record.created_at - clock_margin).time_since_epoch());
  std::vector<std::pair<std::string, std::string>> args{{"channel", channel},
                                                        {"include_all_metadata", "true"},
                                                        {"oldest", std::to_string(std::max<long long>(0, oldest.count()))},
                                                        {"limit", "100"}};
  if (!cursor.empty()) args.emplace_back("cursor", cursor);
  api_.call_form(
      record.tenant, token, "conversations.history", std::move(args),
      [this, record, m, channel, page, token, done](const slack::api_response& r) {
        if (!r.ok && r.error == "token_expired") {
          // Still in doubt: looked for again with the new token.
          send_result again = outcome(record.tenant, token, r);
          if (again.what == send_result::status::retry) again.uncertain = true;
          done(std::move(again));
          return;
        }
        if (!r.ok && r.transient()) {
          // Still unknown: keep the doubt and ask again later.
          done(send_result::unknown("looking for an earlier send: " + r.error).because(r.retry_reason()));
          return;
        }
        if (r.ok) {
          if (auto ts = slack::find_outbox_post(r, record.id)) {
            spdlog::info("slack: message {} had reached Slack before (ts {}); not posting it again", record.id, *ts);
            metrics_.count("mlpath_outbox_reconciled_total", "outcome=\"found\"");
            remember(record, m.ref, channel, *ts);
            done(send_result::ok());
            return;
          }
          if (!r.next_cursor.empty() && page < max_history_pages) {
            reconcile(record, m, channel, r.next_cursor, page + 1, done);
            return;
          }
          metrics_.count("mlpath_outbox_reconciled_total", "outcome=\"absent\"");
        } else {
          // The history cannot be read (a missing scope, say): a possible duplicate is
          // better than a lost reply.
          spdlog::warn("slack: cannot look for an earlier send of message {} ({}); posting it", record.id, r.error);
        }
        storage::outbox_message sure = record;
        sure.in_doubt = false;
        post(sure, m, channel, done);
      });
}

}  // namespace mlpath
