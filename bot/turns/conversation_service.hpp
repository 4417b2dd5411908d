#pragma once
// One turn of one person's conversation: load from storage, step the engine, save the
// new state (and what it caused) in one transaction, hand back the replies.
//
// Threading: use from one thread at a time (it shares the store).

#include <cstdint>
#include <functional>
#include <vector>

#include "dialogs/engine.hpp"
#include "storage/store.hpp"

namespace mlpath {

// The wall clock, injected everywhere time decides something (tests pass their own).
using wall_clock_fn = std::function<dialogs::timestamp()>;

class conversation_service {
 public:
  // Both must outlive the service.
  conversation_service(const dialogs::engine& engine, storage::store& store);

  struct outcome {
    std::vector<dialogs::reply> replies;
    bool erased = false;  // the person's data was deleted at their request
  };

  // Adds what a platform needs to the turn before it is saved (rendered replies for the
  // outbox, the inbox event it consumed): all of it commits in the same transaction.
  using turn_hook = std::function<void(const std::vector<dialogs::reply>& replies, storage::turn_record& turn)>;

  outcome handle(const storage::user_ref& user, const dialogs::input& in, dialogs::timestamp now,
                 const turn_hook& hook = {});

  const dialogs::engine& engine() const { return engine_; }
  // Turns saved so far (mlpath_engine_turns_total).
  std::uint64_t turns() const { return turns_; }

  // Called after a turn that changed someone's check-ins was saved, with the book before
  // and after (the scheduler re-arms its timer and counts answers and pauses).
  using checkins_changed_fn = std::function<void(const dialogs::checkin_book& before, const dialogs::checkin_book& after)>;
  void on_checkins_changed(checkins_changed_fn fn) { checkins_changed_ = std::move(fn); }

 private:
  const dialogs::engine& engine_;
  storage::store& store_;
  checkins_changed_fn checkins_changed_;
  std::uint64_t turns_ = 0;
};

}  // namespace mlpath
