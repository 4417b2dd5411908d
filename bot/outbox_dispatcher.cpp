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

void outbox_dispatcher::refill() {
  if (pending_.size() >= options_.max_loaded) return;
  try {
    for (auto& m : store_.outbox_pending(last_loaded_id_, options_.max_loaded - pending_.size())) {
      last_loaded_id_ = std::max(last_loaded_id_, m.id);
      pending_.emplace(m.id, std::move(m));
    }
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot read pending messages: {}", e.what());
  }
}

void outbox_dispatcher::run() {
  if (draining_) return;
  refill();
  auto now = now_();
  // A person's (or channel's) messages go strictly in order: the first unsent one blocks
  // the rest until it is sent, whether it is in flight or waiting for a retry.
  std::set<std::string> blocked;
  for (auto& [id, m] : pending_) {
    std::string key = m.user_id ? "u" + std::to_string(m.user_id) : "c" + m.platform + ":" + m.channel;
    if (blocked.count(key)) continue;
    blocked.insert(key);
    if (in_flight_.count(id) || m.next_attempt_at > now) continue;
    if (in_flight_.size() >= options_.max_in_flight) break;
    auto sender = senders_.find(m.platform);
    if (sender == senders_.end()) continue;  // that platform is not configured in this process
    in_flight_.insert(id);
    sender->second(m, [this, id](send_result r) { finished(id, std::move(r)); });
  }
}

void outbox_dispatcher::finished(std::int64_t id, send_result r) {
  in_flight_.erase(id);
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  storage::outbox_message& m = it->second;
  auto now = now_();
  try {
    switch (r.what) {
      case send_result::status::sent:
        metrics_.count("mlpath_outbox_sent_total", "platform=\"" + m.platform + "\"");
        sent_marks_.emplace_back(id, now);
        if (!flush_scheduled_) {
          flush_scheduled_ = true;
          loop_.post([this] { flush_marks(); });
        }
        pending_.erase(it);
        break;
      case send_result::status::retry: {
        m.attempts += 1;
        if (m.attempts >= options_.max_attempts) {
          spdlog::warn("outbox: giving up on message {} ({}) after {} attempts: {}", id, m.kind, m.attempts, r.error);
          metrics_.count("mlpath_outbox_failed_total", "platform=\"" + m.platform + "\"");
          store_.outbox_failed(id, r.error, now);
          pending_.erase(it);
          break;
        }
        auto backoff = std::min<std::chrono::seconds>(options_.first_backoff * (1 << std::min(m.attempts - 1, 16)),
                                                      options_.longest_backoff);
        m.next_attempt_at = now + std::max(backoff, r.retry_after);
        metrics_.count("mlpath_outbox_retries_total", "platform=\"" + m.platform + "\"");
        store_.outbox_retry(id, m.attempts, m.next_attempt_at, r.error);
        break;
      }
      case send_result::status::failed:
        spdlog::warn("outbox: message {} ({}) failed: {}", id, m.kind, r.error);
        metrics_.count("mlpath_outbox_failed_total", "platform=\"" + m.platform + "\"");
        store_.outbox_failed(id, r.error, now);
        pending_.erase(it);
        break;
    }
  } catch (const std::exception& e) {
    spdlog::error("outbox: cannot record the result of message {}: {}", id, e.what());
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
