#pragma once
// The weekly check-in side of an engine turn (DESIGN §6): setting the schedule up
// ("checkin mon 09:00 Europe/Berlin", or day, time and zone as questions), pausing,
// stopping, the check-in itself (checkin_progress, checkin_moved, checkin_next_step) with
// snooze and skip-this-week, the one reminder, and the streak.
//
// Used by engine.cpp for one turn at a time, on the turn's copy of the conversation; pure
// apart from the calendar it is given.

#include <string>
#include <vector>

#include "dialogs/calendar.hpp"
#include "dialogs/content.hpp"
#include "dialogs/conversation.hpp"
#include "dialogs/input.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::dialogs {

class engine;

class checkin_dialog {
 public:
  // All references must outlive the dialog. `cal` may be null: check-ins are then
  // unavailable and say so.
  checkin_dialog(const engine& e, const calendar* cal, conversation& s, std::vector<reply>& out, timestamp now);

  // Does this input belong to check-ins? Their command words and buttons, answers to
  // check-in questions, and typed text while a check-in question is the latest prompt.
  bool wants(const input& in) const;
  void handle(const input& in);

  void due();     // the schedule says a check-in (or a snoozed one) is due
  void remind();  // 24 hours after an unanswered check-in: one reminder
  void offer();   // at the end of the reflection: invite to weekly check-ins
  void tell_pause_reason();  // once, when check-ins were paused because the platform could not deliver
  // The platform knows the person's zone (the Slack profile): used when a check-in is set
  // without one, and followed by a schedule that used the old one. Says nothing.
  void learn_zone(const std::string& zone);

 private:
  void command(const std::string& word, const std::string& arg, const input& in);
  void answer(const input& in);
  void show();
  void set_up();
  void set_schedule(int weekday, int minute_of_day, const std::string& zone);
  void ask_next_setup();
  void pause_until(std::optional<timestamp> until);
  void stop();
  void snooze();
  void skip_week();
  void skip_question();
  void close_checkin();
  void ask(const std::string& question_id);
  void ask_moved_or_next();
  std::vector<option> next_plan_steps() const;
  std::string resolve_zone(const std::string& typed) const;
  std::string schedule_text() const;  // "Saturdays 22:27 Asia/Kathmandu — next: Sat 12 Dec 22:27"
  void say(std::string text, std::vector<action> actions = {});
  void error(std::string text);
  std::vector<action> checkin_controls() const;

  const engine& e_;
  const content& c_;
  const calendar* cal_;
  conversation& s_;
  checkin_book& b_;
  std::vector<reply>& out_;
  timestamp now_;
};

// Starting a due check-in without the rest of a turn (the scheduler's path for many
// people at once): the new book and the replies, which are the same for everyone due in
// the same week with the same lateness. `sent` is false when nothing goes out (already
// sent that week, off, or paused).
struct started_checkin {
  checkin_book book;
  std::vector<reply> replies;
  std::string week;
  bool late = false;
  bool sent = false;
};
// `with_replies` false leaves `replies` empty (the caller already has them for this week).
started_checkin start_checkin(const content& c, const calendar& cal, const checkin_book& book, timestamp now,
                              bool with_replies = true);

// "Saturdays 22:27 Asia/Kathmandu".
std::string slot_text(const weekly_slot& s);
// "Saturdays 22:27 Asia/Kathmandu — next: Sat 12 Dec 22:27".
std::string schedule_text(const checkin_book& b, const calendar& cal);
// The plan's next steps not yet reported in a check-in (at most 3, labels cut to 60
// characters); none before the reflection is done.
std::vector<option> plan_steps_ahead(const engine& e, const conversation& s);

}  // namespace mlpath::dialogs
