#include "bot/turns/conversation_service.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "adapters/console/reply_json.hpp"

namespace mlpath {

conversation_service::conversation_service(const dialogs::engine& engine, storage::store& store)
    : engine_(engine), store_(store) {}

namespace {

storage::stored_result to_stored(const dialogs::result_reply& r, dialogs::timestamp now) {
  storage::stored_result s;
  s.scoring_version = r.match.scoring_version;
  s.flow_version = r.match.flow_version;
  s.primary = r.match.primary;
  s.confidence = dialogs::to_string(r.match.level);
  s.json = boost::json::serialize(console::result_json(r));
  s.computed_at = now;
  return s;
}

}  // namespace

conversation_service::outcome conversation_service::handle(const storage::user_ref& user, const dialogs::input& in,
                                                           dialogs::timestamp now, const turn_hook& hook) {
  std::int64_t id = store_.ensure_user(user, now);
  // Optimistic concurrency: another process (a second terminal, the service) may have
  // moved the same conversation on; then the turn is replayed on the fresh state.
  for (int attempt = 0;; ++attempt) {
    storage::loaded_conversation before = store_.load_conversation(id);
    dialogs::step_result r = engine_.step(before.state, in, now);
    outcome out{std::move(r.replies), r.erase_user};
    storage::turn_record t;
    t.user_id = id;
    t.now = now;
    t.expected_revision = before.revision;
    t.erase_user = r.erase_user;
    for (const auto& a : r.state.answers) {
      const dialogs::answer* old = dialogs::find_answer(before.state.answers, a.question);
      if (!old || !(*old == a)) t.new_answers.push_back(a);
    }
    if (r.result_ready) {
      for (const auto& reply : out.replies)
        if (const auto* res = std::get_if<dialogs::result_reply>(&reply)) t.result = to_stored(*res, now);
    } else if (r.state.at == dialogs::stage::done) {
      // Weights changed since the stored result was computed: recompute from the raw answers.
      auto stored = store_.load_result(id);
      if (stored && stored->scoring_version != engine_.material().scoring.version)
        t.result = to_stored(engine_.result_for(r.state.answers), now);
    }
    t.expected_checkin_revision = before.checkin_revision;
    t.checkins_changed = !(r.state.checkins == before.state.checkins) ||
                         std::any_of(r.state.checkins.history.begin(), r.state.checkins.history.end(),
                                     [](const dialogs::checkin_entry& e) { return e.changed; });
    t.state = std::move(r.state);
    if (hook) hook(out.replies, t);
    try {
      store_.save_turn(t);
      if (t.checkins_changed && checkins_changed_) checkins_changed_(before.state.checkins, t.state.checkins);
      ++turns_;
      return out;
    } catch (const storage::conflict_error&) {
      if (attempt >= 3) throw;
    }
  }
}

}  // namespace mlpath
