#pragma once
// `mlpath serve`: the HTTP endpoints, every adapter whose credentials are set, the outbox
// and the timers, wired to one SQLite store and one event loop.
//
// Start-up: the settings and the database file are checked first (a problem is a
// config_error naming the variable); then the listen address is bound, so /healthz
// answers and /readyz says 503 while the database is opened and migrated on a worker
// thread; then the platforms start. A graceful stop (SIGINT/SIGTERM) stops accepting,
// finishes requests in flight, stops the timers, lets the sends in flight finish, closes
// the Discord gateway resumably (its sessions stored for the next start), checkpoints
// the WAL, all within 10 seconds.
//
// Threading: everything on the event loop's thread, except the database's first opening.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bot/app/config.hpp"
#include "bot/app/readiness.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/turns/conversation_service.hpp"

namespace mlpath {

class service {
 public:
  struct options {
    long max_db_pages = 0;                        // cap on the database size (tests simulate a full disk)
    std::chrono::milliseconds probe_every{2000};  // how often readiness looks for an idle database
    std::chrono::seconds stop_deadline{9};        // a graceful stop stops waiting after this
    wall_clock_fn now;                            // default: the system clock
  };

  service(net::event_loop& loop, config c, options o);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Returns the bound port. Throws config_error (one line naming the variable) when the
  // database file, the content or the listen address is unusable.
  std::uint16_t start();
  // The database could not be opened after listening began: one line why. (run_service
  // exits 2.)
  std::function<void(const std::string& why)> on_fatal;
  // The database is open and the platforms have started.
  bool running() const;
  // Graceful stop; `done` runs on the loop once everything has stopped, or at the deadline.
  void stop(std::function<void()> done);

  readiness::report ready() const;
  metrics& stats() { return metrics_; }

  struct parts;  // implementation detail

 private:
  void handle(net::http_request&& req, net::http_reply reply);
  void open_store();
  void store_opened(std::string error);
  void start_platforms();
  void probe();
  void prune();
  void finish_stop();

  net::event_loop& loop_;
  config config_;
  options options_;
  metrics metrics_;
  readiness readiness_;
  std::unique_ptr<parts> parts_;
};

// Runs the service until SIGINT/SIGTERM; prints "listening on http://HOST:PORT" on
// stdout (a JSON line in the json log format) once requests are accepted. Returns the
// exit code: 0 after a graceful stop, 2 when the database cannot be opened.
int run_service(const config& c);

}  // namespace mlpath
