// Weekly check-ins at scale (issue 10): 1,000,000 people scheduled in SQLite, 10,000 of
// them due within the same minute. Measures, with the real scheduler and store:
//   - the wake-up when nobody is due (every query the timer makes),
//   - finding and enqueueing the 10,000 due check-ins (book, week entry and outbox rows,
//     committed), and
//   - memory.
// Prints one JSON object. Build: cmake --build build --target checkin_scheduler
// Run:   build/checkin_scheduler [people] [due]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>

#include "bench_support.hpp"
#include "bot/content/content_loader.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/turns/conversation_service.hpp"
#include "dialogs/engine.hpp"
#include "storage/sqlite_store.hpp"

using namespace mlpath;
using clk = std::chrono::steady_clock;

namespace {

double ms_since(clk::time_point t) { return std::chrono::duration<double, std::milli>(clk::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // stdout is for the JSON line
  long people = argc > 1 ? std::stol(argv[1]) : 1000000;
  long due = argc > 2 ? std::stol(argv[2]) : 10000;
  auto dir = std::filesystem::temp_directory_path() / ("mlpath-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "bench.db").string();

  const std::int64_t t0 = 1796032800;  // Monday 2026-11-30 09:00 UTC: the busy minute starts here
  // As mlpath serve opens it: WAL checkpoints on a thread of their own, not inside commits.
  storage::sqlite_options so;
  so.path = path;
  so.background_checkpoints = true;
  auto store = storage::open_sqlite_store(so);
  auto fill_start = clk::now();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA synchronous = OFF");
    db.exec("BEGIN");
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(people) +
            ") INSERT INTO users (id, platform, tenant, user_ref, created_at) SELECT i, 'slack', 'T1', 'U' || i, 0 FROM n");
    // `due` people fall due within the minute after t0; everyone else later in the week.
    db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(people) +
            ") INSERT INTO checkin_books (user_id, scheduled, weekday, minute_of_day, zone, active, next_due_at, zone_hint) "
            "SELECT i, 1, 1, 540, 'UTC', 1, CASE WHEN i <= " + std::to_string(due) + " THEN " + std::to_string(t0) +
            " + (i % 60) ELSE " + std::to_string(t0 + 3600) + " + (i % 600000) END, 'UTC' FROM n");
    db.exec("COMMIT");
    db.exec("ANALYZE");
    // As a running service finds it: the fill checkpointed and on disk, so neither the
    // background checkpointer nor the kernel's write-back of the fill (and the journal
    // commit after it) runs inside the measurement.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ::sync();
  ::sleep(2);
  double fill_ms = ms_since(fill_start);

  auto content = loader::load_content_or_throw("");
  dialogs::engine engine(content, &system_calendar());
  conversation_service conversations(engine, *store);
  net::event_loop loop;
  metrics m;
  dialogs::timestamp now{std::chrono::seconds(t0 - 30)};
  outbox_dispatcher outbox(loop, *store, m, [&] { return now; }, {});
  scheduler sched(loop, *store, conversations, outbox, m, system_calendar(), [&] { return now; }, {});
  sched.add_platform("slack", [](const std::vector<dialogs::reply>& r) { return outbox::direct_messages("slack", r); });

  // Nobody due: one wake-up is every query the timer makes (due, reminders, quiet
  // conversations, and the next wake-up time). Best of many.
  double idle_best = 1e9, idle_sum = 0;
  const int idle_runs = 200;
  for (int i = 0; i < idle_runs; ++i) {
    auto t = clk::now();
    std::size_t n = sched.run_once();
    auto w = store->next_wakeups({"slack"});
    double ms = ms_since(t);
    if (n != 0 || !w.checkin_due) {
      std::fprintf(stderr, "unexpected work while idle\n");
      return 1;
    }
    idle_best = std::min(idle_best, ms);
    idle_sum += ms;
  }

  long rss_before = static_cast<long>(bench_support::proc_rss_kib(::getpid()).value_or(0));
  now = dialogs::timestamp{std::chrono::seconds(t0 + 60)};
  auto t = clk::now();
  std::size_t sent = sched.send_due_checkins(now);
  double enqueue_ms = ms_since(t);
  long rss_after = static_cast<long>(bench_support::proc_rss_kib(::getpid()).value_or(0));
  long hwm = static_cast<long>(bench_support::proc_status_kib(::getpid(), "VmHWM").value_or(0));

  long long outbox_rows = 0;
  long long outbox_body_bytes = 0;
  double outbox_stored_bytes = 0;
  {
    SQLite::Database db(path);
    outbox_rows = db.execAndGet("SELECT count(*) FROM outbox").getInt64();
    // Each message's body (the check-in's, shared by everyone due that week), and what
    // the outbox rows plus the shared copies store per message.
    outbox_body_bytes = db.execAndGet("SELECT coalesce(avg(length(coalesce((SELECT b.body FROM outbox_bodies b "
                                      "WHERE b.id = outbox.body_id), body))), 0) FROM outbox").getInt64();
    outbox_stored_bytes = db.execAndGet("SELECT ((SELECT coalesce(sum(length(body)), 0) FROM outbox) + 0.0 + "
                                        "(SELECT coalesce(sum(length(body)), 0) FROM outbox_bodies)) / "
                                        "max(1, (SELECT count(*) FROM outbox))").getDouble();
  }
  std::printf(
      "{\"bench\":\"checkin_scheduler\",\"people\":%ld,\"due_in_one_minute\":%ld,\"sent\":%zu,\"outbox_rows\":%lld,"
      "\"outbox_body_bytes\":%lld,\"outbox_stored_body_bytes_per_row\":%.2f,\"find_and_enqueue_ms\":%.1f,\"per_checkin_us\":%.2f,\"idle_wakeup_ms_best\":%.3f,\"idle_wakeup_ms_mean\":%.3f,"
      "\"rss_kib_before\":%ld,\"rss_kib_after\":%ld,\"rss_kib_peak\":%ld,\"fill_ms\":%.0f,"
      "\"goals\":{\"find_and_enqueue_ms\":100,\"idle_wakeup_ms\":1}}\n",
      people, due, sent, outbox_rows, outbox_body_bytes, outbox_stored_bytes, enqueue_ms, 1000.0 * enqueue_ms / std::max<std::size_t>(1, sent), idle_best,
      idle_sum / idle_runs, rss_before, rss_after, hwm, fill_ms);
  store.reset();
  std::filesystem::remove_all(dir);
  return sent == static_cast<std::size_t>(due) ? 0 : 1;
}
