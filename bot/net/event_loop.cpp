#include "bot/net/event_loop.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <map>

namespace mlpath::net {

namespace asio = boost::asio;

struct event_loop::impl {
  asio::io_context io{1};
  std::map<std::uint64_t, std::unique_ptr<asio::steady_timer>> timers;
  std::uint64_t next_id = 1;
  std::unique_ptr<asio::signal_set> signals;
  std::function<void(int)> on_signal;

  void wait_signal() {
    signals->async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (on_signal) on_signal(sig);
      wait_signal();
    });
  }
};

event_loop::event_loop() : impl_(std::make_unique<impl>()) {}
event_loop::~event_loop() = default;

void event_loop::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

std::uint64_t event_loop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::uint64_t id = impl_->next_id++;
  auto timer = std::make_unique<asio::steady_timer>(impl_->io, delay);
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    impl_->timers.erase(id);
    if (!ec) fn();
  });
  impl_->timers.emplace(id, std::move(timer));
  return id;
}

void event_loop::cancel(std::uint64_t timer_id) {
  auto it = impl_->timers.find(timer_id);
  if (it != impl_->timers.end()) it->second->cancel();
}

void event_loop::on_stop_signal(std::function<void(int)> fn) {
  impl_->on_signal = std::move(fn);
  if (!impl_->signals) {
    impl_->signals = std::make_unique<asio::signal_set>(impl_->io, SIGINT, SIGTERM);
    impl_->wait_signal();
  }
}

void event_loop::run() {
  impl_->io.restart();
  auto guard = asio::make_work_guard(impl_->io);
  impl_->io.run();
}

void event_loop::stop() { impl_->io.stop(); }

void event_loop::poll() {
  impl_->io.restart();
  impl_->io.poll();
}

asio::io_context& event_loop::context() { return impl_->io; }

void event_loop::run_at(std::chrono::steady_clock::time_point when, std::chrono::steady_clock::time_point now,
                        std::function<void()> fn) {
  if (when <= now) {
    fn();
    return;
  }
  // Rounded up: waking a little late is fine, a little early would find the slot not yet free.
  after(std::chrono::ceil<std::chrono::milliseconds>(when - now), std::move(fn));
}

}  // namespace mlpath::net
