#include "bot/schedule/silence_watch.hpp"

#include <spdlog/spdlog.h>

#include "dialogs/engine.hpp"

namespace mlpath {

silence_watch::silence_watch(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                             outbox_dispatcher& outbox, wall_clock_fn now, std::chrono::milliseconds every)
    : loop_(loop), store_(store), conversations_(conversations), outbox_(outbox), now_(std::move(now)), every_(every) {}

void silence_watch::add_platform(const std::string& platform, renderer r) { renderers_[platform] = std::move(r); }

void silence_watch::start() {
  if (stopped_) return;
  timer_ = loop_.after(every_, [this] {
    sweep();
    start();
  });
}

void silence_watch::stop() {
  stopped_ = true;
  loop_.cancel(timer_);
}

std::size_t silence_watch::sweep() {
  auto now = now_();
  std::size_t ticked = 0;
  try {
    std::vector<std::string> platforms;
    for (const auto& [p, r] : renderers_) platforms.push_back(p);
    auto ids = store_.stale_conversations(now - dialogs::engine::nudge_after, now - dialogs::engine::expire_after,
                                          platforms, 500);
    if (ids.empty()) return 0;
    storage::batch_guard batch(store_);
    for (auto id : ids) {
      auto who = store_.user_by_id(id);
      if (!who) continue;
      auto r = renderers_.find(who->platform);
      if (r == renderers_.end()) continue;  // e.g. terminal users: nobody to message
      conversations_.handle(*who, dialogs::input::tick(), now, r->second);
      ++ticked;
    }
    batch.commit();
  } catch (const std::exception& e) {
    spdlog::error("silence watch: {}", e.what());
    return 0;
  }
  if (ticked) {
    spdlog::info("silence watch: nudged or closed {} quiet conversations", ticked);
    outbox_.kick();
  }
  return ticked;
}

}  // namespace mlpath
