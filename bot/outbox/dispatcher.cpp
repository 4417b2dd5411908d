#include "bot/outbox/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "adapters/common/overloaded.hpp"
#include "bot/observe/log.hpp"

#include <algorithm>

namespace mlpath {

outbox_dispatcher::outbox_dispatcher(net::event_loop& loop, storage::store& store, metrics& m, wall_clock_fn now,
                                     options o)
    : loop_(loop), store_(store), metrics_(m), now_(std::move(now)), options_(o) {
}

void outbox_dispatcher::start() {
  // Read from the store at scrape time, so the figures include what is not loaded here.
  metrics_.gauge("mlpath_outbox_depth", [this] {
    try {
      return static_cast<double>(store_.outbox_summary().depth);
    } catch (const std::exception&) {
      return -1.0;
    }
  });
  metrics_.gauge("mlpath_outbox_oldest_age_seconds", [this] {
    try {
      auto s = store_.outbox_summary();
      return s.oldest ? std::max(0.0, std::chrono::duration<double>(now_() - *s.oldest).count()) : 0.0;
    } catch (const std::exception&) {
      return -1.0;
    }
  });
  kick();
  loop_.after(options_.sweep_every, [this] { sweep(); });
}

void outbox_dispatcher::sweep() {
  run();
  if (!draining_) loop_.after(options_.sweep_every, [this] { sweep(); });
}

void outbox_dispatcher::kick() {
  if (run_scheduled_) return;
  run_scheduled_ = true;
  loop_.post([this] {
    run_scheduled_ = false;
    run();
  });
}

std::string outbox_dispatcher::queue_of(const storage::outbox_message& m) {
  if (m.user_id) return "u" + std::to_string(m.user_id);
  if (!m.queue.empty()) return "q" + m.queue;
  return "m" + std::to_string(m.id);
}

void outbox_dispatcher::refill() {
  if (pending_.size() >= options_.max_loaded) return;
  try {
    for (auto& m : store_.outbox_pending(last_loaded_id_, options_.max_loaded - pending_.size())) {
      last_loaded_id_ = std::max(last_loaded_id_, m.id);
      auto what = outbox::from_record(m);
      if (!what) {
        // Written by a newer version, or damaged: nothing here can send it.
        spdlog::error("outbox: message {} has a kind or body this version cannot read ({}); giving up on it", m.id,
                      m.kind);
        metrics_.count("mlpath_outbox_failed_total", "platform=\"" + m.platform + "\"");
        store_.outbox_failed(m.id, "unreadable message", now_());
        continue;
      }
      std::string key = queue_of(m);
      auto& q = queues_[key];
      q.push_back(m.id);
      std::int64_t id = m.id;
      bool reconcile = outbox::reconcilable(*what);
      pending_.emplace(id, entry{std::move(m), std::move(*what), reconcile});
      if (q.size() == 1) runnable_.push_back(key);
    }
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot read pending messages: {}", e.what());
  }
}

bool outbox_dispatcher::has_sender(const entry& e) const {
  return std::holds_alternative<slack::outbound>(e.what) ? static_cast<bool>(slack_) : static_cast<bool>(discord_);
}

// Hands the message to its platform's sender (which must be configured).
bool outbox_dispatcher::dispatch(std::int64_t id, const entry& e) {
  auto done = [this, id](send_result r) { finished(id, std::move(r)); };
  in_flight_.insert(id);
  std::visit(adapters::overloaded{
                 [&](const slack::outbound& m) { slack_(e.record, m, std::move(done)); },
                 [&](const discord::outbound& m) { discord_(e.record, m, std::move(done)); },
             },
             e.what);
  return true;
}

// Before a message that cannot be repeated blindly leaves, the store says it may have:
// a crash between the platform's acceptance and our mark of it as sent then leads to a
// lookup on the next start, not a second post. One transaction for the whole round.
bool outbox_dispatcher::mark_in_doubt(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return true;
  try {
    storage::batch_guard batch(store_);
    for (auto id : ids) store_.outbox_doubt(id, true);
    batch.commit();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot record {} sends before making them ({}); holding them", ids.size(), e.what());
    return false;
  }
}

void outbox_dispatcher::run() {
  if (draining_) return;
  refill();
  auto now = now_();
  // Due now, or further ahead than any wait we schedule (the clock went back).
  while (!waiting_.empty() && (waiting_.begin()->first <= now || waiting_.begin()->first > now + options_.longest_wait)) {
    runnable_.push_back(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
  }
  std::vector<std::pair<std::string, std::int64_t>> round;
  std::vector<std::int64_t> to_mark;
  while (!runnable_.empty() && in_flight_.size() + round.size() < options_.max_in_flight) {
    std::string key = std::move(runnable_.front());
    runnable_.pop_front();
    auto q = queues_.find(key);
    if (q == queues_.end() || q->second.empty()) continue;
    std::int64_t id = q->second.front();
    // A queue listed twice must not send its head twice: once in flight or in this round, skip.
    if (in_flight_.count(id) || std::any_of(round.begin(), round.end(), [id](const auto& r) { return r.second == id; }))
      continue;
    entry& e = pending_.at(id);
    // A next attempt further ahead than any wait we schedule: the clock went back.
    if (e.record.next_attempt_at > now + options_.longest_wait) e.record.next_attempt_at = now;
    if (e.record.next_attempt_at > now) {
      waiting_.emplace(e.record.next_attempt_at, key);
      continue;
    }
    // That platform is not configured in this process; look again in a minute.
    if (!has_sender(e)) {
      waiting_.emplace(now + std::chrono::minutes(1), key);
      continue;
    }
    if (e.reconcilable && !e.record.in_doubt) to_mark.push_back(id);
    round.emplace_back(std::move(key), id);
  }
  if (!mark_in_doubt(to_mark)) {
    for (auto& [key, id] : round) waiting_.emplace(now + std::chrono::seconds(1), std::move(key));
    return;
  }
  for (auto& [key, id] : round) dispatch(id, pending_.at(id));
}

void outbox_dispatcher::finished(std::int64_t id, send_result r) {
  in_flight_.erase(id);
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  storage::outbox_message& m = it->second.record;
  std::string outbox_id = std::to_string(id);
  logs::log_scope context{{"platform", m.platform}, {"team", m.tenant}, {"outbox_id", outbox_id}};
  std::string key = queue_of(m);
  std::string platform_label = "platform=\"" + m.platform + "\"";
  auto now = now_();
  bool done = true;  // the message leaves its queue (sent or given up on)
  try {
    switch (r.what) {
      case send_result::status::sent:
        metrics_.count("mlpath_outbox_sent_total", platform_label);
        sent_marks_.emplace_back(id, now);
        if (!flush_scheduled_) {
          flush_scheduled_ = true;
          loop_.post([this] { flush_marks(); });
        }
        break;
      case send_result::status::retry: {
        m.attempts += 1;
        if (now - m.created_at >= options_.give_up_after && m.attempts >= options_.min_attempts_to_give_up) {
          spdlog::warn("outbox: giving up on message {} ({}) after {} attempts over a day: {}", id, m.kind, m.attempts,
                       r.error);
          metrics_.count("mlpath_outbox_failed_total", platform_label);
          store_.outbox_failed(id, r.error, now);
          break;
        }
        std::uniform_real_distribution<double> draw(0.0, 1.0);
        auto wait = std::chrono::ceil<std::chrono::seconds>(options_.backoff.delay(m.attempts, draw(random_)));
        // A platform's Retry-After is honoured up to an hour (a longer one would look like
        // a clock that jumped back).
        auto asked = std::min<std::chrono::seconds>(r.retry_after, std::chrono::hours(1));
        m.next_attempt_at = now + std::max(wait, asked);
        {
          // The message's doubt goes with its retry: cleared when the failure delivered
          // nothing for certain, kept when the platform may have it.
          m.in_doubt = r.uncertain && it->second.reconcilable;
          storage::batch_guard batch(store_);
          store_.outbox_retry(id, m.attempts, m.next_attempt_at, r.error);
          if (m.in_doubt) store_.outbox_doubt(id, true);
          batch.commit();
        }
        metrics_.count("mlpath_outbound_retries_total", platform_label + ",reason=\"" + r.reason + "\"");
        waiting_.emplace(m.next_attempt_at, key);
        done = false;
        break;
      }
      case send_result::status::failed:
        spdlog::warn("outbox: message {} ({}) failed: {}", id, m.kind, r.error);
        metrics_.count("mlpath_outbox_failed_total", platform_label);
        store_.outbox_failed(id, r.error, now);
        break;
    }
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot record the result of message {}: {}", id, e.what());
  }
  if (done) {
    pending_.erase(it);
    auto q = queues_.find(key);
    if (q != queues_.end()) {
      if (!q->second.empty() && q->second.front() == id) q->second.pop_front();
      if (q->second.empty()) queues_.erase(q);
      else runnable_.push_back(key);
    }
  }
  if (draining_) {
    if (in_flight_.empty() && on_idle_) {
      flush_marks();
      auto fn = std::move(on_idle_);
      on_idle_ = nullptr;
      fn();
    }
    return;
  }
  kick();
}

void outbox_dispatcher::flush_marks() {
  flush_scheduled_ = false;
  if (sent_marks_.empty()) return;
  try {
    storage::batch_guard batch(store_);
    for (const auto& [id, at] : sent_marks_) store_.outbox_sent(id, at);
    batch.commit();
  } catch (const std::exception& e) {
    // Unmarked messages would be sent again after a restart; say so loudly.
    spdlog::error("outbox: cannot mark {} messages as sent: {}", sent_marks_.size(), e.what());
  }
  sent_marks_.clear();
}

void outbox_dispatcher::drain(std::function<void()> idle) {
  draining_ = true;
  if (in_flight_.empty()) {
    flush_marks();
    idle();
    return;
  }
  on_idle_ = std::move(idle);
}

}  // namespace mlpath
