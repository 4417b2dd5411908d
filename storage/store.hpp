#pragma once
// The storage interface: everything mlpath keeps about people, with no SQLite types in
// sight. One implementation (sqlite_store.hpp); tests may use it on temporary files.
//
// Threading: a store object is used from one thread at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialogs/conversation.hpp"
#include "dialogs/user_ref.hpp"

namespace mlpath::storage {

using dialogs::timestamp;

using dialogs::user_ref;

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
  dialogs::conversation state;       // with its check-in book (schedule, dialog, about a year of history)
  std::int64_t revision = 0;         // 0: nothing stored yet
  std::int64_t checkin_revision = 0; // the check-in book's; 0: none stored yet
};

struct stored_result {
  int scoring_version = 0;
  int flow_version = 0;
  std::vector<std::string> primary;
  std::string confidence;
  std::string json;  // the full result as `mlpath match --json` prints it
  timestamp computed_at{};
};

// An inbound platform event, stored before it is acknowledged so that nothing
// acknowledged is only in memory. (source, event_id) is unique: retries are dropped.
struct inbox_event {
  std::string source;    // slack, discord
  std::string event_id;  // the platform's id (event_id, interaction id, ...)
  std::string content_type;
  std::string payload;   // the raw body
  timestamp received_at{};
};

// A message to send, stored in the same transaction as the state change that caused it.
// Storage keeps it as data and does not interpret it: `kind` names one of the closed set
// of message types in bot/outbox/message.hpp and `body` holds that type's fields.
struct outbox_message {
  std::int64_t id = 0;       // assigned on insert; sends happen in id order per queue
  std::int64_t user_id = 0;  // 0: not tied to a person (e.g. the goodbye after an erase)
  std::string platform;      // which sender delivers it: slack, discord
  std::string tenant;        // workspace / guild, picks the credentials
  std::string queue;         // messages with the same queue go out in id order; "" = the person's
  std::string kind;          // the message type's stable id, e.g. slack.post
  std::string body;          // the type's fields (JSON)
  int attempts = 0;
  timestamp next_attempt_at{};
  timestamp created_at{};    // when it was made (save_turn: the turn's time; outbox_add: this, else next_attempt_at)
  // An earlier send may have reached the platform without a confirmation (a crash or a
  // lost answer in mid-send): the platform is asked before the message is sent again.
  bool in_doubt = false;
};

// What is waiting to be sent, for /metrics.
struct outbox_stats {
  std::size_t depth = 0;                 // neither sent nor failed
  std::optional<timestamp> oldest;       // when the oldest of them was created
};

// Everything one turn changes, written in one transaction.
struct turn_record {
  std::int64_t user_id = 0;
  std::int64_t expected_revision = 0;  // from load_conversation; a mismatch is a conflict
  dialogs::conversation state;
  dialogs::answer_list new_answers;  // answers given this turn, appended to the history
  std::optional<stored_result> result;
  bool erase_user = false;              // delete everything about the person instead of saving state
  std::vector<outbox_message> outbox;   // replies to send once committed
  std::optional<std::pair<std::string, std::string>> inbox_done;  // (source, event_id) this turn consumed
  timestamp now{};
  // The check-in book changed: it is saved (its history entries marked `changed`) if its
  // stored revision is still `expected_checkin_revision`, else the turn is a conflict.
  bool checkins_changed = false;
  std::int64_t expected_checkin_revision = 0;
};

// A check-in book whose next check-in is due (the scheduler's query).
struct due_checkin {
  std::int64_t user_id = 0;
  user_ref user;
  dialogs::checkin_book book;  // schedule and dialog; no history
  std::int64_t revision = 0;
};

// A check-in the scheduler started for one person: stored with its outbox messages in the
// same transaction, once per (person, week).
struct started_checkin_record {
  std::int64_t user_id = 0;
  std::int64_t expected_revision = 0;
  dialogs::checkin_book book;         // the new schedule and dialog (history is not read)
  dialogs::checkin_entry entry;       // the week being sent
  bool resend = false;                // a snoozed check-in: the week's entry already exists
  std::string tenant;                 // the person's workspace or server
  // The messages, rendered once and shared by everyone with the same check-in (their
  // user_id and tenant are the record's); stored as one copy of each body.
  std::shared_ptr<const std::vector<outbox_message>> outbox;
  timestamp now{};
};

// The earliest time each kind of timed work is due, for the scheduler's one timer.
struct wakeups {
  std::optional<timestamp> checkin_due;     // earliest next check-in
  std::optional<timestamp> reminder_sent;   // earliest send of a check-in awaiting its reminder
  std::optional<timestamp> quiet_unnudged;  // earliest last activity of an open, un-nudged conversation
  std::optional<timestamp> quiet_nudged;    // the same for nudged ones (expiry)
};

// One entry of the answer history (every answer ever given, not only the current ones).
struct logged_answer {
  int round = 0;
  int flow_version = 0;
  dialogs::answer given;
};


struct message_row {
  std::string platform;
  std::string kind;
  std::string body;
  timestamp created_at{};
  std::optional<timestamp> sent_at;
};

// Everything stored about one person (mlpath user export).
struct user_export {
  user_ref user;
  timestamp created_at{};
  std::optional<dialogs::conversation> conversation;  // with its current answers
  std::vector<logged_answer> history;
  std::optional<stored_result> result;
  std::optional<dialogs::checkin_book> checkins;  // with every week's entry
  std::vector<message_row> messages;
};

// Aggregate numbers for one community (a Discord server): never individual data.
struct community_counts {
  long long members = 0;   // people who used mlpath there
  long long started = 0;   // of them, began the reflection
  long long finished = 0;  // have a result
  long long active_checkins = 0;
  std::vector<std::pair<std::string, long long>> primary_roles;  // role id -> people, most first
};

// A workspace (Slack team) or application (Discord) mlpath is installed in.
struct installation {
  std::string platform;
  std::string tenant;
  std::string bot_token;
  std::string bot_user_id;
  std::string bot_id;
  std::string scopes;
  timestamp installed_at{};
  // Added with OAuth v2 for many workspaces (schema 9). On Slack, `tenant` is the team id,
  // or the enterprise id of an org-wide (Enterprise Grid) install.
  std::string enterprise_id;               // the org, "" outside Enterprise Grid
  bool is_enterprise_install = false;      // org-wide: one token serves every team of the org
  std::string app_id;
  std::string installer_user_id;           // who installed it (oauth.v2.access authed_user.id)
  std::string refresh_token;               // "" = the bot token does not expire (no rotation)
  std::optional<timestamp> token_expires_at;  // when bot_token stops working (rotation on)
  timestamp updated_at{};                  // last install or token rotation
};

// A rotated token pair (oauth.v2.access with grant_type=refresh_token).
struct rotated_tokens {
  std::string bot_token;
  std::string refresh_token;
  std::optional<timestamp> expires_at;
};

class store {
 public:
  virtual ~store() = default;

  virtual std::int64_t ensure_user(const user_ref& u, timestamp now) = 0;
  virtual std::optional<std::int64_t> find_user(const user_ref& u) = 0;
  // Everyone with this id on this platform, whatever the tenant.
  virtual std::vector<user_ref> users_named(std::string_view platform, std::string_view user) = 0;

  virtual loaded_conversation load_conversation(std::int64_t user_id) = 0;
  // Throws conflict_error when the stored revision is not `expected_revision`.
  virtual void save_turn(const turn_record& t) = 0;

  virtual std::optional<stored_result> load_result(std::int64_t user_id) = 0;
  virtual void save_result(std::int64_t user_id, const stored_result& r) = 0;

  // Everything stored about one person; nullopt when unknown.
  virtual std::optional<user_export> export_user(const user_ref& u) = 0;
  // Erases everything stored about one person; false when unknown.
  virtual bool erase_user(const user_ref& u) = 0;

  // An online, consistent copy of the whole database at `path`.
  virtual void backup(const std::string& path) = 0;

  // Batches: between begin_batch and commit_batch every write joins one transaction
  // (one commit, one fsync in fsync mode). Writes outside a batch commit on their own.
  virtual void begin_batch() = 0;
  virtual void commit_batch() = 0;
  virtual void rollback_batch() = 0;

  // Inbox. inbox_add returns false when (source, event_id) is already stored.
  virtual bool inbox_add(const inbox_event& e) = 0;
  virtual std::vector<inbox_event> inbox_pending(std::size_t limit) = 0;  // oldest first
  virtual void inbox_done(std::string_view source, std::string_view event_id, timestamp at) = 0;
  // Retention: outbox messages sent or given up and created before `messages_before`, and
  // inbox entries processed before `events_before` (their dedupe ids with them), at most
  // `limit` of each per call, in one transaction; returns how many rows went. Messages
  // still to send and events still to process are never touched.
  virtual std::size_t prune(timestamp messages_before, timestamp events_before, std::size_t limit) = 0;
  // Drops processed events older than `before` (their ids stop deduplicating).
  virtual std::size_t inbox_prune(timestamp before) = 0;

  // Outbox. outbox_pending: unsent, unfailed messages with id > after_id, in id order
  // (including ones whose next attempt lies in the future).
  virtual std::vector<outbox_message> outbox_pending(std::int64_t after_id, std::size_t limit) = 0;
  virtual void outbox_add(const outbox_message& m) = 0;
  virtual void outbox_sent(std::int64_t id, timestamp at) = 0;
  virtual void outbox_retry(std::int64_t id, int attempts, timestamp next_attempt, std::string_view error) = 0;
  virtual void outbox_failed(std::int64_t id, std::string_view error, timestamp at) = 0;
  virtual outbox_stats outbox_summary() = 0;
  // Marks (or clears) that a send of this message may reach the platform unconfirmed:
  // set before each send that cannot be repeated blindly; outbox_sent and outbox_retry
  // (a failure that certainly delivered nothing) clear it.
  virtual void outbox_doubt(std::int64_t id, bool in_doubt) = 0;

  // Small state the service keeps across restarts (e.g. Discord gateway sessions to
  // resume), as text under a key.
  virtual void put_state(std::string_view key, std::string_view value, timestamp now) = 0;
  virtual std::optional<std::string> get_state(std::string_view key) = 0;

  // How long a write waits for another process's lock before failing as locked; returns
  // the previous wait. Lets a caller that must answer quickly fail fast instead.
  virtual std::chrono::milliseconds set_lock_wait(std::chrono::milliseconds wait) = 0;
  // Moves everything from the write-ahead log into the database file (a clean stop).
  virtual void checkpoint() = 0;

  // Messages we posted that a later reply updates (e.g. a question, once answered).
  virtual void remember_message(std::int64_t user_id, std::string_view ref, std::string_view channel,
                                std::string_view message_id) = 0;
  virtual std::optional<std::pair<std::string, std::string>> find_message(std::int64_t user_id,
                                                                          std::string_view ref) = 0;
  // The person's DM channel on their platform, once opened.
  virtual void set_dm_channel(std::int64_t user_id, std::string_view channel) = 0;
  virtual std::optional<std::string> dm_channel(std::int64_t user_id) = 0;
  virtual std::optional<user_ref> user_by_id(std::int64_t user_id) = 0;

  // People on `platforms` whose open conversation has been silent long enough for a nudge
  // (silent since `nudge_before` and not yet nudged) or for expiry (since `expire_before`).
  virtual std::vector<std::int64_t> stale_conversations(timestamp nudge_before, timestamp expire_before,
                                                        const std::vector<std::string>& platforms,
                                                        std::size_t limit) = 0;

  // Communities (Discord servers): who used mlpath there, and aggregates over them.
  virtual void note_community_member(std::string_view platform, std::string_view community, std::int64_t user_id,
                                     timestamp now) = 0;
  virtual community_counts community_stats(std::string_view platform, std::string_view community) = 0;
  // Marks the person's first visit to their home page; true only the first time.
  virtual bool first_home_visit(std::int64_t user_id, timestamp now) = 0;
  // The person cannot be messaged any more (e.g. Discord 50007): pause their check-ins
  // with the reason, told to them the next time they talk to the bot.
  virtual void pause_checkins(std::int64_t user_id, std::string_view reason) = 0;

  // Weekly check-ins, for the scheduler. Each is an indexed query whose cost grows with
  // what is due, not with the number of people.
  // Only people on `platforms` (those this process can message).
  virtual std::vector<due_checkin> due_checkins(timestamp now, const std::vector<std::string>& platforms,
                                                std::size_t limit) = 0;
  // Stores started check-ins; returns how many were sent (a week already sent, or a book
  // changed meanwhile, sends nothing for that person).
  virtual std::size_t record_started_checkins(const std::vector<started_checkin_record>& batch) = 0;
  // People whose check-in was sent before `sent_before` and is still unanswered and unreminded.
  virtual std::vector<std::int64_t> checkins_awaiting_reminder(timestamp sent_before,
                                                               const std::vector<std::string>& platforms,
                                                               std::size_t limit) = 0;
  virtual wakeups next_wakeups(const std::vector<std::string>& platforms) = 0;

  // Installations. Deleting one (its tokens were revoked) keeps the people's data but
  // stops their check-ins and gives up on what was still to be sent there (marked failed
  // at `now`) — for a Slack org-wide install, in the org's teams without an installation
  // of their own too.
  virtual void save_installation(const installation& i) = 0;
  virtual std::vector<installation> installations(std::string_view platform) = 0;
  virtual bool delete_installation(std::string_view platform, std::string_view tenant, timestamp now) = 0;
  virtual std::optional<installation> find_installation(std::string_view platform, std::string_view tenant) = 0;
  // The app was uninstalled from `tenant`: its installation and everything about its people
  // go (users with that tenant, cascading to all they own; for a Slack org-wide install,
  // also the people of the org's teams (slack_teams) that have no installation of their
  // own), with the outbox messages still addressed there and those teams' records. One
  // transaction. Returns whether an installation was there.
  virtual bool erase_installation(std::string_view platform, std::string_view tenant) = 0;
  // The Slack org-wide install of `enterprise` can no longer reach `team`
  // (team_access_revoked): the team's people (cascading to all they own), the outbox
  // messages still addressed there and its slack_teams record go, in one transaction. An
  // empty team, a team with an installation of its own, or one recorded for another org is
  // left alone (returns false).
  virtual bool erase_slack_team(std::string_view team, std::string_view enterprise) = 0;

  // Token rotation, safe with several processes on one database. A process claims the
  // right to spend `refresh_token` until `until` (false when the stored refresh token is
  // another one, or another process holds an unexpired claim); only the claimant calls the
  // platform. rotate_tokens stores the new pair only if `old_refresh_token` is still the
  // stored one (compare-and-swap) and ends the claim; release_token_refresh ends a claim
  // after a failed refresh.
  virtual bool claim_token_refresh(std::string_view platform, std::string_view tenant, std::string_view refresh_token,
                                   timestamp now, timestamp until) = 0;
  virtual void release_token_refresh(std::string_view platform, std::string_view tenant,
                                     std::string_view refresh_token) = 0;
  virtual bool rotate_tokens(std::string_view platform, std::string_view tenant, std::string_view old_refresh_token,
                             const rotated_tokens& fresh, timestamp now) = 0;

  // Slack teams seen in payloads of an org-wide install, and their org: the org's
  // installation serves them. note_slack_team writes only when the org is new or changed.
  virtual void note_slack_team(std::string_view team, std::string_view enterprise, timestamp now) = 0;
  virtual std::vector<std::pair<std::string, std::string>> slack_teams() = 0;  // (team, enterprise)
};

// Runs writes in one batch; rolls back unless committed.
class batch_guard {
 public:
  explicit batch_guard(store& s) : s_(s) { s_.begin_batch(); }
  ~batch_guard() {
    if (!done_) {
      try {
        s_.rollback_batch();
      } catch (...) {
      }
    }
  }
  void commit() {
    s_.commit_batch();
    done_ = true;
  }
  batch_guard(const batch_guard&) = delete;
  batch_guard& operator=(const batch_guard&) = delete;

 private:
  store& s_;
  bool done_ = false;
};

}  // namespace mlpath::storage
