#include "bot/cli/user_export_json.hpp"

#include <boost/json.hpp>
#include <cstdio>

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
  // The schedule as an array of at most one (the export's shape since the first version).
  json::array checkins;
  json::array checkin_history;
  if (e.checkins) {
    const dialogs::checkin_book& b = *e.checkins;
    if (b.scheduled) {
      char local_time[6];
      std::snprintf(local_time, sizeof local_time, "%02d:%02d", b.slot.hour, b.slot.minute);
      checkins.push_back(json::object{{"weekday", b.slot.weekday},
                                      {"local_time", local_time},
                                      {"tz", b.slot.zone},
                                      {"next_due_at", maybe(b.next_due)},
                                      {"active", b.active},
                                      {"paused", b.paused},
                                      {"paused_until", maybe(b.paused_until)},
                                      {"paused_reason", text_or_null(b.paused_reason)}});
    }
    for (const auto& h : b.history) {
      json::array moved;
      for (const auto& m : h.moved) moved.emplace_back(m);
      checkin_history.push_back(json::object{{"week", h.week},
                                             {"due_at", secs(h.due)},
                                             {"sent_at", h.sent.time_since_epoch().count() ? json::value(secs(h.sent)) : json::value(nullptr)},
                                             {"reminded_at", maybe(h.reminded)},
                                             {"answered_at", maybe(h.answered)},
                                             {"late", h.late},
                                             {"skipped", h.skipped},
                                             {"progress", text_or_null(h.progress)},
                                             {"moved", std::move(moved)},
                                             {"moved_text", text_or_null(h.moved_text)},
                                             {"next_step", text_or_null(h.next_step)}});
    }
  }
  doc["checkins"] = std::move(checkins);
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
