#pragma once
// The storage interface: everything mlpath keeps about people, with no SQLite types in
// sight. One implementation (sqlite_store.hpp); tests may use it on temporary files.
//
// Threading: a store object is used from one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialogs/conversation.hpp"

namespace mlpath::storage {

using dialogs::timestamp;

// A person on one platform: (platform, tenant, user) is unique. Tenant is the Slack team
// or Discord guild the person reached us through ("" where there is none).
struct user_ref {
  std::string platform;  // slack, discord, console
  std::string tenant;
  std::string user;
};

// Any storage failure, with a message fit for one line of output.
class storage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Another writer changed the conversation between load and save: reload and retry.
class conflict_error : public storage_error {
 public:
  using storage_error::storage_error;
};

struct loaded_conversation {
  dialogs::conversation state;
  std::int64_t revision = 0;  // 0: nothing stored yet
};

struct stored_result {
  int scoring_version = 0;
  int flow_version = 0;
  std::vector<std::string> primary;
  std::string confidence;
  std::string json;  // the full result as `mlpath match --json` prints it
  timestamp computed_at{};
};

// Everything one turn changes, written in one transaction.
struct turn_record {
  std::int64_t user_id = 0;
  std::int64_t expected_revision = 0;  // from load_conversation; a mismatch is a conflict
  dialogs::conversation state;
  dialogs::answer_list new_answers;  // answers given this turn, appended to the history
  std::optional<stored_result> result;
};

class store {
 public:
  virtual ~store() = default;

  virtual std::int64_t ensure_user(const user_ref& u, timestamp now) = 0;
  virtual std::optional<std::int64_t> find_user(const user_ref& u) = 0;

  virtual loaded_conversation load_conversation(std::int64_t user_id) = 0;
  // Throws conflict_error when the stored revision is not `expected_revision`.
  virtual void save_turn(const turn_record& t) = 0;

  virtual std::optional<stored_result> load_result(std::int64_t user_id) = 0;
  virtual void save_result(std::int64_t user_id, const stored_result& r) = 0;

  // Everything stored about one person, as a JSON document; nullopt when unknown.
  virtual std::optional<std::string> export_user(const user_ref& u) = 0;
  // Erases everything stored about one person; false when unknown.
  virtual bool erase_user(const user_ref& u) = 0;

  // An online, consistent copy of the whole database at `path`.
  virtual void backup(const std::string& path) = 0;
};

}  // namespace mlpath::storage
