#include "bot/schedule/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "dialogs/checkin_dialog.hpp"
#include "dialogs/engine.hpp"

namespace mlpath {

namespace {

constexpr auto reminder_after = std::chrono::hours(24);

}  // namespace

scheduler::scheduler(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                     outbox_dispatcher& outbox, metrics& m, const dialogs::calendar& cal, wall_clock_fn now,
                     options o)
    : loop_(loop),
      store_(store),
      conversations_(conversations),
      outbox_(outbox),
      metrics_(m),
      cal_(cal),
      now_(std::move(now)),
      options_(o) {
  metrics_.describe("mlpath_checkins_total", "counter", "Weekly check-ins by state (sent, answered, late, paused)");
  metrics_.describe("mlpath_scheduler_lag_seconds", "gauge", "How late the last due check-in went out, in seconds");
  metrics_.gauge("mlpath_scheduler_lag_seconds", [this] { return lag_seconds_; });
}

void scheduler::add_platform(const std::string& platform, dm_renderer r) { renderers_[platform] = std::move(r); }

std::vector<std::string> scheduler::platforms() const {
  std::vector<std::string> out;
  for (const auto& [p, r] : renderers_) out.push_back(p);
  return out;
}

void scheduler::start() {
  conversations_.on_checkins_changed([this](const dialogs::checkin_book& before, const dialogs::checkin_book& after) {
    for (const auto& e : after.history)
      if (e.changed && e.answered)
        if (const auto* was = before.find(e.week); !was || !was->answered)
          metrics_.count("mlpath_checkins_total", "state=\"answered\"");
    if (after.paused && !before.paused) metrics_.count("mlpath_checkins_total", "state=\"paused\"");
    wake();
  });
  wake();
}

void scheduler::wake() {
  if (wake_posted_ || stopped_) return;
  wake_posted_ = true;
  loop_.post([this] {
    wake_posted_ = false;
    if (stopped_) return;
    run_once();
    arm();
  });
}

void scheduler::stop() {
  stopped_ = true;
  if (armed_) loop_.cancel(timer_);
  armed_ = false;
}

// Sleeps until the earliest due work (at most longest_sleep, so a wall-clock jump or a
// missed wake-up is caught within a minute).
void scheduler::arm() {
  if (armed_) loop_.cancel(timer_);
  armed_ = false;
  if (stopped_) return;
  auto now = now_();
  dialogs::timestamp next = now + options_.longest_sleep;
  try {
    storage::wakeups w = store_.next_wakeups(platforms());
    auto consider = [&](std::optional<dialogs::timestamp> t) {
      if (t) next = std::min(next, *t);
    };
    consider(w.checkin_due);
    if (w.reminder_sent) consider(*w.reminder_sent + reminder_after);
    if (w.quiet_unnudged) consider(*w.quiet_unnudged + dialogs::engine::nudge_after);
    if (w.quiet_nudged) consider(*w.quiet_nudged + dialogs::engine::expire_after);
  } catch (const std::exception& e) {
    spdlog::error("scheduler: cannot read what is due next: {}", e.what());
  }
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
  delay = std::clamp(delay, std::chrono::milliseconds(0), std::chrono::milliseconds(options_.longest_sleep));
  // Due instants are whole seconds: waking just after one finds it due.
  timer_ = loop_.after(delay + std::chrono::milliseconds(5), [this] {
    armed_ = false;
    run_once();
    arm();
  });
  armed_ = true;
}

std::size_t scheduler::run_once() {
  auto now = now_();
  std::size_t n = 0;
  try {
    n += send_due_checkins(now);
    n += send_reminders(now);
    n += tick_quiet(now);
    prune_old(now);
  } catch (const std::exception& e) {
    spdlog::error("scheduler: {}", e.what());
  }
  if (n) outbox_.kick();
  return n;
}

conversation_service::turn_hook scheduler::hook_for(const storage::user_ref& user) {
  auto r = renderers_.find(user.platform);
  if (r == renderers_.end()) return {};
  dm_renderer render = r->second;
  std::string tenant = user.tenant;
  return [render, tenant](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    for (auto& m : render(replies)) turn.outbox.push_back(outbox::to_record(m, turn.user_id, tenant, turn.now));
  };
}

std::size_t scheduler::send_due_checkins(dialogs::timestamp now) {
  const auto& content = conversations_.engine().material();
  auto list = platforms();
  std::size_t sent = 0;
  for (;;) {
    std::vector<storage::due_checkin> due = store_.due_checkins(now, list, options_.batch);
    if (due.empty()) break;
    // The replies for one (platform, week, lateness), rendered and encoded once.
    std::map<std::tuple<std::string, std::string, bool>, std::shared_ptr<const std::vector<storage::outbox_message>>>
        rendered;
    // In key order, consecutive writes land on neighbouring B-tree pages.
    std::vector<std::size_t> order(due.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return due[a].user_id < due[b].user_id; });
    // A book with nothing to send still moves on; an empty entry marks it.
    std::vector<storage::started_checkin_record> batch;
    batch.reserve(due.size());
    for (std::size_t i : order) {
      auto& d = due[i];
      // The replies only for the first person of each (platform, week, lateness): the rest
      // share the messages already rendered for them (stored as one copy of each body).
      dialogs::started_checkin s = dialogs::start_checkin(content, cal_, d.book, now, false);
      if (s.sent && !rendered.count(std::make_tuple(d.user.platform, s.week, s.late)))
        s = dialogs::start_checkin(content, cal_, d.book, now, true);
      storage::started_checkin_record r;
      r.user_id = d.user_id;
      r.expected_revision = d.revision;
      r.now = now;
      if (s.sent) {
        if (const dialogs::checkin_entry* e = s.book.find(s.week)) {
          r.entry = *e;
          r.resend = !d.book.next_week.empty();
          lag_seconds_ = std::chrono::duration<double>(now - (d.book.next_due ? *d.book.next_due : now)).count();
        }
        auto key = std::make_tuple(d.user.platform, s.week, s.late);
        auto it = rendered.find(key);
        if (it == rendered.end()) {
          auto records = std::make_shared<std::vector<storage::outbox_message>>();
          for (auto& m : renderers_.at(d.user.platform)(s.replies)) records->push_back(outbox::to_record(m, 0, {}, now));
          it = rendered.emplace(key, std::move(records)).first;
        }
        r.tenant = d.user.tenant;
        r.outbox = it->second;
        if (s.late) metrics_.count("mlpath_checkins_total", "state=\"late\"");
      } else {
        r.entry = {};  // nothing to send: only the schedule moves on
        r.resend = false;
      }
      s.book.history.clear();  // storage reads none of it from here
      r.book = std::move(s.book);
      batch.push_back(std::move(r));
    }
    std::size_t n = store_.record_started_checkins(batch);
    metrics_.count("mlpath_checkins_total", "state=\"sent\"", static_cast<double>(n));
    sent += n;
    if (due.size() < options_.batch) break;
  }
  if (sent) spdlog::info("scheduler: sent {} weekly check-ins", sent);
  return sent;
}

std::size_t scheduler::send_reminders(dialogs::timestamp now) {
  auto ids = store_.checkins_awaiting_reminder(now - reminder_after, platforms(), options_.turns);
  if (ids.empty()) return 0;
  std::size_t n = 0;
  storage::batch_guard batch(store_);
  for (auto id : ids) {
    auto who = store_.user_by_id(id);
    if (!who) continue;
    conversations_.handle(*who, dialogs::input::due("checkin_reminder"), now, hook_for(*who));
    ++n;
  }
  batch.commit();
  return n;
}

void scheduler::prune_old(dialogs::timestamp now) {
  if (next_prune_ && now < *next_prune_) return;
  std::size_t removed = store_.prune(now - options_.keep_messages, now - options_.keep_events, options_.prune_slice);
  if (removed) spdlog::info("scheduler: removed {} old outbox messages and inbox entries", removed);
  // A full slice may have left more behind: the next wake-up goes on; else a day from now.
  next_prune_ = removed >= options_.prune_slice ? now : now + std::chrono::hours(24);
}

std::size_t scheduler::tick_quiet(dialogs::timestamp now) {
  auto ids = store_.stale_conversations(now - dialogs::engine::nudge_after, now - dialogs::engine::expire_after,
                                        platforms(), 500);
  if (ids.empty()) return 0;
  std::size_t ticked = 0;
  storage::batch_guard batch(store_);
  for (auto id : ids) {
    auto who = store_.user_by_id(id);
    if (!who) continue;
    conversations_.handle(*who, dialogs::input::tick(), now, hook_for(*who));
    ++ticked;
  }
  batch.commit();
  if (ticked) spdlog::info("scheduler: nudged or closed {} quiet conversations", ticked);
  return ticked;
}

}  // namespace mlpath
