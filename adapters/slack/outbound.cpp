#include "adapters/slack/outbound.hpp"

#include <boost/json.hpp>

#include "adapters/common/json_fields.hpp"
#include "adapters/common/overloaded.hpp"
#include "adapters/slack/blocks.hpp"

namespace mlpath::slack {
namespace {

namespace json = boost::json;
using adapters::overloaded;
using adapters::string_field;
using adapters::object_field;

}  // namespace

const char* kind_of(const outbound& m) {
  return std::visit(overloaded{
                        [](const post_message&) { return "slack.post"; },
                        [](const update_message&) { return "slack.update"; },
                        [](const update_posted&) { return "slack.update_ref"; },
                        [](const post_ephemeral&) { return "slack.ephemeral"; },
                        [](const open_view&) { return "slack.views_open"; },
                        [](const publish_home&) { return "slack.views_publish"; },
                    },
                    m);
}

std::string encode(const outbound& m) {
  json::object o = std::visit(
      overloaded{
          [](const post_message& x) {
            return json::object{{"channel", x.channel}, {"ref", x.ref}, {"payload", x.payload}};
          },
          [](const update_message& x) {
            return json::object{{"channel", x.channel}, {"ts", x.ts}, {"payload", x.payload}};
          },
          [](const update_posted& x) { return json::object{{"ref", x.ref}, {"payload", x.payload}}; },
          [](const post_ephemeral& x) {
            return json::object{{"channel", x.channel}, {"user", x.user}, {"payload", x.payload}};
          },
          [](const open_view& x) { return json::object{{"trigger_id", x.trigger_id}, {"view", x.view}}; },
          [](const publish_home& x) { return json::object{{"user", x.user}, {"view", x.view}}; },
      },
      m);
  return json::serialize(o);
}

std::optional<outbound> decode(std::string_view kind, std::string_view body) {
  std::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  if (kind == "slack.views_open") {
    const json::object* view = object_field(o, "view");
    if (!view) return std::nullopt;
    return open_view{string_field(o, "trigger_id"), *view};
  }
  if (kind == "slack.views_publish") {
    const json::object* view = object_field(o, "view");
    if (!view || string_field(o, "user").empty()) return std::nullopt;
    return publish_home{string_field(o, "user"), *view};
  }
  const json::object* payload = object_field(o, "payload");
  if (!payload) return std::nullopt;
  if (kind == "slack.post") return post_message{string_field(o, "channel"), string_field(o, "ref"), *payload};
  if (kind == "slack.update") return update_message{string_field(o, "channel"), string_field(o, "ts"), *payload};
  if (kind == "slack.update_ref") return update_posted{string_field(o, "ref"), *payload};
  if (kind == "slack.ephemeral") return post_ephemeral{string_field(o, "channel"), string_field(o, "user"), *payload};
  return std::nullopt;
}

std::string question_ref(std::string_view question, int round) {
  return "q:" + std::string(question) + ":r" + std::to_string(round);
}

std::vector<outbound> respond(const mapped& m, const std::vector<dialogs::reply>& replies) {
  bool changed = false;
  for (const auto& r : replies) changed = changed || dialogs::changes_state(r);
  // A press that changed nothing (a stale or repeated button) gets a note only its presser sees.
  bool ephemeral = m.input.from_button && !changed && !m.where.channel.empty();
  std::vector<outbound> out;
  for (const auto& r : replies) {
    if (const auto* a = std::get_if<dialogs::answered_reply>(&r)) {
      // The question message becomes the record of its answer, so it cannot be pressed twice.
      json::object record = render_answered(*a);
      if (!m.where.message_ts.empty() && !m.where.ephemeral)
        out.push_back(update_message{m.where.channel, m.where.message_ts, std::move(record)});
      else
        out.push_back(update_posted{question_ref(a->question, a->round), std::move(record)});
      continue;
    }
    if (const auto* q = std::get_if<dialogs::question_reply>(&r)) {
      if (m.action == mapped_action::open_modal && q->question == m.question && !m.where.trigger_id.empty()) {
        out.push_back(open_view{m.where.trigger_id, render_text_modal(*q)});
        continue;
      }
      for (auto& msg : render_reply(r))
        out.push_back(post_message{m.where.channel, question_ref(q->question, q->round), std::move(msg)});
      continue;
    }
    for (auto& msg : render_reply(r)) {
      if (ephemeral) out.push_back(post_ephemeral{m.where.channel, m.where.user.user, std::move(msg)});
      else out.push_back(post_message{m.where.channel, {}, std::move(msg)});
    }
  }
  return out;
}

std::vector<outbound> direct_messages(const std::vector<dialogs::reply>& replies) {
  std::vector<outbound> out;
  for (const auto& r : replies) {
    // A question is remembered like one asked in a conversation, so its answer replaces it.
    const auto* q = std::get_if<dialogs::question_reply>(&r);
    std::string ref = q ? question_ref(q->question, q->round) : std::string();
    for (auto& msg : render_reply(r)) out.push_back(post_message{{}, ref, std::move(msg)});
  }
  return out;
}

}  // namespace mlpath::slack
