#include "bot/cli/user_export_json.hpp"

#include <boost/json.hpp>

#include "adapters/console/reply_json.hpp"

namespace mlpath {
namespace json = boost::json;

namespace {

std::int64_t secs(dialogs::timestamp t) { return t.time_since_epoch().count(); }

json::value maybe(const std::optional<dialogs::timestamp>& t) {
  return t ? json::value(secs(*t)) : json::value(nullptr);
}

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

}  // namespace

json::object user_export_json(const storage::user_export& e) {
  json::object doc;
  doc["user"] = json::object{{"platform", e.user.platform},
                             {"tenant", e.user.tenant},
                             {"user", e.user.user},
                             {"created_at", secs(e.created_at)}};
  doc["conversation"] = nullptr;
  if (e.conversation) {
    const dialogs::conversation& c = *e.conversation;
    json::array answers;
    for (const auto& a : c.answers) {
      json::object o = console::answer_json(a);
      o["answered_at"] = secs(a.at);
      answers.push_back(std::move(o));
    }
    doc["conversation"] = json::object{{"flow", c.flow_id},
                                       {"flow_version", c.flow_version},
                                       {"stage", dialogs::to_string(c.at)},
                                       {"current_question", c.current},
                                       {"round", c.round},
                                       {"started_at", secs(c.started)},
                                       {"last_activity", secs(c.last_activity)},
                                       {"answers", std::move(answers)}};
  }
  json::array history;
  for (const auto& h : e.history) {
    json::object o = console::answer_json(h.given);
    o["text"] = h.given.text;
    o["round"] = h.round;
    o["flow_version"] = h.flow_version;
    o["answered_at"] = secs(h.given.at);
    history.push_back(std::move(o));
  }
  doc["answer_history"] = std::move(history);
  doc["result"] = nullptr;
  if (e.result) {
    std::error_code ec;
    json::value match = json::parse(e.result->json, ec);
    doc["result"] = json::object{{"scoring_version", e.result->scoring_version},
                                 {"computed_at", secs(e.result->computed_at)},
                                 {"match", ec ? json::value(e.result->json) : std::move(match)}};
  }
  json::array checkins;
  for (const auto& s : e.checkins)
    checkins.push_back(json::object{{"weekday", s.weekday},
                                    {"local_time", s.local_time},
                                    {"tz", s.zone},
                                    {"next_due_at", secs(s.next_due)},
                                    {"active", s.active},
                                    {"paused_reason", text_or_null(s.paused_reason)}});
  doc["checkins"] = std::move(checkins);
  json::array checkin_history;
  for (const auto& h : e.checkin_history)
    checkin_history.push_back(json::object{{"week", h.week},
                                           {"sent_at", maybe(h.sent_at)},
                                           {"reminded_at", maybe(h.reminded_at)},
                                           {"answered_at", maybe(h.answered_at)},
                                           {"progress", text_or_null(h.progress)},
                                           {"note", text_or_null(h.note)}});
  doc["checkin_history"] = std::move(checkin_history);
  json::array messages;
  for (const auto& m : e.messages)
    messages.push_back(json::object{{"platform", m.platform},
                                    {"kind", m.kind},
                                    {"body", m.body},
                                    {"created_at", secs(m.created_at)},
                                    {"sent_at", maybe(m.sent_at)}});
  doc["messages"] = std::move(messages);
  return doc;
}

}  // namespace mlpath
