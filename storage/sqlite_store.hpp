#pragma once
// The SQLite implementation of storage::store: WAL, foreign keys, migrations keyed by
// PRAGMA user_version, one transaction per turn.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace mlpath::storage {

struct sqlite_options {
  std::string path = "mlpath.db";
  bool fsync = false;          // MLPATH_DURABILITY=fsync: synchronous=FULL (survives power loss)
  int busy_timeout_ms = 5000;  // how long to wait for another writer before "locked"
  // Checkpoint the WAL from a background thread instead of inside commits (the service).
  bool background_checkpoints = false;
  // Told about every write transaction as it ends: committed (with its time from BEGIN to
  // COMMIT) or failed (locked, full, read-only, ...). Called on the writing thread.
  // `error`: SQLite's complaint, as one line, for a failed write.
  std::function<void(bool committed, std::chrono::duration<double> took, const std::string& error)> on_write;
  // A cap on the database size in pages (0 = SQLite's default): past it writes fail with
  // SQLITE_FULL, as on a full disk.
  long max_pages = 0;
};

// Opens (creating if needed) and migrates to the latest schema. Throws storage_error
// with one clear line for a corrupted, locked, read-only or unreadable file.
std::unique_ptr<store> open_sqlite_store(const sqlite_options& options);

// The schema version open_sqlite_store migrates to.
int latest_schema_version();

// Whether `path` can be opened and written, found without creating, migrating or locking
// anything (mlpath serve --check-config, and the check before serving starts).
struct sqlite_preflight {
  bool exists = false;
  int schema_version = 0;  // of an existing file
  std::string problem;     // "" = usable; else one line, starting with "database <path>: "
};
sqlite_preflight check_sqlite_file(const std::string& path);

// For tests of migrations: brings a database file to exactly `version`.
void migrate_sqlite_file_to(const std::string& path, int version);

// PRAGMA integrity_check of a database file: "ok" or the problems found.
std::string sqlite_integrity_check(const std::string& path);

}  // namespace mlpath::storage
