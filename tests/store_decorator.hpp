#pragma once
// A storage::store that forwards every call to another store, for tests that need to
// inject a failure into one method (override it) while the rest is the real thing.

#include "storage/store.hpp"

namespace mlpath::test {

class forwarding_store : public storage::store {
 public:
  explicit forwarding_store(storage::store& inner) : s_(inner) {}

  std::int64_t ensure_user(const storage::user_ref& u, storage::timestamp now) override { return s_.ensure_user(u, now); }
  std::optional<std::int64_t> find_user(const storage::user_ref& u) override { return s_.find_user(u); }
  std::vector<storage::user_ref> users_named(std::string_view platform, std::string_view user) override {
    return s_.users_named(platform, user);
  }
  storage::loaded_conversation load_conversation(std::int64_t user_id) override { return s_.load_conversation(user_id); }
  void save_turn(const storage::turn_record& t) override { s_.save_turn(t); }
  std::optional<storage::stored_result> load_result(std::int64_t user_id) override { return s_.load_result(user_id); }
  void save_result(std::int64_t user_id, const storage::stored_result& r) override { s_.save_result(user_id, r); }
  std::optional<storage::user_export> export_user(const storage::user_ref& u) override { return s_.export_user(u); }
  bool erase_user(const storage::user_ref& u) override { return s_.erase_user(u); }
  void backup(const std::string& path) override { s_.backup(path); }
  void begin_batch() override { s_.begin_batch(); }
  void commit_batch() override { s_.commit_batch(); }
  void rollback_batch() override { s_.rollback_batch(); }
  bool inbox_add(const storage::inbox_event& e) override { return s_.inbox_add(e); }
  std::vector<storage::inbox_event> inbox_pending(std::size_t limit) override { return s_.inbox_pending(limit); }
  void inbox_done(std::string_view source, std::string_view event_id, storage::timestamp at) override {
    s_.inbox_done(source, event_id, at);
  }
  std::size_t inbox_prune(storage::timestamp before) override { return s_.inbox_prune(before); }
  std::vector<storage::outbox_message> outbox_pending(std::int64_t after_id, std::size_t limit) override {
    return s_.outbox_pending(after_id, limit);
  }
  void outbox_add(const storage::outbox_message& m) override { s_.outbox_add(m); }
  void outbox_sent(std::int64_t id, storage::timestamp at) override { s_.outbox_sent(id, at); }
  void outbox_retry(std::int64_t id, int attempts, storage::timestamp next_attempt, std::string_view error) override {
    s_.outbox_retry(id, attempts, next_attempt, error);
  }
  void outbox_failed(std::int64_t id, std::string_view error, storage::timestamp at) override {
    s_.outbox_failed(id, error, at);
  }
  storage::outbox_stats outbox_summary() override { return s_.outbox_summary(); }
  void outbox_doubt(std::int64_t id, bool in_doubt) override { s_.outbox_doubt(id, in_doubt); }
  void put_state(std::string_view key, std::string_view value, storage::timestamp now) override {
    s_.put_state(key, value, now);
  }
  std::optional<std::string> get_state(std::string_view key) override { return s_.get_state(key); }
  std::chrono::milliseconds set_lock_wait(std::chrono::milliseconds wait) override { return s_.set_lock_wait(wait); }
  void checkpoint() override { s_.checkpoint(); }
  void remember_message(std::int64_t user_id, std::string_view ref, std::string_view channel,
                        std::string_view message_id) override {
    s_.remember_message(user_id, ref, channel, message_id);
  }
  std::optional<std::pair<std::string, std::string>> find_message(std::int64_t user_id, std::string_view ref) override {
    return s_.find_message(user_id, ref);
  }
  void set_dm_channel(std::int64_t user_id, std::string_view channel) override { s_.set_dm_channel(user_id, channel); }
  std::optional<std::string> dm_channel(std::int64_t user_id) override { return s_.dm_channel(user_id); }
  std::optional<storage::user_ref> user_by_id(std::int64_t user_id) override { return s_.user_by_id(user_id); }
  std::vector<std::int64_t> stale_conversations(storage::timestamp nudge_before, storage::timestamp expire_before,
                                                const std::vector<std::string>& platforms, std::size_t limit) override {
    return s_.stale_conversations(nudge_before, expire_before, platforms, limit);
  }
  void note_community_member(std::string_view platform, std::string_view community, std::int64_t user_id,
                             storage::timestamp now) override {
    s_.note_community_member(platform, community, user_id, now);
  }
  storage::community_counts community_stats(std::string_view platform, std::string_view community) override {
    return s_.community_stats(platform, community);
  }
  void pause_checkins(std::int64_t user_id, std::string_view reason) override { s_.pause_checkins(user_id, reason); }
  bool first_home_visit(std::int64_t user_id, storage::timestamp now) override { return s_.first_home_visit(user_id, now); }
  std::vector<storage::due_checkin> due_checkins(storage::timestamp now, const std::vector<std::string>& platforms,
                                                 std::size_t limit) override {
    return s_.due_checkins(now, platforms, limit);
  }
  std::size_t record_started_checkins(const std::vector<storage::started_checkin_record>& batch) override {
    return s_.record_started_checkins(batch);
  }
  std::vector<std::int64_t> checkins_awaiting_reminder(storage::timestamp sent_before,
                                                       const std::vector<std::string>& platforms,
                                                       std::size_t limit) override {
    return s_.checkins_awaiting_reminder(sent_before, platforms, limit);
  }
  storage::wakeups next_wakeups(const std::vector<std::string>& platforms) override { return s_.next_wakeups(platforms); }
  void save_installation(const storage::installation& i) override { s_.save_installation(i); }
  std::vector<storage::installation> installations(std::string_view platform) override {
    return s_.installations(platform);
  }
  bool delete_installation(std::string_view platform, std::string_view tenant, storage::timestamp now) override {
    return s_.delete_installation(platform, tenant, now);
  }
  std::optional<storage::installation> find_installation(std::string_view platform, std::string_view tenant) override {
    return s_.find_installation(platform, tenant);
  }
  bool erase_installation(std::string_view platform, std::string_view tenant) override {
    return s_.erase_installation(platform, tenant);
  }
  std::size_t prune(storage::timestamp messages_before, storage::timestamp events_before, std::size_t limit) override {
    return s_.prune(messages_before, events_before, limit);
  }
  bool erase_slack_team(std::string_view team, std::string_view enterprise) override {
    return s_.erase_slack_team(team, enterprise);
  }
  bool claim_token_refresh(std::string_view platform, std::string_view tenant, std::string_view refresh_token,
                           storage::timestamp now, storage::timestamp until) override {
    return s_.claim_token_refresh(platform, tenant, refresh_token, now, until);
  }
  void release_token_refresh(std::string_view platform, std::string_view tenant,
                             std::string_view refresh_token) override {
    s_.release_token_refresh(platform, tenant, refresh_token);
  }
  bool rotate_tokens(std::string_view platform, std::string_view tenant, std::string_view old_refresh_token,
                     const storage::rotated_tokens& fresh, storage::timestamp now) override {
    return s_.rotate_tokens(platform, tenant, old_refresh_token, fresh, now);
  }
  void note_slack_team(std::string_view team, std::string_view enterprise, storage::timestamp now) override {
    s_.note_slack_team(team, enterprise, now);
  }
  std::vector<std::pair<std::string, std::string>> slack_teams() override { return s_.slack_teams(); }

 protected:
  storage::store& s_;
};

}  // namespace mlpath::test
