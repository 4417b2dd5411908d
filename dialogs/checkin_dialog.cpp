#include "dialogs/checkin_dialog.hpp"

#include <algorithm>
#include <cctype>

#include "dialogs/action_token.hpp"
#include "dialogs/engine.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::dialogs {
namespace {

using namespace std::chrono_literals;

constexpr const char* day_ids[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr const char* day_plural[] = {"Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"};
constexpr auto late_after = 1h;
constexpr auto snooze_for = 24h;
constexpr auto pause_button_for = std::chrono::hours(24 * 14);  // the Pause button: two weeks
constexpr std::size_t max_free_text = 300;

bool is_checkin_question(std::string_view q) { return q.rfind("checkin_", 0) == 0; }
bool is_setup_question(std::string_view q) {
  return q == "checkin_day" || q == "checkin_time" || q == "checkin_time_text" || q == "checkin_zone";
}

// Words that belong to check-ins wherever the person is in the reflection.
bool checkin_word(std::string_view w) {
  return w == "checkin" || w == "pause" || w == "stop" || w == "snooze" || w == "skip_week" || w == "later";
}

// "9:05", "09:05" -> minutes after midnight.
std::optional<int> parse_clock(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != colon && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  int h = std::stoi(std::string(s.substr(0, colon)));
  int m = std::stoi(std::string(s.substr(colon + 1)));
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string clock_text(int minute_of_day) { return two(minute_of_day / 60) + ":" + two(minute_of_day % 60); }

int weekday_index(std::string_view id) {
  for (int i = 0; i < 7; ++i)
    if (id == day_ids[i]) return i;
  return -1;
}

const char* progress_words(std::string_view p) {
  if (p == "made_progress") return "made progress";
  if (p == "a_little") return "a little";
  if (p == "not_this_time") return "not this time";
  if (p == "stuck") return "stuck";
  return "no answer";
}


std::vector<action> controls(int round) {
  return {{command_token("snooze", "", round), "Remind me tomorrow", action_style::normal},
          {command_token("skip_week", "", round), "Skip this week", action_style::normal},
          {command_token("pause", "", round), "Pause 2 weeks", action_style::normal},
          {command_token("stop", "", round), "Stop check-ins", action_style::danger}};
}

// Opens `week`'s check-in on `b`: the entry is sent now, its first question is open.
void open_checkin(checkin_book& b, const std::string& week, timestamp due, bool late, timestamp now) {
  b.open_week = week;
  b.asking = "checkin_progress";
  b.asked_at = now;
  b.round = round_of_week(week);
  b.setup_weekday = -1;
  b.setup_minute_of_day = -1;
  checkin_entry* e = b.find(week);
  if (!e) {
    b.history.insert(b.history.begin(), checkin_entry{});
    e = &b.history.front();
    e->week = week;
    e->due = due;
  }
  e->sent = now;
  e->late = late;
  e->changed = true;
}

// One message: the greeting leads the first question (a check-in is one DM per person,
// and the scheduler writes one outbox row for it).
std::vector<reply> checkin_opening(const content& c, const checkin_book& b, bool late) {
  std::vector<reply> out;
  if (const question* q = c.checkins.find("checkin_progress")) {
    question_reply r = make_question(*q, 1, 3, b.round, controls(b.round));
    r.prompt = std::string(late ? "Here is your weekly check-in, a little late. " : "Time for your weekly check-in. ") + r.prompt;
    out.emplace_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string slot_text(const weekly_slot& s) {
  std::string day = s.weekday >= 0 && s.weekday < 7 ? day_plural[s.weekday] : "Weekly";
  return day + " " + clock_text(s.hour * 60 + s.minute) + " " + s.zone;
}

started_checkin start_checkin(const content& c, const calendar& cal, const checkin_book& book, timestamp now,
                              bool with_replies) {
  started_checkin r;
  r.book = book;
  checkin_book& b = r.book;
  if (!b.scheduled || !b.active) {
    b.next_due.reset();
    return r;
  }
  if (!b.next_due || *b.next_due > now) return r;  // not due yet
  if (b.paused) {
    if (!b.paused_until || *b.paused_until > now) {
      b.next_due = b.paused_until ? std::optional<timestamp>(cal.next_after(b.slot, *b.paused_until)) : std::nullopt;
      return r;
    }
    b.paused = false;
    b.paused_until.reset();
  }
  std::string week;
  timestamp due{};
  if (!b.next_week.empty()) {
    // A snoozed check-in: the same week's, once more.
    week = b.next_week;
    const checkin_entry* e = b.find(week);
    due = e ? e->due : now;
  } else {
    // After downtime only the latest missed slot counts: one late check-in, never a backlog.
    due = cal.latest_at_or_before(b.slot, now);
    week = cal.iso_week(due, b.slot.zone);
    if (const checkin_entry* e = b.find(week); e && e->sent.time_since_epoch().count() != 0) {
      b.next_due = cal.next_after(b.slot, now);
      return r;
    }
  }
  bool late = now - due > late_after;
  open_checkin(b, week, due, late, now);
  b.next_due = cal.next_after(b.slot, now);
  b.next_week.clear();
  if (with_replies) r.replies = checkin_opening(c, b, late);
  r.week = week;
  r.late = late;
  r.sent = true;
  return r;
}

checkin_dialog::checkin_dialog(const engine& e, const calendar* cal, conversation& s, std::vector<reply>& out,
                               timestamp now)
    : e_(e), c_(e.material()), cal_(cal), s_(s), b_(s.checkins), out_(out), now_(now) {}

void checkin_dialog::say(std::string text, std::vector<action> actions) {
  out_.emplace_back(text_reply{std::move(text), std::move(actions)});
}

void checkin_dialog::error(std::string text) { out_.emplace_back(error_reply{std::move(text)}); }

std::vector<action> checkin_dialog::checkin_controls() const { return controls(b_.round); }

bool checkin_dialog::wants(const input& in) const {
  // The latest prompt was a check-in question: typed words answer it.
  bool latest = !b_.asking.empty() && (s_.at != stage::asking || b_.asked_at >= s_.last_activity);
  switch (in.kind) {
    case input_kind::command:
      if (checkin_word(in.command)) return true;
      if (in.command == "skip" || in.command == "answer" || in.command == "next")
        return is_checkin_question(in.arg) || (in.arg.empty() && latest);
      if (in.command == "cancel") return latest && is_setup_question(b_.asking);
      return false;
    case input_kind::choose:
      return is_checkin_question(in.question);
    case input_kind::text: {
      if (is_checkin_question(in.question)) return true;
      if (auto w = command_word(in.text)) {
        if (checkin_word(w->word)) return true;
        if (w->word == "skip") return latest;
        if (w->word == "cancel") return latest && is_setup_question(b_.asking);
        return false;
      }
      return latest;
    }
    default:
      return false;
  }
}

void checkin_dialog::handle(const input& in) {
  if (!cal_) {
    say("Weekly check-ins are not available here.");
    return;
  }
  if (in.kind == input_kind::command) {
    command(in.command, in.arg, in);
    return;
  }
  if (in.kind == input_kind::text && !is_checkin_question(in.question)) {
    if (auto w = command_word(in.text)) {
      input c = input::cmd(w->word, w->arg);
      command(c.command, c.arg, c);
      return;
    }
  }
  answer(in);
}

// --- commands --------------------------------------------------------------------------

void checkin_dialog::command(const std::string& word, const std::string& arg, const input& in) {
  // Pause, stop and showing the schedule mean the same from any button; the rest acts
  // on one check-in and is stale when that one is closed.
  bool any_round = word == "pause" || word == "stop" || word == "checkin" || word == "later";
  if (!any_round && in.round && *in.round != b_.round) {
    say("That button belongs to a check-in that is already closed.");
    return;
  }
  if (word == "later") {
    say("Okay. Say checkin whenever you want a short weekly check-in on your plan.");
    return;
  }
  if (word == "stop") {
    stop();
    return;
  }
  if (word == "pause") {
    if (arg.empty()) {
      // The button pauses for two weeks; the typed word until "checkin" again.
      pause_until(in.from_button ? std::optional<timestamp>(now_ + pause_button_for) : std::nullopt);
      return;
    }
    int y = 0, m = 0, d = 0;
    if (arg.size() == 10 && arg[4] == '-' && arg[7] == '-' &&
        std::all_of(arg.begin(), arg.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; })) {
      y = std::stoi(arg.substr(0, 4));
      m = std::stoi(arg.substr(5, 2));
      d = std::stoi(arg.substr(8, 2));
    }
    std::string zone = b_.scheduled ? b_.slot.zone : b_.zone_hint.empty() ? "UTC" : b_.zone_hint;
    auto until = y ? cal_->start_of_day(y, static_cast<unsigned>(m), static_cast<unsigned>(d), zone) : std::nullopt;
    if (!until) {
      error("Say pause, or pause and a date as YYYY-MM-DD (for example pause 2027-01-15).");
      return;
    }
    if (*until <= now_) {
      error("That date has already begun. Pick a later one, or say pause on its own.");
      return;
    }
    pause_until(until);
    return;
  }
  if (word == "snooze") {
    snooze();
    return;
  }
  if (word == "skip_week") {
    skip_week();
    return;
  }
  if (word == "skip") {
    skip_question();
    return;
  }
  if (word == "cancel") {
    b_.asking.clear();
    b_.setup_weekday = -1;
    b_.setup_minute_of_day = -1;
    say("Okay, nothing changed. Say checkin whenever you want to set check-ins up.");
    return;
  }
  if (word == "answer" || word == "next") {
    if (!b_.asking.empty()) ask(b_.asking);
    return;
  }
  // checkin [off | on | change | <day> <HH:MM> [zone]]
  std::string a = to_lower(arg);
  if (a.empty()) {
    show();
  } else if (a == "off" || a == "stop") {
    stop();
  } else if (a == "on" || a == "resume") {
    if (!b_.scheduled) {
      set_up();
      return;
    }
    b_.active = true;
    b_.paused = false;
    b_.paused_until.reset();
    b_.paused_reason.clear();
    b_.reason_shown = true;
    b_.next_due = cal_->next_after(b_.slot, now_);
    say("Weekly check-ins are on again: " + schedule_text() + ".");
  } else if (a == "change" || a == "setup" || a == "set" || a == "edit" || a == "new") {
    set_up();
  } else {
    auto words = words_of(arg);
    const question* dq = c_.checkins.find("checkin_day");
    int weekday = -1;
    if (dq && !words.empty()) {
      option_match m = match_options(*dq, words[0]);
      if (m.ids.size() == 1 && m.unknown.empty()) weekday = weekday_index(m.ids[0]);
    }
    auto minute = words.size() >= 2 ? parse_clock(words[1]) : std::nullopt;
    if (weekday < 0 || !minute) {
      error("Say checkin with a day and a 24-hour time, and a time zone if you like: for example "
            "checkin mon 09:00 or checkin sat 22:27 Asia/Kathmandu.");
      return;
    }
    std::string zone;
    if (words.size() >= 3) {
      std::string rest;
      for (std::size_t i = 2; i < words.size(); ++i) rest += (i > 2 ? " " : "") + words[i];
      zone = resolve_zone(rest);
      if (zone.empty()) {
        error("I do not know the time zone \"" + rest + "\". Use a name from the time-zone database, such as "
              "Europe/Berlin or America/New_York.");
        return;
      }
    } else if (cal_->known_zone(b_.zone_hint)) {
      zone = b_.zone_hint;
    }
    if (zone.empty()) {
      // The zone is the one thing still missing: ask for it, keeping day and time.
      b_.setup_weekday = weekday;
      b_.setup_minute_of_day = *minute;
      ask_next_setup();
      return;
    }
    set_schedule(weekday, *minute, zone);
  }
}

void checkin_dialog::show() {
  if (!b_.scheduled) {
    set_up();
    return;
  }
  std::string t = "Weekly check-ins: " + slot_text(b_.slot);
  std::vector<action> actions;
  if (!b_.active) {
    t += ", turned off.";
    actions.push_back({command_token("checkin", "on", b_.round), "Turn check-ins on", action_style::primary});
  } else if (b_.paused) {
    t += b_.paused_until ? ", paused until " + cal_->local_text(*b_.paused_until, b_.slot.zone) + "." : ", paused.";
    actions.push_back({command_token("checkin", "on", b_.round), "Resume check-ins", action_style::primary});
  } else {
    if (b_.next_due) t += " \xE2\x80\x94 next: " + cal_->local_text(*b_.next_due, b_.slot.zone);
    t += ".";
    actions.push_back({command_token("pause", "", b_.round), "Pause 2 weeks", action_style::normal});
    actions.push_back({command_token("stop", "", b_.round), "Stop check-ins", action_style::danger});
  }
  actions.insert(actions.begin(), {command_token("checkin", "change", b_.round), "Change day and time", action_style::normal});
  if (b_.history.empty()) {
    t += "\nNo check-ins yet.";
  } else {
    int streak = streak_of(b_.history, b_.open_week);
    t += "\nYour streak: " + std::to_string(streak) + (streak == 1 ? " week." : " weeks.");
    t += "\nRecent weeks:";
    for (std::size_t i = 0; i < b_.history.size() && i < 4; ++i) {
      const auto& e = b_.history[i];
      std::string what = e.skipped ? "skipped" : e.week == b_.open_week && !e.answered ? "open" : progress_words(e.progress);
      t += "\n- " + e.week + ": " + what;
    }
  }
  say(t, std::move(actions));
}

void checkin_dialog::set_up() {
  b_.setup_weekday = -1;
  b_.setup_minute_of_day = -1;
  b_.round += 1;
  say("Let's set up a short weekly check-in on your plan: three quick questions once a week, at a time that suits you.");
  ask_next_setup();
}

void checkin_dialog::ask_next_setup() {
  if (b_.setup_weekday < 0) {
    ask("checkin_day");
  } else if (b_.setup_minute_of_day < 0) {
    ask("checkin_time");
  } else if (cal_->known_zone(b_.zone_hint)) {
    set_schedule(b_.setup_weekday, b_.setup_minute_of_day, b_.zone_hint);
  } else {
    ask("checkin_zone");
  }
}

void checkin_dialog::set_schedule(int weekday, int minute_of_day, const std::string& zone) {
  if (zone != b_.zone_hint) b_.zone_chosen = true;  // typed or picked, not the profile's
  b_.slot = weekly_slot{weekday, minute_of_day / 60, minute_of_day % 60, zone};
  b_.scheduled = true;
  b_.active = true;
  b_.paused = false;
  b_.paused_until.reset();
  b_.paused_reason.clear();
  b_.reason_shown = true;
  b_.next_week.clear();
  b_.zone_hint = zone;
  b_.next_due = cal_->next_after(b_.slot, now_);
  if (is_setup_question(b_.asking)) b_.asking.clear();
  b_.setup_weekday = -1;
  b_.setup_minute_of_day = -1;
  say("Weekly check-ins are set: " + schedule_text() + ". Say checkin to see or change them, pause to take a break, "
      "or stop to end them.");
}

void checkin_dialog::pause_until(std::optional<timestamp> until) {
  if (!b_.scheduled || !b_.active) {
    say("Check-ins are not running, so there is nothing to pause. Say checkin to set them up.");
    return;
  }
  b_.paused = true;
  b_.paused_until = until;
  b_.next_due = until ? std::optional<timestamp>(cal_->next_after(b_.slot, *until)) : std::nullopt;
  b_.next_week.clear();
  if (until)
    say("Check-ins are paused until " + cal_->local_text(*until, b_.slot.zone) + ". Next one: " +
        cal_->local_text(*b_.next_due, b_.slot.zone) + ". Say checkin on to resume sooner.");
  else
    say("Check-ins are paused. Say checkin on whenever you want them back.");
}

void checkin_dialog::stop() {
  if (!b_.scheduled || !b_.active) {
    say("Check-ins are already off. Say checkin to set them up.");
    return;
  }
  b_.active = false;
  b_.next_due.reset();
  b_.next_week.clear();
  if (!b_.open_week.empty() && !is_setup_question(b_.asking)) {
    b_.asking.clear();
    b_.open_week.clear();
  }
  say("Check-ins are off. I kept your schedule (" + slot_text(b_.slot) + "); say checkin on to start them again.");
}

void checkin_dialog::snooze() {
  if (b_.open_week.empty()) {
    say("There is no check-in open right now.");
    return;
  }
  b_.next_due = now_ + snooze_for;
  b_.next_week = b_.open_week;
  b_.asking.clear();
  say("Okay, I will ask again tomorrow (" + cal_->local_text(*b_.next_due, b_.slot.zone) + ").");
}

void checkin_dialog::skip_week() {
  if (b_.open_week.empty()) {
    say("There is no check-in open right now.");
    return;
  }
  if (checkin_entry* e = b_.find(b_.open_week)) {
    e->skipped = true;
    e->changed = true;
  }
  b_.asking.clear();
  b_.open_week.clear();
  std::string next = b_.next_due ? " See you " + cal_->local_text(*b_.next_due, b_.slot.zone) + "." : std::string();
  say("Skipped this week." + next);
}

void checkin_dialog::skip_question() {
  const question* q = c_.checkins.find(b_.asking);
  if (b_.asking.empty() || is_setup_question(b_.asking)) {
    error("There is no check-in question to skip right now.");
    return;
  }
  if (q && !q->optional) {
    error("This one cannot be skipped; pick the answer closest to your week, or say skip week.");
    ask(b_.asking);
    return;
  }
  out_.emplace_back(answered_reply{b_.asking, q ? q->title : b_.asking, {}, {}, true, b_.round});
  if (b_.asking == "checkin_moved") ask("checkin_next_step");
  else close_checkin();
}

// --- answers ----------------------------------------------------------------------------

void checkin_dialog::answer(const input& in) {
  if (b_.asking.empty()) {
    if (is_checkin_question(in.question)) say("That check-in question is already closed.");
    else show();
    return;
  }
  if (!in.question.empty() && in.question != b_.asking) {
    say("That check-in question is already answered.");
    return;
  }
  if (in.round && *in.round != b_.round) {
    say("That button belongs to a check-in that is already closed.");
    return;
  }
  const std::string asking = b_.asking;
  checkin_entry* entry = b_.open_week.empty() ? nullptr : b_.find(b_.open_week);
  auto record = [&](const question& q, std::vector<std::string> ids, std::vector<std::string> labels) {
    out_.emplace_back(answered_reply{q.id, q.title, std::move(ids), std::move(labels), false, b_.round});
  };
  auto pick = [&](const question& q) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> ids = in.options;
    if (in.kind == input_kind::text) {
      option_match m = match_options(q, sanitize_text(in.text, 200).text);
      if (!m.unknown.empty() || m.ids.empty() || m.out_of_range) return std::nullopt;
      ids = m.ids;
    }
    std::vector<std::string> valid;
    for (const auto& o : q.options)
      if (std::find(ids.begin(), ids.end(), o.id) != ids.end()) valid.push_back(o.id);
    if (valid.empty() || (q.kind == question_kind::single && valid.size() > 1)) return std::nullopt;
    return valid;
  };
  auto labels_of = [](const question& q, const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids)
      if (const option* o = q.find_option(id)) out.push_back(o->label);
    return out;
  };

  if (asking == "checkin_progress") {
    const question* q = c_.checkins.find(asking);
    auto ids = q ? pick(*q) : std::nullopt;
    if (!ids) {
      error("Pick the answer closest to your week: 1 made real progress, 2 a little, 3 not this time, 4 stuck.");
      return;
    }
    if (entry) {
      entry->progress = ids->front();
      entry->answered = now_;
      entry->changed = true;
    }
    record(*q, *ids, labels_of(*q, *ids));
    ask_moved_or_next();
  } else if (asking == "checkin_moved") {
    question q = *c_.checkins.find(asking);
    q.options = next_plan_steps();
    std::vector<std::string> ids;
    std::string words;
    if (in.kind == input_kind::choose) {
      for (const auto& o : q.options)
        if (std::find(in.options.begin(), in.options.end(), o.id) != in.options.end()) ids.push_back(o.id);
    } else {
      clean_text t = sanitize_text(in.text, max_free_text);
      option_match m = match_options(q, t.text);
      if (m.unknown.empty() && !m.ids.empty() && !m.out_of_range) ids = m.ids;
      else words = t.text;  // in their own words
    }
    if (ids.empty() && words.empty()) {
      error("Pick the steps you worked on, tell me in a few words, or say skip.");
      return;
    }
    if (entry) {
      entry->moved = ids;
      entry->moved_text = words;
      entry->changed = true;
    }
    for (const auto& id : ids)
      if (std::find(b_.done_steps.begin(), b_.done_steps.end(), id) == b_.done_steps.end()) b_.done_steps.push_back(id);
    auto labels = labels_of(q, ids);
    if (!words.empty()) labels.push_back(words);
    record(q, ids, labels);
    ask("checkin_next_step");
  } else if (asking == "checkin_next_step") {
    clean_text t = sanitize_text(in.kind == input_kind::text ? in.text : std::string(), max_free_text);
    if (t.text.empty()) {
      error("Tell me one small step in a few words, or say skip.");
      return;
    }
    if (entry) {
      entry->next_step = t.text;
      entry->changed = true;
    }
    record(*c_.checkins.find(asking), {}, {t.text});
    close_checkin();
  } else if (asking == "checkin_day") {
    const question* q = c_.checkins.find(asking);
    auto ids = q ? pick(*q) : std::nullopt;
    if (!ids) {
      error("Pick a day of the week, for example Monday.");
      return;
    }
    b_.setup_weekday = weekday_index(ids->front());
    record(*q, *ids, labels_of(*q, *ids));
    ask_next_setup();
  } else if (asking == "checkin_time" || asking == "checkin_time_text") {
    std::optional<int> minute;
    std::string text = in.kind == input_kind::text ? std::string(sanitize_text(in.text, 20).text) : std::string();
    if (!text.empty()) minute = parse_clock(text);
    const question* q = c_.checkins.find("checkin_time");
    if (!minute && q && asking == "checkin_time") {
      auto ids = pick(*q);
      if (ids && ids->front() == "other") {
        record(*q, *ids, labels_of(*q, *ids));
        ask("checkin_time_text");
        return;
      }
      if (ids) minute = std::stoi(ids->front().substr(1)) * 60;
    }
    if (!minute) {
      error("Type the time as HH:MM on a 24-hour clock, for example 07:30 or 18:45.");
      return;
    }
    out_.emplace_back(answered_reply{"checkin_time", q ? q->title : "Check-in time", {}, {clock_text(*minute)}, false, b_.round});
    b_.setup_minute_of_day = *minute;
    ask_next_setup();
  } else if (asking == "checkin_zone") {
    std::string zone;
    if (in.kind == input_kind::choose && !in.options.empty()) {
      auto it = c_.checkins.zones.find(in.options.front());
      if (it != c_.checkins.zones.end()) zone = it->second;
    } else {
      zone = resolve_zone(std::string(sanitize_text(in.text, 80).text));
    }
    if (zone.empty() || !cal_->known_zone(zone)) {
      error("Pick the closest zone, or type its name from the time-zone database, such as Europe/Berlin.");
      return;
    }
    out_.emplace_back(answered_reply{"checkin_zone", "Time zone", {}, {zone}, false, b_.round});
    if (b_.setup_weekday < 0 || b_.setup_minute_of_day < 0) {
      b_.zone_hint = zone;
      b_.zone_chosen = true;
      ask_next_setup();
      return;
    }
    set_schedule(b_.setup_weekday, b_.setup_minute_of_day, zone);
  }
}

std::vector<option> checkin_dialog::next_plan_steps() const { return plan_steps_ahead(e_, s_); }

void checkin_dialog::ask_moved_or_next() {
  // Without a plan (the reflection is not finished) there are no steps to name.
  if (next_plan_steps().empty()) ask("checkin_next_step");
  else ask("checkin_moved");
}

void checkin_dialog::ask(const std::string& id) {
  b_.asking = id;
  b_.asked_at = now_;
  if (id == "checkin_time_text") {
    question q;
    q.id = id;
    q.kind = question_kind::text;
    q.max_length = 5;
    q.title = "Check-in time";
    q.prompt = "Type the time as HH:MM on a 24-hour clock, for example 07:30.";
    out_.emplace_back(make_question(q, 2, 3, b_.round, {}));
    return;
  }
  const question* found = c_.checkins.find(id);
  if (!found) return;
  question q = *found;
  if (id == "checkin_moved") q.options = next_plan_steps();
  int position = 1, total = 3;
  if (id == "checkin_moved" || id == "checkin_time") position = 2;
  if (id == "checkin_next_step" || id == "checkin_zone") position = 3;
  std::vector<action> actions;
  if (id == "checkin_progress") actions = checkin_controls();
  if (q.optional) actions.push_back({command_token("skip", id, b_.round), "Skip", action_style::normal});
  out_.emplace_back(make_question(q, position, total, b_.round, std::move(actions)));
}

void checkin_dialog::close_checkin() {
  checkin_entry* e = b_.open_week.empty() ? nullptr : b_.find(b_.open_week);
  std::string progress = e ? e->progress : std::string();
  b_.asking.clear();
  b_.open_week.clear();
  std::string t;
  if (auto it = c_.checkins.replies.find(progress); it != c_.checkins.replies.end()) t = it->second;
  std::vector<option> next = next_plan_steps();
  if (progress == "stuck") {
    // The tip for the worry they named (or the first one), and the next step's own resource.
    const auto& tips = c_.plan.tips;
    std::string worry = "too_many_options";
    if (const dialogs::answer* a = find_answer(s_.answers, "worry"); a && !a->skipped && !a->options.empty() && a->options[0] != "nothing")
      worry = a->options[0];
    if (auto tip = tips.find(worry); tip != tips.end()) {
      t += "\n" + tip->second.title + ": " + tip->second.detail;
      if (const resource* r = c_.find_resource(tip->second.resource)) t += " " + r->url;
    }
  }
  int streak = streak_of(b_.history);
  t += std::string(t.empty() ? "" : "\n") + (streak > 0 ? "Your streak: " + std::to_string(streak) + (streak == 1 ? " week." : " weeks.")
                                                       : "No streak yet; next week is a fresh start.");
  if (!next.empty()) {
    std::string step = "Next in your plan: " + next.front().label;
    result_reply r = e_.result_for(s_.answers);
    for (const plan_entry* pe : plan_steps(r.plan))
      if (pe->id == next.front().id && !pe->link.url.empty()) step += " (" + pe->link.url + ")";
    t += "\n" + step + ".";
  }
  if (b_.active && b_.next_due) t += "\nNext check-in: " + cal_->local_text(*b_.next_due, b_.slot.zone) + ".";
  say(t);
}

// --- time passing ---------------------------------------------------------------------------

void checkin_dialog::due() {
  if (!cal_) return;
  started_checkin r = start_checkin(c_, *cal_, b_, now_);
  b_ = std::move(r.book);
  for (auto& reply : r.replies) out_.push_back(std::move(reply));
}

void checkin_dialog::remind() {
  if (b_.open_week.empty() || b_.asking.empty() || is_setup_question(b_.asking)) return;
  checkin_entry* e = b_.find(b_.open_week);
  if (!e || e->answered || e->reminded || e->skipped) return;
  e->reminded = now_;
  e->changed = true;
  say("A gentle reminder about this week's check-in:");
  ask(b_.asking);
}

void checkin_dialog::offer() {
  if (b_.scheduled || !cal_) return;
  say("Would you like a short weekly check-in on your plan? Three quick questions, once a week, at a time you choose.",
      {{command_token("checkin", "", b_.round), "Set up weekly check-ins", action_style::primary},
       {command_token("later", "", b_.round), "Not now", action_style::normal}});
}

void checkin_dialog::learn_zone(const std::string& zone) {
  if (!cal_ || zone.empty() || !cal_->known_zone(zone) || zone == b_.zone_hint || b_.zone_chosen) return;
  // A schedule that followed the old profile zone follows the new one.
  if (b_.scheduled && !b_.zone_hint.empty() && b_.slot.zone == b_.zone_hint) {
    b_.slot.zone = zone;
    if (b_.active && !b_.paused) b_.next_due = cal_->next_after(b_.slot, now_);
  }
  b_.zone_hint = zone;
}

void checkin_dialog::tell_pause_reason() {
  if (b_.reason_shown || b_.paused_reason.empty()) return;
  b_.reason_shown = true;
  say("I paused your weekly check-ins because I could not deliver them (" + b_.paused_reason +
      "). Say checkin on when you want them back.");
}

// --- helpers --------------------------------------------------------------------------

std::string checkin_dialog::resolve_zone(const std::string& typed) const {
  std::string t(sanitize_text(typed, 80).text);
  if (t.empty()) return {};
  if (cal_->known_zone(t)) return t;
  // "asia/kathmandu" -> "Asia/Kathmandu", "america/new_york" -> "America/New_York".
  std::string canon = to_lower(t);
  bool start = true;
  for (char& c : canon) {
    if (start && std::isalpha(static_cast<unsigned char>(c))) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == '/' || c == '_' || c == '-';
  }
  if (cal_->known_zone(canon)) return canon;
  std::string upper = t;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (cal_->known_zone(upper)) return upper;  // UTC, EST5EDT
  // A place or region from the short list ("berlin", "india").
  if (const question* zq = c_.checkins.find("checkin_zone")) {
    option_match m = match_options(*zq, t);
    if (m.ids.size() == 1 && m.unknown.empty())
      if (auto it = c_.checkins.zones.find(m.ids.front()); it != c_.checkins.zones.end()) return it->second;
  }
  return {};
}

std::string checkin_dialog::schedule_text() const { return mlpath::dialogs::schedule_text(b_, *cal_); }

std::vector<option> plan_steps_ahead(const engine& e, const conversation& s) {
  std::vector<option> out;
  if (s.at != stage::done) return out;
  const checkin_book& b = s.checkins;
  result_reply r = e.result_for(s.answers);
  for (const plan_entry* step : plan_steps(r.plan)) {
    if (std::find(b.done_steps.begin(), b.done_steps.end(), step->id) != b.done_steps.end()) continue;
    std::string label = step->title;
    if (utf16_units(label) > 60) label = label.substr(0, utf16_prefix(label, 59)) + "\xE2\x80\xA6";
    out.push_back(option{step->id, label, false, {}, {}, false});
    if (out.size() == 3) break;
  }
  return out;
}

std::string schedule_text(const checkin_book& b, const calendar& cal) {
  std::string s = slot_text(b.slot);
  if (b.next_due) s += " \xE2\x80\x94 next: " + cal.local_text(*b.next_due, b.slot.zone);
  return s;
}

}  // namespace mlpath::dialogs
