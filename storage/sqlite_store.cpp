#include "storage/sqlite_store.hpp"

#include "storage/sqlite_rows.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cstdio>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <unistd.h>


namespace mlpath::storage {
namespace json = boost::json;
using dialogs::answer;
using dialogs::conversation;

namespace {

// Each entry moves the schema from version i to i+1. Never edit a released entry: add one.
const char* const migrations[] = {
    // 1: people, conversations, answers and results.
    R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  platform TEXT NOT NULL,
  tenant TEXT NOT NULL DEFAULT '',
  user_ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (platform, tenant, user_ref)
);
CREATE TABLE conversations (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  flow_id TEXT NOT NULL,
  flow_version INTEGER NOT NULL,
  stage TEXT NOT NULL,
  current_question TEXT NOT NULL DEFAULT '',
  editing INTEGER NOT NULL DEFAULT 0,
  pending TEXT NOT NULL DEFAULT 'none',
  round INTEGER NOT NULL DEFAULT 0,
  misses INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  last_activity INTEGER NOT NULL DEFAULT 0,
  nudged INTEGER NOT NULL DEFAULT 0,
  revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX conversations_by_activity ON conversations (stage, last_activity);
CREATE TABLE answers (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  question TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  text TEXT NOT NULL DEFAULT '',
  skipped INTEGER NOT NULL DEFAULT 0,
  fingerprint TEXT NOT NULL,
  flow_version INTEGER NOT NULL,
  answered_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, question)
);
CREATE TABLE answer_log (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  round INTEGER NOT NULL,
  question TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  text TEXT NOT NULL DEFAULT '',
  skipped INTEGER NOT NULL DEFAULT 0,
  flow_version INTEGER NOT NULL,
  answered_at INTEGER NOT NULL
);
CREATE INDEX answer_log_by_user ON answer_log (user_id);
CREATE TABLE results (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  scoring_version INTEGER NOT NULL,
  flow_version INTEGER NOT NULL,
  primary_roles TEXT NOT NULL,
  confidence TEXT NOT NULL,
  result TEXT NOT NULL,
  computed_at INTEGER NOT NULL
);
)sql",
    // 2: what the service needs: inbound dedupe, the outbox, workspace installations,
    // weekly check-ins.
    R"sql(
CREATE TABLE inbox (
  source TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  payload TEXT,
  processed_at INTEGER,
  PRIMARY KEY (source, event_id)
);
CREATE INDEX inbox_unprocessed ON inbox (processed_at) WHERE processed_at IS NULL;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
  platform TEXT NOT NULL,
  tenant TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER,
  last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE TABLE installations (
  platform TEXT NOT NULL,
  tenant TEXT NOT NULL,
  bot_token TEXT NOT NULL,
  bot_user_id TEXT NOT NULL DEFAULT '',
  bot_id TEXT NOT NULL DEFAULT '',
  scopes TEXT NOT NULL DEFAULT '',
  installed_at INTEGER NOT NULL,
  PRIMARY KEY (platform, tenant)
);
CREATE TABLE checkin_schedules (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  weekday INTEGER NOT NULL,
  local_time TEXT NOT NULL,
  tz TEXT NOT NULL,
  next_due_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  paused_reason TEXT
);
CREATE TABLE checkin_history (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  week TEXT NOT NULL,
  sent_at INTEGER,
  reminded_at INTEGER,
  answered_at INTEGER,
  progress TEXT,
  note TEXT,
  UNIQUE (user_id, week)
);
)sql",
    // 3: what the Slack service needs: inbound content types, outbox references and
    // permanent failures, messages to update later, DM channels.
    R"sql(
ALTER TABLE inbox ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN failed_at INTEGER;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE TABLE sent_messages (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ref TEXT NOT NULL,
  channel TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (user_id, ref)
);
CREATE TABLE dm_channels (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  channel TEXT NOT NULL
);
)sql",
    // 4: communities (Discord servers) for attribution and aggregate stats.
    R"sql(
CREATE TABLE community_members (
  platform TEXT NOT NULL,
  community TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (platform, community, user_id)
);
CREATE INDEX community_members_by_user ON community_members (user_id);
)sql",
    // 5: typed outbox messages. Where a message goes (channel, ts, token, ...) moves into
    // its body next to the platform payload, and `queue` says which messages must keep
    // their order. Unsent messages of the earlier shapes are rewritten in place.
    R"sql(
ALTER TABLE outbox ADD COLUMN queue TEXT NOT NULL DEFAULT '';
UPDATE outbox SET queue = CASE WHEN kind = 'discord.callback' AND instr(ref, '/') > 0
                               THEN 'interaction:' || substr(ref, 1, instr(ref, '/') - 1)
                               ELSE 'channel:' || platform || ':' || channel END
  WHERE user_id IS NULL;
UPDATE outbox SET body = CASE kind
    WHEN 'slack.post' THEN json_object('channel', channel, 'ref', ref, 'payload', json(body))
    WHEN 'slack.update' THEN json_object('channel', coalesce(json_extract(body, '$.channel'), channel),
                                         'ts', coalesce(json_extract(body, '$.ts'), ''),
                                         'payload', json_remove(body, '$.channel', '$.ts'))
    WHEN 'slack.update_ref' THEN json_object('ref', ref, 'payload', json(body))
    WHEN 'slack.ephemeral' THEN json_object('channel', channel,
                                            'user', coalesce((SELECT user_ref FROM users WHERE id = outbox.user_id), ''),
                                            'payload', json(body))
    WHEN 'discord.post' THEN json_object('channel', channel, 'payload', json(body))
    WHEN 'discord.followup' THEN json_object('token', ref, 'payload', json(body))
    WHEN 'discord.callback' THEN json_object('interaction_id', substr(ref, 1, instr(ref, '/') - 1),
                                             'token', substr(ref, instr(ref, '/') + 1), 'payload', json(body))
    ELSE body END
  WHERE sent_at IS NULL AND failed_at IS NULL AND json_valid(body);
ALTER TABLE outbox DROP COLUMN channel;
ALTER TABLE outbox DROP COLUMN ref;
)sql",
    // 6: weekly check-ins. A book per person (schedule, the dialog in progress) replaces
    // the schedule table; the history gains the week's due time, answers and flags.
    R"sql(
CREATE TABLE checkin_books (
  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  scheduled INTEGER NOT NULL DEFAULT 0,
  weekday INTEGER NOT NULL DEFAULT 1,
  minute_of_day INTEGER NOT NULL DEFAULT 540,
  zone TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 0,
  paused INTEGER NOT NULL DEFAULT 0,
  paused_until INTEGER,
  paused_reason TEXT NOT NULL DEFAULT '',
  reason_shown INTEGER NOT NULL DEFAULT 1,
  next_due_at INTEGER,
  next_week TEXT NOT NULL DEFAULT '',
  zone_hint TEXT NOT NULL DEFAULT '',
  dialog TEXT NOT NULL DEFAULT '{}',
  revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX checkin_books_due ON checkin_books (next_due_at) WHERE active = 1 AND next_due_at IS NOT NULL;
INSERT INTO checkin_books (user_id, scheduled, weekday, minute_of_day, zone, active, paused, paused_reason,
                           reason_shown, next_due_at, zone_hint)
  SELECT user_id, 1, weekday, CAST(substr(local_time, 1, 2) AS INTEGER) * 60 + CAST(substr(local_time, 4, 2) AS INTEGER),
         tz, 1, CASE WHEN active = 0 THEN 1 ELSE 0 END, coalesce(paused_reason, ''),
         CASE WHEN paused_reason IS NULL THEN 1 ELSE 0 END, CASE WHEN active = 1 THEN next_due_at END, tz
  FROM checkin_schedules;
DROP TABLE checkin_schedules;
ALTER TABLE checkin_history ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkin_history ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkin_history ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkin_history ADD COLUMN moved TEXT NOT NULL DEFAULT '[]';
ALTER TABLE checkin_history ADD COLUMN moved_text TEXT NOT NULL DEFAULT '';
ALTER TABLE checkin_history ADD COLUMN next_step TEXT NOT NULL DEFAULT '';
CREATE INDEX checkin_history_awaiting ON checkin_history (sent_at)
  WHERE answered_at IS NULL AND reminded_at IS NULL AND skipped = 0 AND sent_at IS NOT NULL;
)sql",
    // 7: operations. A send whose outcome is unknown (a crash or a lost answer in
    // mid-send) is marked in_doubt and looked up on the platform before it is repeated;
    // service_state keeps small state across restarts (Discord gateway sessions to resume,
    // the readiness probe's write).
    R"sql(
ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;
CREATE TABLE service_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql",
    // 8: when a person first opened mlpath's home page (Slack's App Home tab): the
    // welcome is shown once. Part of the person's data, erased with them.
    R"sql(
ALTER TABLE users ADD COLUMN home_opened_at INTEGER;
)sql",
    // 9: Slack installations in full (OAuth v2 for many workspaces): the org of an org-wide
    // (Enterprise Grid) install, the app, who installed it, rotating tokens (the refresh
    // token, when the bot token expires, and a claim so that one process at a time spends
    // the single-use refresh token), when the row last changed; and the teams seen under an
    // org-wide install, so the org's token serves them after a restart too.
    R"sql(
ALTER TABLE installations ADD COLUMN enterprise_id TEXT NOT NULL DEFAULT '';
ALTER TABLE installations ADD COLUMN is_enterprise_install INTEGER NOT NULL DEFAULT 0;
ALTER TABLE installations ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE installations ADD COLUMN installer_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE installations ADD COLUMN refresh_token TEXT NOT NULL DEFAULT '';
ALTER TABLE installations ADD COLUMN token_expires_at INTEGER;
ALTER TABLE installations ADD COLUMN refresh_claimed_until INTEGER;
ALTER TABLE installations ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE installations SET updated_at = installed_at;
CREATE TABLE slack_teams (
  team_id TEXT PRIMARY KEY,
  enterprise_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL
);
CREATE INDEX slack_teams_by_enterprise ON slack_teams (enterprise_id);
)sql",
    // 10: one copy of a body many messages share (a week's check-in for thousands of
    // people): outbox rows name it by body_id and keep their own body empty.
    R"sql(
CREATE TABLE outbox_bodies (
  id INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN body_id INTEGER;
CREATE INDEX outbox_by_body ON outbox (body_id) WHERE body_id IS NOT NULL;
)sql",
};
constexpr int schema_version = static_cast<int>(std::size(migrations));

std::int64_t secs(timestamp t) { return t.time_since_epoch().count(); }
timestamp at(std::int64_t s) { return timestamp(std::chrono::seconds(s)); }
std::optional<timestamp> maybe_at(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return at(c.getInt64());
}


std::string options_text(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}

std::vector<std::string> options_from(const std::string& text) {
  std::vector<std::string> out;
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array())
    if (e.is_string()) out.emplace_back(e.as_string());
  return out;
}

void bind_maybe(SQLite::Statement& q, int n, const std::optional<timestamp>& t) {
  if (t) q.bind(n, secs(*t));
  else q.bind(n);
}

// A string as JSON text, appended.
void append_json_string(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += esc;
    } else {
      out += c;
    }
  }
  out += '"';
}

// The check-in dialog in progress, kept as one JSON column: nothing queries inside it.
// Written by hand: the scheduler writes it for every person due (Boost.JSON's object
// building was 7% of starting 10,000 check-ins).
std::string dialog_text(const dialogs::checkin_book& b) {
  std::string out;
  out.reserve(160);
  out += "{\"open_week\":";
  append_json_string(out, b.open_week);
  out += ",\"asking\":";
  append_json_string(out, b.asking);
  out += ",\"asked_at\":" + std::to_string(secs(b.asked_at));
  out += ",\"round\":" + std::to_string(b.round);
  out += ",\"setup_weekday\":" + std::to_string(b.setup_weekday);
  out += ",\"setup_minute_of_day\":" + std::to_string(b.setup_minute_of_day);
  out += b.zone_chosen ? ",\"zone_chosen\":true" : ",\"zone_chosen\":false";
  out += ",\"done_steps\":[";
  for (std::size_t i = 0; i < b.done_steps.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, b.done_steps[i]);
  }
  out += "]}";
  return out;
}

std::optional<std::int64_t> maybe_secs(const std::optional<timestamp>& t) {
  return t ? std::optional<std::int64_t>(secs(*t)) : std::nullopt;
}

// One row of a batch update of books: the user id, the expected revision, then the
// columns in bind_book's order.
void add_book_row(sqlite_rows& rows, std::int64_t user_id, std::int64_t revision, const dialogs::checkin_book& b) {
  rows.add(user_id).add(revision).add(b.scheduled).add(std::int64_t{b.slot.weekday});
  rows.add(std::int64_t{b.slot.hour * 60 + b.slot.minute}).add(b.slot.zone).add(b.active).add(b.paused);
  rows.add(maybe_secs(b.paused_until)).add(b.paused_reason).add(b.reason_shown);
  rows.add(maybe_secs(b.active ? b.next_due : std::nullopt));  // as bind_book: only a running schedule is due
  rows.add(b.next_week).add(b.zone_hint).add(dialog_text(b));
}

void dialog_from(const std::string& text, dialogs::checkin_book& b) {
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return;
  const json::object& o = v.as_object();
  auto str = [&](const char* k) {
    const json::value* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  auto num = [&](const char* k, std::int64_t fallback) {
    const json::value* x = o.if_contains(k);
    return x && x->is_int64() ? x->as_int64() : fallback;
  };
  b.open_week = str("open_week");
  b.asking = str("asking");
  b.asked_at = at(num("asked_at", 0));
  b.round = static_cast<int>(num("round", 0));
  b.setup_weekday = static_cast<int>(num("setup_weekday", -1));
  b.setup_minute_of_day = static_cast<int>(num("setup_minute_of_day", -1));
  if (const json::value* z = o.if_contains("zone_chosen"); z && z->is_bool()) b.zone_chosen = z->as_bool();
  if (const json::value* d = o.if_contains("done_steps"); d && d->is_array())
    for (const auto& x : d->as_array())
      if (x.is_string()) b.done_steps.emplace_back(x.as_string());
}

// An outbox message's body: its own, or the shared copy it names.
constexpr const char* message_body = "coalesce((SELECT b.body FROM outbox_bodies b WHERE b.id = outbox.body_id), body)";

constexpr const char* book_columns =
    "scheduled, weekday, minute_of_day, zone, active, paused, paused_until, paused_reason, reason_shown, next_due_at, "
    "next_week, zone_hint, dialog, revision";

// Reads the columns of book_columns starting at `first`; returns the revision.
std::int64_t read_book(SQLite::Statement& q, int first, dialogs::checkin_book& b) {
  int i = first;
  b.scheduled = q.getColumn(i++).getInt() != 0;
  b.slot.weekday = q.getColumn(i++).getInt();
  int minute = q.getColumn(i++).getInt();
  b.slot.hour = minute / 60;
  b.slot.minute = minute % 60;
  b.slot.zone = q.getColumn(i++).getString();
  b.active = q.getColumn(i++).getInt() != 0;
  b.paused = q.getColumn(i++).getInt() != 0;
  b.paused_until = maybe_at(q.getColumn(i++));
  b.paused_reason = q.getColumn(i++).getString();
  b.reason_shown = q.getColumn(i++).getInt() != 0;
  b.next_due = maybe_at(q.getColumn(i++));
  b.next_week = q.getColumn(i++).getString();
  b.zone_hint = q.getColumn(i++).getString();
  dialog_from(q.getColumn(i++).getString(), b);
  return q.getColumn(i).getInt64();
}

// Binds a book's columns as ?1..?13 (book_columns without the revision).
void bind_book(SQLite::Statement& q, const dialogs::checkin_book& b) {
  q.bind(1, b.scheduled ? 1 : 0);
  q.bind(2, b.slot.weekday);
  q.bind(3, b.slot.hour * 60 + b.slot.minute);
  q.bind(4, b.slot.zone);
  q.bind(5, b.active ? 1 : 0);
  q.bind(6, b.paused ? 1 : 0);
  bind_maybe(q, 7, b.paused_until);
  q.bind(8, b.paused_reason);
  q.bind(9, b.reason_shown ? 1 : 0);
  // Only a running schedule is due: the partial index holds nothing else.
  bind_maybe(q, 10, b.active ? b.next_due : std::nullopt);
  q.bind(11, b.next_week);
  q.bind(12, b.zone_hint);
  q.bind(13, dialog_text(b));
}

constexpr const char* entry_columns =
    "week, due_at, sent_at, reminded_at, answered_at, late, skipped, coalesce(progress, ''), moved, moved_text, next_step";

dialogs::checkin_entry read_entry(SQLite::Statement& q) {
  dialogs::checkin_entry e;
  e.week = q.getColumn(0).getString();
  e.due = at(q.getColumn(1).getInt64());
  e.sent = maybe_at(q.getColumn(2)).value_or(timestamp{});
  e.reminded = maybe_at(q.getColumn(3));
  e.answered = maybe_at(q.getColumn(4));
  e.late = q.getColumn(5).getInt() != 0;
  e.skipped = q.getColumn(6).getInt() != 0;
  e.progress = q.getColumn(7).getString();
  e.moved = options_from(q.getColumn(8).getString());
  e.moved_text = q.getColumn(9).getString();
  e.next_step = q.getColumn(10).getString();
  return e;
}

// Turns SQLite's terse errors into one line that says what to do.
std::string describe(const std::string& path, const std::exception& e, int code = 0) {
  std::string what = e.what();
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) code = se->getErrorCode();
  std::string msg = "database " + path + ": ";
  switch (code & 0xFF) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: msg += "the file is corrupted or not an SQLite database (" + what + ")"; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: msg += "locked by another process (" + what + ")"; break;
    case SQLITE_READONLY: msg += "is read-only (" + what + ")"; break;
    case SQLITE_CANTOPEN: msg += "cannot be opened (" + what + ")"; break;
    case SQLITE_FULL: msg += "the disk is full (" + what + ")"; break;
    default: msg += what;
  }
  return msg;
}

[[noreturn]] void fail(const std::string& path, const std::exception& e, int code = 0) {
  throw storage_error(describe(path, e, code));
}

std::string newer_schema(const std::string& path, int found) {
  return "database " + path + ": schema version " + std::to_string(found) + " is newer than this mlpath understands (" +
         std::to_string(schema_version) + "); run the mlpath that wrote it, or restore a backup taken before the upgrade";
}

void apply_migrations(SQLite::Database& db, int target) {
  int current = db.execAndGet("PRAGMA user_version").getInt();
  if (current > schema_version) throw storage_error(newer_schema(db.getFilename(), current));
  for (int v = current; v < target; ++v) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec(migrations[v]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

// Moves WAL content into the database file from a thread of its own, so no request
// ever waits for a checkpoint (SQLite's automatic one runs inside whichever commit crosses
// the threshold, which shows up as a latency spike). Passive: it never blocks writers.
class checkpointer {
 public:
  explicit checkpointer(const std::string& path) : path_(path), thread_([this] { run(); }) {}
  ~checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_ptr<SQLite::Database> db;
    std::unique_lock lock(mu_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      try {
        if (!db) {
          db = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READWRITE);
          db->setBusyTimeout(2000);
        }
        // Passive rounds never block anyone, but under constant writes they never catch up
        // either; past a size, one truncating round (writers wait a moment) resets the log.
        std::error_code ec;
        auto wal_size = std::filesystem::file_size(path_ + "-wal", ec);
        db->exec(!ec && wal_size > wal_limit ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)");
      } catch (const std::exception&) {
        db.reset();  // busy or gone: try again next round
      }
      lock.lock();
    }
  }

  static constexpr std::uintmax_t wal_limit = 64u << 20;
  std::string path_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class sqlite_store final : public store {
  // A write: its own IMMEDIATE transaction, or a savepoint inside a batch.
  class write_scope {
   public:
    explicit write_scope(sqlite_store& s) : s_(s), nested_(s.batch_depth_ > 0) {
      if (nested_) {
        s_.db_.exec("SAVEPOINT w");
        return;
      }
      s_.begin_write();
    }
    ~write_scope() {
      if (done_) return;
      try {
        s_.db_.exec(nested_ ? "ROLLBACK TO w; RELEASE w" : "ROLLBACK");
      } catch (...) {
      }
      // Why it rolled back is known only where the exception is caught (guard).
      if (!nested_) s_.rolled_back_ = true;
    }
    void commit() {
      if (nested_) {
        s_.db_.exec("RELEASE w");
      } else {
        s_.db_.exec("COMMIT");
        s_.end_write(true);
      }
      done_ = true;
    }

   private:
    sqlite_store& s_;
    bool nested_;
    bool done_ = false;
  };

  // BEGIN IMMEDIATE, timed for on_write; a failure to begin (locked, read-only) is
  // reported as a failed write.
  void begin_write() {
    write_started_ = std::chrono::steady_clock::now();
    failed_in_write_ = false;
    rolled_back_ = false;
    try {
      db_.exec("BEGIN IMMEDIATE");
    } catch (const std::exception& e) {
      failed_in_write_ = true;
      last_error_ = describe(path_, e);
      end_write(false);
      throw;
    }
  }

  // A write transaction ended. A rollback counts as a failed write only when SQLite
  // failed in it: a turn rolled back for a conflict or a bad input is not a database fault.
  void end_write(bool committed) {
    if (!on_write_) return;
    if (!committed && !failed_in_write_) return;
    on_write_(committed, std::chrono::steady_clock::now() - write_started_, committed ? std::string() : last_error_);
  }

 public:
  explicit sqlite_store(const sqlite_options& o)
      : path_(o.path),
        db_(o.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX),
        lock_wait_(o.busy_timeout_ms),
        on_write_(o.on_write) {
    db_.setBusyTimeout(o.busy_timeout_ms);
    if (sqlite3_db_readonly(db_.getHandle(), "main") == 1)
      throw storage_error("database " + path_ + ": is read-only (check the file's permissions)");
    db_.exec("PRAGMA foreign_keys = ON");
    sqlite_rows::register_on(db_.getHandle());
    // The first real read: a corrupted file or a foreign format fails here.
    std::string mode = db_.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") throw storage_error("database " + path_ + ": cannot switch to WAL mode (got " + mode + ")");
    db_.exec(o.fsync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Enough page cache for the hot part of a large database (the due index, recent rows):
    // SQLite's 2 MB default turns a batch of scattered updates into page reads.
    db_.exec("PRAGMA cache_size = -32768");
    apply_migrations(db_, schema_version);
    if (o.max_pages > 0) db_.exec("PRAGMA max_page_count = " + std::to_string(o.max_pages));
    if (o.background_checkpoints) {
      db_.exec("PRAGMA wal_autocheckpoint = 0");
      checkpoints_ = std::make_unique<checkpointer>(path_);
    }
  }

  std::int64_t ensure_user(const user_ref& u, timestamp now) override {
    return guard([&] {
      if (auto id = find_user(u)) return *id;
      auto& ins = cached("INSERT INTO users (platform, tenant, user_ref, created_at) VALUES (?, ?, ?, ?)");
      ins.bind(1, u.platform);
      ins.bind(2, u.tenant);
      ins.bind(3, u.user);
      ins.bind(4, secs(now));
      ins.exec();
      return db_.getLastInsertRowid();
    });
  }

  std::optional<std::int64_t> find_user(const user_ref& u) override {
    return guard([&]() -> std::optional<std::int64_t> {
      auto& q = cached("SELECT id FROM users WHERE platform = ? AND tenant = ? AND user_ref = ?");
      q.bind(1, u.platform);
      q.bind(2, u.tenant);
      q.bind(3, u.user);
      std::optional<std::int64_t> id;
      if (q.executeStep()) id = q.getColumn(0).getInt64();
      q.reset();  // a half-read statement would pin a read snapshot
      return id;
    });
  }

  std::vector<user_ref> users_named(std::string_view platform, std::string_view user) override {
    return guard([&] {
      std::vector<user_ref> out;
      SQLite::Statement q(db_, "SELECT platform, tenant, user_ref FROM users WHERE platform = ? AND user_ref = ? ORDER BY tenant");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(user));
      while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
      return out;
    });
  }

  loaded_conversation load_conversation(std::int64_t user_id) override {
    return guard([&] {
      loaded_conversation out;
      auto& q = cached("SELECT flow_id, flow_version, stage, current_question, editing, pending, round, misses, "
                       "started_at, last_activity, nudged, revision FROM conversations WHERE user_id = ?");
      q.bind(1, user_id);
      if (!q.executeStep()) return out;
      conversation& c = out.state;
      c.flow_id = q.getColumn(0).getString();
      c.flow_version = q.getColumn(1).getInt();
      c.at = dialogs::stage_from(q.getColumn(2).getString());
      c.current = q.getColumn(3).getString();
      c.editing = q.getColumn(4).getInt() != 0;
      c.confirm = dialogs::pending_from(q.getColumn(5).getString());
      c.round = q.getColumn(6).getInt();
      c.misses = q.getColumn(7).getInt();
      c.started = at(q.getColumn(8).getInt64());
      c.last_activity = at(q.getColumn(9).getInt64());
      c.nudged = q.getColumn(10).getInt() != 0;
      out.revision = q.getColumn(11).getInt64();
      q.reset();
      auto& a = cached("SELECT question, options, text, skipped, fingerprint, answered_at FROM answers "
                       "WHERE user_id = ? ORDER BY rowid");
      a.bind(1, user_id);
      while (a.executeStep()) {
        answer x;
        x.question = a.getColumn(0).getString();
        x.options = options_from(a.getColumn(1).getString());
        x.text = a.getColumn(2).getString();
        x.skipped = a.getColumn(3).getInt() != 0;
        x.fingerprint = a.getColumn(4).getString();
        x.at = at(a.getColumn(5).getInt64());
        c.answers.push_back(std::move(x));
      }
      out.checkin_revision = load_book(user_id, c.checkins, history_loaded);
      return out;
    });
  }

  // About a year of weeks: enough for the streak and the recent history.
  static constexpr int history_loaded = 60;

  // The person's check-in book with its newest `history_limit` entries; returns its
  // revision (0 when none is stored).
  std::int64_t load_book(std::int64_t user_id, dialogs::checkin_book& b, int history_limit) {
    static const std::string book_sql = std::string("SELECT ") + book_columns + " FROM checkin_books WHERE user_id = ?";
    static const std::string history_sql = std::string("SELECT ") + entry_columns +
                                           " FROM checkin_history WHERE user_id = ? ORDER BY week DESC LIMIT ?";
    std::int64_t revision = 0;
    {
      auto& q = cached(book_sql.c_str());
      q.bind(1, user_id);
      if (q.executeStep()) revision = read_book(q, 0, b);
      q.reset();
    }
    auto& h = cached(history_sql.c_str());
    h.bind(1, user_id);
    h.bind(2, history_limit);
    while (h.executeStep()) b.history.push_back(read_entry(h));
    h.reset();
    return revision;
  }

  // Writes the book if its stored revision is still `expected` (0: none stored yet).
  bool write_book(std::int64_t user_id, const dialogs::checkin_book& b, std::int64_t expected) {
    if (expected == 0) {
      auto& ins = cached("INSERT INTO checkin_books (scheduled, weekday, minute_of_day, zone, active, paused, "
                         "paused_until, paused_reason, reason_shown, next_due_at, next_week, zone_hint, dialog, user_id, "
                         "revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1) "
                         "ON CONFLICT (user_id) DO NOTHING");
      bind_book(ins, b);
      ins.bind(14, user_id);
      return ins.exec() == 1;
    }
    auto& up = cached("UPDATE checkin_books SET scheduled = ?1, weekday = ?2, minute_of_day = ?3, zone = ?4, active = ?5, "
                      "paused = ?6, paused_until = ?7, paused_reason = ?8, reason_shown = ?9, next_due_at = ?10, "
                      "next_week = ?11, zone_hint = ?12, dialog = ?13, revision = revision + 1 "
                      "WHERE user_id = ?14 AND revision = ?15");
    bind_book(up, b);
    up.bind(14, user_id);
    up.bind(15, expected);
    return up.exec() == 1;
  }

  // Inserts or updates a week's entry; with `only_new`, false when the week is already stored.
  bool write_entry(std::int64_t user_id, const dialogs::checkin_entry& e, bool only_new) {
    const char* sql = only_new
                          ? "INSERT INTO checkin_history (user_id, week, due_at, sent_at, reminded_at, answered_at, late, "
                            "skipped, progress, moved, moved_text, next_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (user_id, week) DO NOTHING"
                          : "INSERT INTO checkin_history (user_id, week, due_at, sent_at, reminded_at, answered_at, late, "
                            "skipped, progress, moved, moved_text, next_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (user_id, week) DO UPDATE SET due_at = excluded.due_at, sent_at = excluded.sent_at, "
                            "reminded_at = excluded.reminded_at, answered_at = excluded.answered_at, late = excluded.late, "
                            "skipped = excluded.skipped, progress = excluded.progress, moved = excluded.moved, "
                            "moved_text = excluded.moved_text, next_step = excluded.next_step";
    auto& q = cached(sql);
    q.bind(1, user_id);
    q.bind(2, e.week);
    q.bind(3, secs(e.due));
    bind_maybe(q, 4, e.sent.time_since_epoch().count() ? std::optional<timestamp>(e.sent) : std::nullopt);
    bind_maybe(q, 5, e.reminded);
    bind_maybe(q, 6, e.answered);
    q.bind(7, e.late ? 1 : 0);
    q.bind(8, e.skipped ? 1 : 0);
    if (e.progress.empty()) q.bind(9);
    else q.bind(9, e.progress);
    q.bind(10, options_text(e.moved));
    q.bind(11, e.moved_text);
    q.bind(12, e.next_step);
    return q.exec() == 1;
  }

  void save_turn(const turn_record& t) override {
    guard([&] {
      write_scope tx(*this);
      const conversation& c = t.state;
      if (t.erase_user) {
        erase_id(t.user_id);
      } else if (t.expected_revision == 0) {
        auto& ins = cached("INSERT INTO conversations (user_id, flow_id, flow_version, stage, current_question, "
                              "editing, pending, round, misses, started_at, last_activity, nudged, revision) "
                              "VALUES (?13, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1) "
                              "ON CONFLICT (user_id) DO NOTHING");
        bind_conversation(ins, c);
        ins.bind(13, t.user_id);
        if (ins.exec() != 1) throw conflict_error("the conversation was started elsewhere meanwhile");
      } else {
        auto& up = cached("UPDATE conversations SET flow_id = ?1, flow_version = ?2, stage = ?3, "
                             "current_question = ?4, editing = ?5, pending = ?6, round = ?7, misses = ?8, "
                             "started_at = ?9, last_activity = ?10, nudged = ?11, revision = revision + 1 "
                             "WHERE user_id = ?13 AND revision = ?12");
        bind_conversation(up, c);
        up.bind(12, t.expected_revision);
        up.bind(13, t.user_id);
        if (up.exec() != 1) throw conflict_error("the conversation changed meanwhile");
      }
      if (!t.erase_user) write_answers(t);
      if (!t.erase_user && t.checkins_changed) {
        if (!write_book(t.user_id, c.checkins, t.expected_checkin_revision))
          throw conflict_error("the check-ins changed meanwhile");
        for (const auto& e : c.checkins.history)
          if (e.changed) write_entry(t.user_id, e, false);
      }
      for (const auto& m : t.outbox) {
        outbox_message copy = m;
        if (t.erase_user && copy.user_id) {
          // The goodbye outlives the person's rows, and its parts keep their order.
          if (copy.queue.empty()) copy.queue = "erased:" + std::to_string(copy.user_id);
          copy.user_id = 0;
        }
        insert_outbox(copy, t.now);
      }
      if (t.inbox_done) mark_inbox_done(t.inbox_done->first, t.inbox_done->second, t.now);
      tx.commit();
    });
  }

  void write_answers(const turn_record& t) {
    const conversation& c = t.state;
    {
      auto& del = cached("DELETE FROM answers WHERE user_id = ?");
      del.bind(1, t.user_id);
      del.exec();
      auto& ins = cached("INSERT INTO answers (user_id, question, options, text, skipped, fingerprint, "
                            "flow_version, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (const auto& a : c.answers) {
        ins.reset();
        ins.bind(1, t.user_id);
        ins.bind(2, a.question);
        ins.bind(3, options_text(a.options));
        ins.bind(4, a.text);
        ins.bind(5, a.skipped ? 1 : 0);
        ins.bind(6, a.fingerprint);
        ins.bind(7, c.flow_version);
        ins.bind(8, secs(a.at));
        ins.exec();
      }
      auto& log = cached("INSERT INTO answer_log (user_id, round, question, options, text, skipped, flow_version, "
                            "answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (const auto& a : t.new_answers) {
        log.reset();
        log.bind(1, t.user_id);
        log.bind(2, c.round);
        log.bind(3, a.question);
        log.bind(4, options_text(a.options));
        log.bind(5, a.text);
        log.bind(6, a.skipped ? 1 : 0);
        log.bind(7, c.flow_version);
        log.bind(8, secs(a.at));
        log.exec();
      }
      if (t.result) write_result(t.user_id, *t.result);
    }
  }

  std::optional<stored_result> load_result(std::int64_t user_id) override {
    return guard([&]() -> std::optional<stored_result> {
      auto& q = cached("SELECT scoring_version, flow_version, primary_roles, confidence, result, computed_at "
                       "FROM results WHERE user_id = ?");
      q.bind(1, user_id);
      if (!q.executeStep()) return std::nullopt;
      stored_result r;
      r.scoring_version = q.getColumn(0).getInt();
      r.flow_version = q.getColumn(1).getInt();
      r.primary = options_from(q.getColumn(2).getString());
      r.confidence = q.getColumn(3).getString();
      r.json = q.getColumn(4).getString();
      r.computed_at = at(q.getColumn(5).getInt64());
      q.reset();
      return r;
    });
  }

  void save_result(std::int64_t user_id, const stored_result& r) override {
    guard([&] { write_result(user_id, r); });
  }

  std::optional<user_export> export_user(const user_ref& u) override {
    return guard([&]() -> std::optional<user_export> {
      auto id = find_user(u);
      if (!id) return std::nullopt;
      user_export out;
      out.user = u;
      {
        SQLite::Statement q(db_, "SELECT created_at FROM users WHERE id = ?");
        q.bind(1, *id);
        if (q.executeStep()) out.created_at = at(q.getColumn(0).getInt64());
      }
      loaded_conversation lc = load_conversation(*id);
      if (lc.revision > 0) out.conversation = std::move(lc.state);
      SQLite::Statement h(db_,
                          "SELECT round, question, options, text, skipped, flow_version, answered_at FROM answer_log "
                          "WHERE user_id = ? ORDER BY id");
      h.bind(1, *id);
      while (h.executeStep()) {
        logged_answer l;
        l.round = h.getColumn(0).getInt();
        l.given.question = h.getColumn(1).getString();
        l.given.options = options_from(h.getColumn(2).getString());
        l.given.text = h.getColumn(3).getString();
        l.given.skipped = h.getColumn(4).getInt() != 0;
        l.flow_version = h.getColumn(5).getInt();
        l.given.at = at(h.getColumn(6).getInt64());
        out.history.push_back(std::move(l));
      }
      out.result = load_result(*id);
      {
        dialogs::checkin_book book;
        if (load_book(*id, book, 1 << 30) != 0 || !book.history.empty()) out.checkins = std::move(book);
      }
      SQLite::Statement m(db_, (std::string("SELECT platform, kind, ") + message_body + ", created_at, sent_at FROM outbox WHERE user_id = ? ORDER BY id"));
      m.bind(1, *id);
      while (m.executeStep())
        out.messages.push_back({m.getColumn(0).getString(), m.getColumn(1).getString(), m.getColumn(2).getString(),
                                at(m.getColumn(3).getInt64()), maybe_at(m.getColumn(4))});
      return out;
    });
  }

  bool erase_user(const user_ref& u) override {
    return guard([&] {
      write_scope tx(*this);
      auto id = find_user(u);
      if (!id) return false;
      erase_id(*id);
      tx.commit();
      return true;
    });
  }

  void erase_id(std::int64_t id) {
    // Inbound payloads name the person too; dedupe ids stay so retries are still dropped.
    SQLite::Statement inbox(db_, "UPDATE inbox SET payload = NULL, user_id = NULL WHERE user_id = ?");
    inbox.bind(1, id);
    inbox.exec();
    auto bodies = bodies_named("user_id = ?1", id);
    SQLite::Statement del(db_, "DELETE FROM users WHERE id = ?");  // cascades to everything else
    del.bind(1, id);
    del.exec();
    drop_unused_bodies(bodies);
  }

  // The shared bodies named by the outbox rows matching `where` (?1, ?2, ... bound to
  // `args`), read before those rows go.
  template <class... T>
  std::vector<std::int64_t> bodies_named(const std::string& where, const T&... args) {
    std::vector<std::int64_t> out;
    SQLite::Statement q(db_, "SELECT DISTINCT body_id FROM outbox WHERE body_id IS NOT NULL AND " + where);
    int n = 1;
    (q.bind(n++, args), ...);
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
    return out;
  }

  // Of those shared bodies, the ones no message names any more.
  void drop_unused_bodies(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    auto& q = cached("DELETE FROM outbox_bodies WHERE id = ? AND NOT EXISTS (SELECT 1 FROM outbox WHERE body_id = ?1)");
    for (auto id : ids) {
      q.reset();
      q.bind(1, id);
      q.exec();
    }
  }

  void backup(const std::string& path) override {
    guard([&] {
      SQLite::Database dest(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup b(dest, db_);
      b.executeStep(-1);
    });
  }

  void begin_batch() override {
    guard([&] {
      if (batch_depth_ == 0) begin_write();
      ++batch_depth_;
    });
  }
  void commit_batch() override {
    guard([&] {
      if (batch_depth_ > 0 && batch_depth_ == 1) {
        db_.exec("COMMIT");
        batch_depth_ = 0;
        end_write(true);
      } else if (batch_depth_ > 0) {
        --batch_depth_;
      }
    });
  }
  void rollback_batch() override {
    guard([&] {
      if (batch_depth_ > 0) {
        batch_depth_ = 0;
        try {
          db_.exec("ROLLBACK");
        } catch (...) {
          end_write(false);
          throw;
        }
        end_write(false);
      }
    });
  }

  bool inbox_add(const inbox_event& e) override {
    return guard([&] {
      auto& q = cached("INSERT INTO inbox (source, event_id, received_at, content_type, payload) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, event_id) DO NOTHING");
      q.bind(1, e.source);
      q.bind(2, e.event_id);
      q.bind(3, secs(e.received_at));
      q.bind(4, e.content_type);
      q.bindNoCopy(5, e.payload);  // lives until exec(); spares a copy of every body
      return q.exec() == 1;
    });
  }

  std::vector<inbox_event> inbox_pending(std::size_t limit) override {
    return guard([&] {
      std::vector<inbox_event> out;
      SQLite::Statement q(db_,
                          "SELECT source, event_id, content_type, payload, received_at FROM inbox "
                          "WHERE processed_at IS NULL ORDER BY received_at, rowid LIMIT ?");
      q.bind(1, static_cast<std::int64_t>(limit));
      while (q.executeStep())
        out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                       q.getColumn(3).getString(), at(q.getColumn(4).getInt64())});
      return out;
    });
  }

  void inbox_done(std::string_view source, std::string_view event_id, timestamp when) override {
    guard([&] { mark_inbox_done(source, event_id, when); });
  }

  std::size_t inbox_prune(timestamp before) override {
    return guard([&] {
      SQLite::Statement q(db_, "DELETE FROM inbox WHERE processed_at IS NOT NULL AND received_at < ?");
      q.bind(1, secs(before));
      return static_cast<std::size_t>(q.exec());
    });
  }

  std::vector<outbox_message> outbox_pending(std::int64_t after_id, std::size_t limit) override {
    return guard([&] {
      std::vector<outbox_message> out;
      static const std::string sql = std::string("SELECT id, coalesce(user_id, 0), platform, tenant, queue, kind, ") +
                                     message_body + ", attempts, next_attempt_at, created_at, in_doubt FROM outbox "
                                     "WHERE id > ? AND sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT ?";
      auto& q = cached(sql.c_str());
      q.bind(1, after_id);
      q.bind(2, static_cast<std::int64_t>(limit));
      while (q.executeStep()) {
        outbox_message m;
        m.id = q.getColumn(0).getInt64();
        m.user_id = q.getColumn(1).getInt64();
        m.platform = q.getColumn(2).getString();
        m.tenant = q.getColumn(3).getString();
        m.queue = q.getColumn(4).getString();
        m.kind = q.getColumn(5).getString();
        m.body = q.getColumn(6).getString();
        m.attempts = q.getColumn(7).getInt();
        m.next_attempt_at = at(q.getColumn(8).getInt64());
        m.created_at = at(q.getColumn(9).getInt64());
        m.in_doubt = q.getColumn(10).getInt() != 0;
        out.push_back(std::move(m));
      }
      q.reset();
      return out;
    });
  }

  void outbox_add(const outbox_message& m) override {
    guard([&] { insert_outbox(m, m.created_at.time_since_epoch().count() ? m.created_at : m.next_attempt_at); });
  }

  void outbox_sent(std::int64_t id, timestamp when) override {
    guard([&] {
      auto& q = cached("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL, in_doubt = 0 WHERE id = ?");
      q.bind(1, secs(when));
      q.bind(2, id);
      q.exec();
    });
  }

  void outbox_retry(std::int64_t id, int attempts, timestamp next_attempt, std::string_view error) override {
    guard([&] {
      auto& q = cached("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, in_doubt = 0 WHERE id = ?");
      q.bind(1, attempts);
      q.bind(2, secs(next_attempt));
      q.bind(3, std::string(error));
      q.bind(4, id);
      q.exec();
    });
  }

  void outbox_failed(std::int64_t id, std::string_view error, timestamp when) override {
    guard([&] {
      auto& q = cached("UPDATE outbox SET failed_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?");
      q.bind(1, secs(when));
      q.bind(2, std::string(error));
      q.bind(3, id);
      q.exec();
    });
  }

  outbox_stats outbox_summary() override {
    return guard([&] {
      outbox_stats out;
      // Both come from the partial index of unsent messages (ids grow with creation time).
      auto& q = cached("SELECT count(*), (SELECT created_at FROM outbox WHERE id = (SELECT min(id) FROM outbox "
                       "WHERE sent_at IS NULL AND failed_at IS NULL)) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL");
      if (q.executeStep()) {
        out.depth = static_cast<std::size_t>(q.getColumn(0).getInt64());
        out.oldest = maybe_at(q.getColumn(1));
      }
      q.reset();
      return out;
    });
  }

  void outbox_doubt(std::int64_t id, bool in_doubt) override {
    guard([&] {
      auto& q = cached("UPDATE outbox SET in_doubt = ? WHERE id = ?");
      q.bind(1, in_doubt ? 1 : 0);
      q.bind(2, id);
      q.exec();
    });
  }

  void put_state(std::string_view key, std::string_view value, timestamp now) override {
    guard([&] {
      write_scope tx(*this);
      auto& q = cached("INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
      q.bind(1, std::string(key));
      q.bind(2, std::string(value));
      q.bind(3, secs(now));
      q.exec();
      tx.commit();
    });
  }

  std::optional<std::string> get_state(std::string_view key) override {
    return guard([&]() -> std::optional<std::string> {
      auto& q = cached("SELECT value FROM service_state WHERE key = ?");
      q.bind(1, std::string(key));
      std::optional<std::string> out;
      if (q.executeStep()) out = q.getColumn(0).getString();
      q.reset();
      return out;
    });
  }

  std::chrono::milliseconds set_lock_wait(std::chrono::milliseconds wait) override {
    auto before = lock_wait_;
    lock_wait_ = wait;
    sqlite3_busy_timeout(db_.getHandle(), static_cast<int>(wait.count()));
    return before;
  }

  void checkpoint() override {
    guard([&] { db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"); });
  }

  void remember_message(std::int64_t user_id, std::string_view ref, std::string_view channel,
                        std::string_view message_id) override {
    guard([&] {
      auto& q = cached("INSERT INTO sent_messages (user_id, ref, channel, message_id) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (user_id, ref) DO UPDATE SET channel = excluded.channel, "
                       "message_id = excluded.message_id");
      q.bind(1, user_id);
      q.bind(2, std::string(ref));
      q.bind(3, std::string(channel));
      q.bind(4, std::string(message_id));
      q.exec();
    });
  }

  std::optional<std::pair<std::string, std::string>> find_message(std::int64_t user_id, std::string_view ref) override {
    return guard([&]() -> std::optional<std::pair<std::string, std::string>> {
      auto& q = cached("SELECT channel, message_id FROM sent_messages WHERE user_id = ? AND ref = ?");
      q.bind(1, user_id);
      q.bind(2, std::string(ref));
      std::optional<std::pair<std::string, std::string>> out;
      if (q.executeStep()) out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
      q.reset();
      return out;
    });
  }

  void set_dm_channel(std::int64_t user_id, std::string_view channel) override {
    guard([&] {
      auto& q = cached("INSERT INTO dm_channels (user_id, channel) VALUES (?, ?) "
                       "ON CONFLICT (user_id) DO UPDATE SET channel = excluded.channel");
      q.bind(1, user_id);
      q.bind(2, std::string(channel));
      q.exec();
    });
  }

  std::optional<std::string> dm_channel(std::int64_t user_id) override {
    return guard([&]() -> std::optional<std::string> {
      auto& q = cached("SELECT channel FROM dm_channels WHERE user_id = ?");
      q.bind(1, user_id);
      std::optional<std::string> out;
      if (q.executeStep()) out = q.getColumn(0).getString();
      q.reset();
      return out;
    });
  }

  std::optional<user_ref> user_by_id(std::int64_t user_id) override {
    return guard([&]() -> std::optional<user_ref> {
      auto& q = cached("SELECT platform, tenant, user_ref FROM users WHERE id = ?");
      q.bind(1, user_id);
      std::optional<user_ref> out;
      if (q.executeStep()) out = user_ref{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()};
      q.reset();
      return out;
    });
  }

  std::vector<std::int64_t> stale_conversations(timestamp nudge_before, timestamp expire_before,
                                                const std::vector<std::string>& platforms, std::size_t limit) override {
    return guard([&] {
      std::vector<std::int64_t> out;
      if (platforms.empty()) return out;
      std::string in_list;
      for (std::size_t i = 0; i < platforms.size(); ++i) in_list += i ? ", ?" : "?";
      SQLite::Statement q(db_,
                          "SELECT c.user_id FROM conversations c JOIN users u ON u.id = c.user_id "
                          "WHERE c.stage IN ('asking', 'summary') AND c.last_activity > 0 "
                          "AND ((c.nudged = 0 AND c.last_activity <= ?) OR c.last_activity <= ?) "
                          "AND u.platform IN (" + in_list + ") ORDER BY c.last_activity LIMIT ?");
      int n = 1;
      q.bind(n++, secs(nudge_before));
      q.bind(n++, secs(expire_before));
      for (const auto& p : platforms) q.bind(n++, p);
      q.bind(n, static_cast<std::int64_t>(limit));
      while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
      return out;
    });
  }

  void note_community_member(std::string_view platform, std::string_view community, std::int64_t user_id,
                             timestamp now) override {
    guard([&] {
      auto& q = cached("INSERT INTO community_members (platform, community, user_id, first_seen) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT DO NOTHING");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(community));
      q.bind(3, user_id);
      q.bind(4, secs(now));
      q.exec();
    });
  }

  bool first_home_visit(std::int64_t user_id, timestamp now) override {
    return guard([&] {
      auto& q = cached("UPDATE users SET home_opened_at = ? WHERE id = ? AND home_opened_at IS NULL");
      q.bind(1, secs(now));
      q.bind(2, user_id);
      return q.exec() > 0;
    });
  }

  community_counts community_stats(std::string_view platform, std::string_view community) override {
    return guard([&] {
      community_counts c;
      SQLite::Statement q(db_,
                          "SELECT count(*), "
                          "count(CASE WHEN conv.stage IS NOT NULL AND conv.stage != 'fresh' THEN 1 END), "
                          "count(r.user_id), "
                          "count(CASE WHEN cs.active = 1 AND cs.paused = 0 THEN 1 END) "
                          "FROM community_members m "
                          "LEFT JOIN conversations conv ON conv.user_id = m.user_id "
                          "LEFT JOIN results r ON r.user_id = m.user_id "
                          "LEFT JOIN checkin_books cs ON cs.user_id = m.user_id "
                          "WHERE m.platform = ? AND m.community = ?");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(community));
      if (q.executeStep()) {
        c.members = q.getColumn(0).getInt64();
        c.started = q.getColumn(1).getInt64();
        c.finished = q.getColumn(2).getInt64();
        c.active_checkins = q.getColumn(3).getInt64();
      }
      SQLite::Statement roles(db_,
                              "SELECT json_extract(r.primary_roles, '$[0]') AS role, count(*) AS n "
                              "FROM community_members m JOIN results r ON r.user_id = m.user_id "
                              "WHERE m.platform = ? AND m.community = ? AND role IS NOT NULL "
                              "GROUP BY role ORDER BY n DESC, role");
      roles.bind(1, std::string(platform));
      roles.bind(2, std::string(community));
      while (roles.executeStep()) c.primary_roles.emplace_back(roles.getColumn(0).getString(), roles.getColumn(1).getInt64());
      return c;
    });
  }

  void pause_checkins(std::int64_t user_id, std::string_view reason) override {
    guard([&] {
      SQLite::Statement q(db_,
                          "UPDATE checkin_books SET paused = 1, paused_until = NULL, next_due_at = NULL, paused_reason = ?, "
                          "reason_shown = 0, revision = revision + 1 WHERE user_id = ?");
      q.bind(1, std::string(reason));
      q.bind(2, user_id);
      q.exec();
    });
  }

  std::vector<due_checkin> due_checkins(timestamp now, const std::vector<std::string>& platforms,
                                        std::size_t limit) override {
    return guard([&] {
      std::vector<due_checkin> out;
      if (platforms.empty()) return out;
      auto& q = cached_for(std::string("SELECT b.user_id, u.platform, u.tenant, u.user_ref, ") + book_columns +
                               " FROM checkin_books b JOIN users u ON u.id = b.user_id "
                               "WHERE b.active = 1 AND b.next_due_at IS NOT NULL AND b.next_due_at <= ? "
                               "AND u.platform IN (" + placeholders(platforms.size()) + ") ORDER BY b.next_due_at LIMIT ?");
      int n = 1;
      q.bind(n++, secs(now));
      for (const auto& p : platforms) q.bind(n++, p);
      q.bind(n, static_cast<std::int64_t>(limit));
      while (q.executeStep()) {
        due_checkin d;
        d.user_id = q.getColumn(0).getInt64();
        d.user = user_ref{q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getString()};
        d.revision = read_book(q, 4, d.book);
        out.push_back(std::move(d));
      }
      q.reset();
      return out;
    });
  }

  // Set-based: a batch is three or four statements whatever its size (the weeks' entries,
  // the books, the outbox messages), each reading its rows from mlpath_rows, instead of
  // three statements per person. A book changed meanwhile (a turn, another instance) or a
  // week already sent leaves that person's check-in unsent; the rest of the batch goes on.
  std::size_t record_started_checkins(const std::vector<started_checkin_record>& batch) override {
    return guard([&] {
      write_scope tx(*this);
      std::unordered_set<std::int64_t> fresh = write_new_entries(batch);
      std::unordered_set<std::int64_t> written;
      sqlite_rows rows(15);
      for (const auto& r : batch) {
        const dialogs::checkin_book* b = &r.book;
        dialogs::checkin_book sent_before;
        if (!r.entry.week.empty() && !fresh.count(r.user_id)) {
          // Already sent that week: only the schedule moves on.
          sent_before = r.book;
          sent_before.open_week.clear();
          sent_before.asking.clear();
          b = &sent_before;
        }
        if (r.expected_revision == 0) {  // no book stored yet
          if (write_book(r.user_id, *b, 0)) written.insert(r.user_id);
          continue;
        }
        add_book_row(rows, r.user_id, r.expected_revision, *b);
      }
      if (!rows.empty()) {
#define MLPATH_BOOKS_UPDATE                                                                                     \
  "UPDATE checkin_books SET scheduled = r.c2, weekday = r.c3, minute_of_day = r.c4, zone = r.c5, active = r.c6, " \
  "paused = r.c7, paused_until = r.c8, paused_reason = r.c9, reason_shown = r.c10, next_due_at = r.c11, "       \
  "next_week = r.c12, zone_hint = r.c13, dialog = r.c14, revision = revision + 1 FROM mlpath_rows(?1) AS r "     \
  "WHERE checkin_books.user_id = r.c0 AND checkin_books.revision = r.c1"
        // Usually every book is as the scheduler read it: one pass, nothing returned. When
        // some changed meanwhile, that pass is undone and repeated to learn which were written.
        db_.exec("SAVEPOINT books");
        auto& fast = batch_statement(MLPATH_BOOKS_UPDATE);
        fast.run(rows);
        if (static_cast<std::size_t>(fast.changes()) == rows.rows()) {
          db_.exec("RELEASE books");
          for (const auto& r : batch)
            if (r.expected_revision != 0) written.insert(r.user_id);
        } else {
          db_.exec("ROLLBACK TO books");
          db_.exec("RELEASE books");
          for (auto id : batch_statement(MLPATH_BOOKS_UPDATE " RETURNING user_id").run(rows)) written.insert(id);
        }
#undef MLPATH_BOOKS_UPDATE
      }
      std::vector<const started_checkin_record*> sending;
      for (const auto& r : batch) {
        if (r.entry.week.empty() || !fresh.count(r.user_id)) continue;
        if (written.count(r.user_id)) {
          sending.push_back(&r);
        } else if (!r.resend) {
          auto& undo = cached("DELETE FROM checkin_history WHERE user_id = ? AND week = ?");
          undo.bind(1, r.user_id);
          undo.bind(2, r.entry.week);
          undo.exec();
        }
      }
      insert_outbox_batch(sending);
      tx.commit();
      return sending.size();
    });
  }

  // The weeks' entries of a batch; returns the people whose entry this call wrote (a week
  // already stored was sent before: by an earlier run or another instance).
  std::unordered_set<std::int64_t> write_new_entries(const std::vector<started_checkin_record>& batch) {
    std::unordered_set<std::int64_t> fresh;
    sqlite_rows rows(12);
    for (const auto& r : batch) {
      if (r.entry.week.empty()) continue;
      if (r.resend) {  // a snoozed check-in: its entry exists and is brought up to date
        if (write_entry(r.user_id, r.entry, false)) fresh.insert(r.user_id);
        continue;
      }
      const auto& e = r.entry;
      rows.add(r.user_id).add(e.week).add(secs(e.due));
      rows.add(e.sent.time_since_epoch().count() ? std::optional<std::int64_t>(secs(e.sent)) : std::nullopt);
      rows.add(maybe_secs(e.reminded)).add(maybe_secs(e.answered)).add(e.late).add(e.skipped);
      if (e.progress.empty()) rows.add_null();
      else rows.add(e.progress);
      rows.add(options_text(e.moved)).add(e.moved_text).add(e.next_step);
    }
    if (!rows.empty()) {
      // New entries get ids above the largest now: all of them usually, else read back.
      std::int64_t before = db_.execAndGet("SELECT coalesce(max(id), 0) FROM checkin_history").getInt64();
      auto& q = batch_statement(
          "INSERT INTO checkin_history (user_id, week, due_at, sent_at, reminded_at, answered_at, late, skipped, progress, "
          "moved, moved_text, next_step) SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 FROM mlpath_rows(?1) "
          "WHERE true ON CONFLICT (user_id, week) DO NOTHING");
      q.run(rows);
      if (static_cast<std::size_t>(q.changes()) == rows.rows()) {
        for (const auto& r : batch)
          if (!r.entry.week.empty() && !r.resend) fresh.insert(r.user_id);
      } else {
        auto& added = cached("SELECT user_id FROM checkin_history WHERE id > ?");
        added.bind(1, before);
        while (added.executeStep()) fresh.insert(added.getColumn(0).getInt64());
      }
    }
    return fresh;
  }

  // The outbox messages of started check-ins, one statement per shared set of messages
  // (the scheduler renders one per platform, week and lateness) and message, naming one
  // copy of its body; each person's messages keep their order.
  void insert_outbox_batch(const std::vector<const started_checkin_record*>& sending) {
    std::map<const std::vector<outbox_message>*, std::vector<const started_checkin_record*>> groups;
    for (const auto* r : sending)
      if (r->outbox) groups[r->outbox.get()].push_back(r);
    for (const auto& [messages, people] : groups) {
      for (const outbox_message& m : *messages) {
        sqlite_rows rows(3);
        for (const auto* r : people) rows.add(r->user_id).add(r->tenant).add(secs(r->now));
        auto& body = cached("INSERT INTO outbox_bodies (body) VALUES (?)");
        body.bindNoCopy(1, m.body);
        body.exec();
        auto& q = batch_statement(
            "INSERT INTO outbox (user_id, platform, tenant, queue, kind, body, body_id, created_at, next_attempt_at) "
            "SELECT c0, ?2, c1, ?3, ?4, '', ?5, c2, ?6 FROM mlpath_rows(?1)");
        q.bind(2, m.platform).bind(3, m.queue).bind(4, m.kind).bind(5, db_.getLastInsertRowid());
        q.bind(6, secs(m.next_attempt_at));
        q.run(rows);
      }
    }
  }

  std::vector<std::int64_t> checkins_awaiting_reminder(timestamp sent_before, const std::vector<std::string>& platforms,
                                                       std::size_t limit) override {
    return guard([&] {
      std::vector<std::int64_t> out;
      if (platforms.empty()) return out;
      auto& q = cached_for("SELECT h.user_id FROM checkin_history h JOIN users u ON u.id = h.user_id "
                           "WHERE h.answered_at IS NULL AND h.reminded_at IS NULL AND h.skipped = 0 "
                           "AND h.sent_at IS NOT NULL AND h.sent_at <= ? AND u.platform IN (" +
                           placeholders(platforms.size()) + ") ORDER BY h.sent_at LIMIT ?");
      int n = 1;
      q.bind(n++, secs(sent_before));
      for (const auto& p : platforms) q.bind(n++, p);
      q.bind(n, static_cast<std::int64_t>(limit));
      while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
      q.reset();
      return out;
    });
  }

  wakeups next_wakeups(const std::vector<std::string>& platforms) override {
    return guard([&] {
      wakeups w;
      if (platforms.empty()) return w;
      std::string in = "u.platform IN (" + placeholders(platforms.size()) + ")";
      auto one = [&](const std::string& sql) {
        auto& q = cached_for(sql);
        int n = 1;
        for (const auto& p : platforms) q.bind(n++, p);
        std::optional<timestamp> t;
        if (q.executeStep()) t = maybe_at(q.getColumn(0));
        q.reset();
        return t;
      };
      w.checkin_due = one("SELECT min(b.next_due_at) FROM checkin_books b JOIN users u ON u.id = b.user_id "
                          "WHERE b.active = 1 AND b.next_due_at IS NOT NULL AND " + in);
      w.reminder_sent = one("SELECT min(h.sent_at) FROM checkin_history h JOIN users u ON u.id = h.user_id "
                            "WHERE h.answered_at IS NULL AND h.reminded_at IS NULL AND h.skipped = 0 "
                            "AND h.sent_at IS NOT NULL AND " + in);
      w.quiet_unnudged = one("SELECT min(c.last_activity) FROM conversations c JOIN users u ON u.id = c.user_id "
                             "WHERE c.stage IN ('asking', 'summary') AND c.last_activity > 0 AND c.nudged = 0 AND " + in);
      w.quiet_nudged = one("SELECT min(c.last_activity) FROM conversations c JOIN users u ON u.id = c.user_id "
                           "WHERE c.stage IN ('asking', 'summary') AND c.last_activity > 0 AND c.nudged = 1 AND " + in);
      return w;
    });
  }

  void save_installation(const installation& i) override {
    guard([&] {
      // A new install replaces the old one whole, its rotation state included.
      SQLite::Statement q(db_,
                          "INSERT INTO installations (platform, tenant, bot_token, bot_user_id, bot_id, scopes, "
                          "installed_at, enterprise_id, is_enterprise_install, app_id, installer_user_id, refresh_token, "
                          "token_expires_at, refresh_claimed_until, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (platform, tenant) DO UPDATE SET "
                          "bot_token = excluded.bot_token, bot_user_id = excluded.bot_user_id, "
                          "bot_id = excluded.bot_id, scopes = excluded.scopes, installed_at = excluded.installed_at, "
                          "enterprise_id = excluded.enterprise_id, is_enterprise_install = excluded.is_enterprise_install, "
                          "app_id = excluded.app_id, installer_user_id = excluded.installer_user_id, "
                          "refresh_token = excluded.refresh_token, token_expires_at = excluded.token_expires_at, "
                          "refresh_claimed_until = NULL, updated_at = excluded.updated_at");
      q.bind(1, i.platform);
      q.bind(2, i.tenant);
      q.bind(3, i.bot_token);
      q.bind(4, i.bot_user_id);
      q.bind(5, i.bot_id);
      q.bind(6, i.scopes);
      q.bind(7, secs(i.installed_at));
      q.bind(8, i.enterprise_id);
      q.bind(9, i.is_enterprise_install ? 1 : 0);
      q.bind(10, i.app_id);
      q.bind(11, i.installer_user_id);
      q.bind(12, i.refresh_token);
      bind_maybe(q, 13, i.token_expires_at);
      q.bind(14, secs(i.updated_at.time_since_epoch().count() ? i.updated_at : i.installed_at));
      q.exec();
    });
  }

  std::vector<installation> installations(std::string_view platform) override {
    return guard([&] {
      std::vector<installation> out;
      SQLite::Statement q(db_, std::string("SELECT ") + installation_columns +
                                   " FROM installations WHERE platform = ? ORDER BY tenant");
      q.bind(1, std::string(platform));
      while (q.executeStep()) out.push_back(read_installation(q));
      return out;
    });
  }

  std::optional<installation> find_installation(std::string_view platform, std::string_view tenant) override {
    return guard([&]() -> std::optional<installation> {
      SQLite::Statement q(db_, std::string("SELECT ") + installation_columns +
                                   " FROM installations WHERE platform = ? AND tenant = ?");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(tenant));
      if (!q.executeStep()) return std::nullopt;
      return read_installation(q);
    });
  }

  bool delete_installation(std::string_view platform, std::string_view tenant, timestamp now) override {
    return guard([&] {
      write_scope tx(*this);
      SQLite::Statement q(db_, "DELETE FROM installations WHERE platform = ? AND tenant = ?");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(tenant));
      bool removed = q.exec() > 0;
      // Nobody there can be messaged any more.
      SQLite::Statement stop(db_,
                             std::string("UPDATE checkin_books SET active = 0, next_due_at = NULL, paused_reason = 'uninstalled', "
                                         "revision = revision + 1 WHERE user_id IN "
                                         "(SELECT id FROM users WHERE platform = ?1 AND ") + served_tenants + ")");
      stop.bind(1, std::string(platform));
      stop.bind(2, std::string(tenant));
      stop.exec();
      SQLite::Statement drop(db_,
                             std::string("UPDATE outbox SET failed_at = ?3, last_error = 'uninstalled' "
                                         "WHERE sent_at IS NULL AND failed_at IS NULL AND platform = ?1 AND ") + served_tenants);
      drop.bind(1, std::string(platform));
      drop.bind(2, std::string(tenant));
      drop.bind(3, secs(now));
      drop.exec();
      tx.commit();
      return removed;
    });
  }

  bool erase_installation(std::string_view platform, std::string_view tenant) override {
    return guard([&] {
      write_scope tx(*this);
      auto run = [&](const std::string& sql) {
        SQLite::Statement q(db_, sql);
        q.bind(1, std::string(platform));
        q.bind(2, std::string(tenant));
        return q.exec();
      };
      // The people first: which teams the org's install served is read before its rows go.
      const std::string people = std::string("SELECT id FROM users WHERE platform = ?1 AND ") + served_tenants;
      auto bodies = bodies_named(std::string("platform = ?1 AND ") + served_tenants, std::string(platform),
                                 std::string(tenant));
      // Inbound payloads name the people too; dedupe ids stay so retries are still dropped.
      run("UPDATE inbox SET payload = NULL, user_id = NULL WHERE user_id IN (" + people + ")");
      run("DELETE FROM users WHERE id IN (" + people + ")");  // cascades to everything they own
      // What is left there belongs to nobody in particular (goodbyes after an erase, ...).
      run(std::string("DELETE FROM outbox WHERE platform = ?1 AND ") + served_tenants);
      drop_unused_bodies(bodies);
      if (platform == "slack") run("DELETE FROM slack_teams WHERE ?1 = 'slack' AND (enterprise_id = ?2 OR team_id = ?2)");
      bool removed = run("DELETE FROM installations WHERE platform = ?1 AND tenant = ?2") > 0;
      tx.commit();
      return removed;
    });
  }

  std::size_t prune(timestamp messages_before, timestamp events_before, std::size_t limit) override {
    return guard([&] {
      write_scope tx(*this);
      const std::string old_messages =
          "id IN (SELECT id FROM outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) AND created_at < ?1 "
          "ORDER BY id LIMIT ?2)";
      auto lim = static_cast<std::int64_t>(limit);
      auto bodies = bodies_named(old_messages, secs(messages_before), lim);
      SQLite::Statement messages(db_, "DELETE FROM outbox WHERE " + old_messages);
      messages.bind(1, secs(messages_before));
      messages.bind(2, lim);
      std::size_t removed = static_cast<std::size_t>(messages.exec());
      drop_unused_bodies(bodies);
      SQLite::Statement events(db_,
                               "DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox WHERE processed_at IS NOT NULL "
                               "AND processed_at < ?1 LIMIT ?2)");
      events.bind(1, secs(events_before));
      events.bind(2, lim);
      removed += static_cast<std::size_t>(events.exec());
      tx.commit();
      return removed;
    });
  }

  bool erase_slack_team(std::string_view team, std::string_view enterprise) override {
    return guard([&] {
      if (team.empty() || enterprise.empty() || team == enterprise) return false;
      write_scope tx(*this);
      SQLite::Statement other(db_,
                              "SELECT 1 FROM installations WHERE platform = 'slack' AND tenant = ?1 "
                              "UNION ALL SELECT 1 FROM slack_teams WHERE team_id = ?1 AND enterprise_id != ?2");
      other.bind(1, std::string(team));
      other.bind(2, std::string(enterprise));
      if (other.executeStep()) return false;
      auto run = [&](const char* sql) {
        SQLite::Statement q(db_, sql);
        q.bind(1, std::string(team));
        q.exec();
      };
      auto bodies = bodies_named("platform = 'slack' AND tenant = ?1", std::string(team));
      // Inbound payloads name the people too; dedupe ids stay so retries are still dropped.
      run("UPDATE inbox SET payload = NULL, user_id = NULL "
          "WHERE user_id IN (SELECT id FROM users WHERE platform = 'slack' AND tenant = ?1)");
      run("DELETE FROM users WHERE platform = 'slack' AND tenant = ?1");  // cascades to everything they own
      run("DELETE FROM outbox WHERE platform = 'slack' AND tenant = ?1");
      drop_unused_bodies(bodies);
      run("DELETE FROM slack_teams WHERE team_id = ?1");
      tx.commit();
      return true;
    });
  }

  bool claim_token_refresh(std::string_view platform, std::string_view tenant, std::string_view refresh_token,
                           timestamp now, timestamp until) override {
    return guard([&] {
      SQLite::Statement q(db_,
                          "UPDATE installations SET refresh_claimed_until = ?4 WHERE platform = ?1 AND tenant = ?2 "
                          "AND refresh_token = ?3 AND refresh_token != '' "
                          "AND (refresh_claimed_until IS NULL OR refresh_claimed_until <= ?5)");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(tenant));
      q.bind(3, std::string(refresh_token));
      q.bind(4, secs(until));
      q.bind(5, secs(now));
      return q.exec() == 1;
    });
  }

  void release_token_refresh(std::string_view platform, std::string_view tenant,
                             std::string_view refresh_token) override {
    guard([&] {
      SQLite::Statement q(db_,
                          "UPDATE installations SET refresh_claimed_until = NULL WHERE platform = ? AND tenant = ? "
                          "AND refresh_token = ?");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(tenant));
      q.bind(3, std::string(refresh_token));
      q.exec();
    });
  }

  bool rotate_tokens(std::string_view platform, std::string_view tenant, std::string_view old_refresh_token,
                     const rotated_tokens& fresh, timestamp now) override {
    return guard([&] {
      SQLite::Statement q(db_,
                          "UPDATE installations SET bot_token = ?4, refresh_token = ?5, token_expires_at = ?6, "
                          "refresh_claimed_until = NULL, updated_at = ?7 "
                          "WHERE platform = ?1 AND tenant = ?2 AND refresh_token = ?3 AND refresh_token != ''");
      q.bind(1, std::string(platform));
      q.bind(2, std::string(tenant));
      q.bind(3, std::string(old_refresh_token));
      q.bind(4, fresh.bot_token);
      q.bind(5, fresh.refresh_token);
      bind_maybe(q, 6, fresh.expires_at);
      q.bind(7, secs(now));
      return q.exec() == 1;
    });
  }

  void note_slack_team(std::string_view team, std::string_view enterprise, timestamp now) override {
    guard([&] {
      auto& q = cached("INSERT INTO slack_teams (team_id, enterprise_id, seen_at) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, "
                       "seen_at = excluded.seen_at WHERE enterprise_id != excluded.enterprise_id");
      q.bind(1, std::string(team));
      q.bind(2, std::string(enterprise));
      q.bind(3, secs(now));
      q.exec();
    });
  }

  std::vector<std::pair<std::string, std::string>> slack_teams() override {
    return guard([&] {
      std::vector<std::pair<std::string, std::string>> out;
      SQLite::Statement q(db_, "SELECT team_id, enterprise_id FROM slack_teams ORDER BY team_id");
      while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
      return out;
    });
  }

 private:
  // Prepared statements whose text is built at run time (a list of platforms), kept by text.
  SQLite::Statement& cached_for(const std::string& sql) {
    auto it = built_statements_.find(sql);
    if (it == built_statements_.end()) it = built_statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
  }

  static std::string placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
    return s;
  }

  // Statements that read a batch from mlpath_rows, prepared once.
  rows_statement& batch_statement(const char* sql) {
    auto it = batch_statements_.find(sql);
    if (it == batch_statements_.end())
      it = batch_statements_.emplace(sql, std::make_unique<rows_statement>(db_.getHandle(), sql)).first;
    return *it->second;
  }

  // Prepared statements reused across calls on hot paths; reset before each use.
  SQLite::Statement& cached(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
  }

  void insert_outbox(const outbox_message& m, timestamp now) {
    auto& q = cached("INSERT INTO outbox (user_id, platform, tenant, queue, kind, body, created_at, "
                     "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (m.user_id) q.bind(1, m.user_id);
    else q.bind(1);
    q.bind(2, m.platform);
    q.bind(3, m.tenant);
    q.bind(4, m.queue);
    q.bind(5, m.kind);
    q.bind(6, m.body);
    q.bind(7, secs(now));
    q.bind(8, secs(m.next_attempt_at));
    q.exec();
  }

  void mark_inbox_done(std::string_view source, std::string_view event_id, timestamp when) {
    auto& q = cached("UPDATE inbox SET processed_at = ? WHERE source = ? AND event_id = ?");
    q.bind(1, secs(when));
    q.bind(2, std::string(source));
    q.bind(3, std::string(event_id));
    q.exec();
  }

  static constexpr const char* installation_columns =
      "platform, tenant, bot_token, bot_user_id, bot_id, scopes, installed_at, enterprise_id, is_enterprise_install, "
      "app_id, installer_user_id, refresh_token, token_expires_at, updated_at";

  // The tenants an installation serves, as a condition on a `tenant` column with the
  // platform as ?1 and the installation's tenant as ?2: the tenant itself and, for a Slack
  // org-wide install, the org's teams that have no installation of their own.
  static constexpr const char* served_tenants =
      "(tenant = ?2 OR (?1 = 'slack' AND tenant IN (SELECT team_id FROM slack_teams WHERE enterprise_id = ?2 "
      "AND team_id NOT IN (SELECT tenant FROM installations WHERE platform = 'slack'))))";

  static installation read_installation(SQLite::Statement& q) {
    installation i;
    i.platform = q.getColumn(0).getString();
    i.tenant = q.getColumn(1).getString();
    i.bot_token = q.getColumn(2).getString();
    i.bot_user_id = q.getColumn(3).getString();
    i.bot_id = q.getColumn(4).getString();
    i.scopes = q.getColumn(5).getString();
    i.installed_at = at(q.getColumn(6).getInt64());
    i.enterprise_id = q.getColumn(7).getString();
    i.is_enterprise_install = q.getColumn(8).getInt() != 0;
    i.app_id = q.getColumn(9).getString();
    i.installer_user_id = q.getColumn(10).getString();
    i.refresh_token = q.getColumn(11).getString();
    i.token_expires_at = maybe_at(q.getColumn(12));
    i.updated_at = at(q.getColumn(13).getInt64());
    return i;
  }

  template <class F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const conflict_error&) {
      rolled_back_ = false;  // another writer won a race: not a database fault
      throw;
    } catch (const storage_error& e) {
      last_error_ = e.what();
      sqlite_failed();
      throw;
    } catch (const std::exception& e) {
      last_error_ = describe(path_, e);
      sqlite_failed();
      fail(path_, e);
    }
  }

  // SQLite refused something: a write transaction it rolled back is a failed write.
  void sqlite_failed() {
    failed_in_write_ = true;
    if (rolled_back_) {
      rolled_back_ = false;
      end_write(false);
    }
  }

  static void bind_conversation(SQLite::Statement& s, const conversation& c) {
    s.bind(1, c.flow_id);
    s.bind(2, c.flow_version);
    s.bind(3, dialogs::to_string(c.at));
    s.bind(4, c.current);
    s.bind(5, c.editing ? 1 : 0);
    s.bind(6, dialogs::to_string(c.confirm));
    s.bind(7, c.round);
    s.bind(8, c.misses);
    s.bind(9, secs(c.started));
    s.bind(10, secs(c.last_activity));
    s.bind(11, c.nudged ? 1 : 0);
  }

  void write_result(std::int64_t user_id, const stored_result& r) {
    auto& q = cached("INSERT INTO results (user_id, scoring_version, flow_version, primary_roles, confidence, "
                        "result, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                        "scoring_version = excluded.scoring_version, flow_version = excluded.flow_version, "
                        "primary_roles = excluded.primary_roles, confidence = excluded.confidence, "
                        "result = excluded.result, computed_at = excluded.computed_at");
    q.bind(1, user_id);
    q.bind(2, r.scoring_version);
    q.bind(3, r.flow_version);
    q.bind(4, options_text(r.primary));
    q.bind(5, r.confidence);
    q.bind(6, r.json);
    q.bind(7, secs(r.computed_at));
    q.exec();
  }

  std::string path_;
  SQLite::Database db_;
  std::chrono::milliseconds lock_wait_;
  std::function<void(bool, std::chrono::duration<double>, const std::string&)> on_write_;
  std::string last_error_;  // SQLite's latest complaint, for on_write
  std::chrono::steady_clock::time_point write_started_{};
  bool failed_in_write_ = false;  // SQLite failed since the current write began
  bool rolled_back_ = false;      // a write_scope rolled back; guard decides whether it failed
  int batch_depth_ = 0;
  std::map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> built_statements_;
  std::map<const char*, std::unique_ptr<rows_statement>> batch_statements_;
  std::unique_ptr<checkpointer> checkpoints_;  // last member: stops before the connection closes
};

}  // namespace

std::unique_ptr<store> open_sqlite_store(const sqlite_options& options) {
  try {
    return std::make_unique<sqlite_store>(options);
  } catch (const storage_error&) {
    throw;
  } catch (const std::exception& e) {
    fail(options.path, e);
  }
}

int latest_schema_version() { return schema_version; }

sqlite_preflight check_sqlite_file(const std::string& path) {
  namespace fs = std::filesystem;
  sqlite_preflight out;
  std::error_code ec;
  fs::path p(path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  auto prefix = "database " + path + ": ";
  auto st = fs::status(p, ec);
  if (!ec && fs::exists(st)) {
    out.exists = true;
    if (fs::is_directory(st)) {
      out.problem = prefix + "is a directory, not a file";
      return out;
    }
    try {
      SQLite::Database db(path, SQLite::OPEN_READONLY);
      out.schema_version = db.execAndGet("PRAGMA user_version").getInt();
    } catch (const std::exception& e) {
      out.problem = describe(path, e);
      return out;
    }
    if (out.schema_version > schema_version) {
      out.problem = newer_schema(path, out.schema_version);
      return out;
    }
    if (::access(path.c_str(), R_OK | W_OK) != 0) {
      out.problem = prefix + "is read-only (check the file's permissions and owner)";
      return out;
    }
  } else if (!fs::is_directory(dir, ec)) {
    out.problem = prefix + "the directory " + dir.string() + " does not exist";
    return out;
  }
  // SQLite keeps its -wal and -shm files beside the database, so the directory must be
  // writable as well.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    out.problem = prefix + "the directory " + dir.string() + " is not writable (SQLite keeps its -wal and -shm files there)";
  return out;
}

void migrate_sqlite_file_to(const std::string& path, int version) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    apply_migrations(db, version);
  } catch (const storage_error&) {
    throw;
  } catch (const std::exception& e) {
    fail(path, e);
  }
}

std::string sqlite_integrity_check(const std::string& path) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "PRAGMA integrity_check");
    std::string out;
    while (q.executeStep()) out += (out.empty() ? "" : "\n") + q.getColumn(0).getString();
    return out;
  } catch (const std::exception& e) {
    fail(path, e);
  }
}

}  // namespace mlpath::storage
