#include "bot/outbox_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mlpath {

outbox_dispatcher::outbox_dispatcher(net::event_loop& loop, storage::store& store, metrics& m, wall_clock_fn now,
                                     options o)
    : loop_(loop), store_(store), metrics_(m), now_(std::move(now)), options_(o) {
  metrics_.describe("mlpath_outbox_sent_total", "counter", "Outbox messages sent, by platform");
  metrics_.describe("mlpath_outbox_failed_total", "counter", "Outbox messages given up on, by platform");
  metrics_.describe("mlpath_outbox_retries_total", "counter", "Outbox send attempts that will be retried");
}

void outbox_dispatcher::add_sender(const std::string& platform, platform_sender sender) {
  senders_[platform] = std::move(sender);
}

void outbox_dispatcher::start() {
  metrics_.gauge("mlpath_outbox_depth", [this] { return static_cast<double>(pending_.size()); });
  metrics_.describe("mlpath_outbox_depth", "gauge", "Outbox messages loaded and not yet sent");
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

std::string outbox_dispatcher::key_of(const storage::outbox_message& m) {
  return m.user_id ? "u" + std::to_string(m.user_id) : "c" + m.platform + ":" + m.channel;
}

void outbox_dispatcher::make_runnable(const std::string& key) { runnable_.push_back(key); }

void outbox_dispatcher::refill() {
  if (pending_.size() >= options_.max_loaded) return;
  try {
    for (auto& m : store_.outbox_pending(last_loaded_id_, options_.max_loaded - pending_.size())) {
      last_loaded_id_ = std::max(last_loaded_id_, m.id);
      std::string key = key_of(m);
      auto& q = queues_[key];
      q.push_back(m.id);
      pending_.emplace(m.id, std::move(m));
      if (q.size() == 1) make_runnable(key);
    }
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot read pending messages: {}", e.what());
  }
}

void outbox_dispatcher::run() {
  if (draining_) return;
  refill();
  auto now = now_();
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    make_runnable(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
  }
  while (!runnable_.empty() && in_flight_.size() < options_.max_in_flight) {
    std::string key = std::move(runnable_.front());
    runnable_.pop_front();
    auto q = queues_.find(key);
    if (q == queues_.end() || q->second.empty()) continue;
    std::int64_t id = q->second.front();
    if (in_flight_.count(id)) continue;
    auto& m = pending_.at(id);
    if (m.next_attempt_at > now) {
      waiting_.emplace(m.next_attempt_at, key);
      continue;
    }
    auto sender = senders_.find(m.platform);
    if (sender == senders_.end()) {
      // That platform is not configured in this process; look again in a minute.
      waiting_.emplace(now + std::chrono::minutes(1), key);
      continue;
    }
    in_flight_.insert(id);
    sender->second(m, [this, id](send_result r) { finished(id, std::move(r)); });
  }
}

void outbox_dispatcher::finished(std::int64_t id, send_result r) {
  in_flight_.erase(id);
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  storage::outbox_message& m = it->second;
  std::string key = key_of(m);
  auto now = now_();
  bool done = true;  // the message leaves its queue (sent or given up on)
  try {
    switch (r.what) {
      case send_result::status::sent:
        metrics_.count("mlpath_outbox_sent_total", "platform=\"" + m.platform + "\"");
        sent_marks_.emplace_back(id, now);
        if (!flush_scheduled_) {
          flush_scheduled_ = true;
          loop_.post([this] { flush_marks(); });
        }
        break;
      case send_result::status::retry: {
        m.attempts += 1;
        if (m.attempts >= options_.max_attempts) {
          spdlog::warn("outbox: giving up on message {} ({}) after {} attempts: {}", id, m.kind, m.attempts, r.error);
          metrics_.count("mlpath_outbox_failed_total", "platform=\"" + m.platform + "\"");
          store_.outbox_failed(id, r.error, now);
          break;
        }
        auto backoff = std::min<std::chrono::seconds>(options_.first_backoff * (1 << std::min(m.attempts - 1, 16)),
                                                      options_.longest_backoff);
        m.next_attempt_at = now + std::max(backoff, r.retry_after);
        metrics_.count("mlpath_outbox_retries_total", "platform=\"" + m.platform + "\"");
        store_.outbox_retry(id, m.attempts, m.next_attempt_at, r.error);
        waiting_.emplace(m.next_attempt_at, key);
        done = false;
        break;
      }
      case send_result::status::failed:
        spdlog::warn("outbox: message {} ({}) failed: {}", id, m.kind, r.error);
        metrics_.count("mlpath_outbox_failed_total", "platform=\"" + m.platform + "\"");
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
      else make_runnable(key);
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
