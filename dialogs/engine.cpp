#include "dialogs/engine.hpp"

#include <algorithm>

#include "dialogs/action_token.hpp"
#include "dialogs/checkin_dialog.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::dialogs {

const char* to_string(stage s) {
  switch (s) {
    case stage::fresh: return "fresh";
    case stage::asking: return "asking";
    case stage::summary: return "summary";
    case stage::done: return "done";
    case stage::expired: return "expired";
  }
  return "fresh";
}

const char* to_string(pending p) {
  switch (p) {
    case pending::none: return "none";
    case pending::restart: return "restart";
    case pending::erase_data: return "delete";
  }
  return "none";
}

stage stage_from(std::string_view s) {
  for (stage v : {stage::fresh, stage::asking, stage::summary, stage::done, stage::expired})
    if (s == to_string(v)) return v;
  return stage::fresh;
}

pending pending_from(std::string_view s) {
  for (pending v : {pending::none, pending::restart, pending::erase_data})
    if (s == to_string(v)) return v;
  return pending::none;
}

question_reply make_question(const question& q, int position, int total, int round, std::vector<action> actions) {
  question_reply r;
  r.question = q.id;
  r.kind = q.kind;
  r.optional = q.optional;
  r.max = q.kind == question_kind::multi ? q.max : 0;
  r.max_length = q.kind == question_kind::text ? q.max_length : 0;
  r.position = position;
  r.total = total;
  r.round = round;
  r.title = q.title;
  r.prompt = q.prompt;
  r.hint = q.hint;
  r.options = q.options;
  r.actions = std::move(actions);
  return r;
}

const char* type_of(const reply& r) {
  static const char* names[] = {"text", "error", "question", "answered", "summary", "confirm", "result"};
  return names[r.index()];
}

namespace {

constexpr const char* verdict_note =
    "This is an aid to reflection, not a verdict: it mirrors what you told me today. Talk it over with people "
    "who do these jobs, try a small project, and come back to it as you learn more.";

constexpr const char* help_text =
    "I ask a few questions about what energises you and what you bring, then suggest ML roles that fit and a "
    "learning plan.\n"
    "Pick an option, or type its number or its name. Words I understand at any point:\n"
    "  start / resume - begin, or pick up where you left off\n"
    "  back - go to the previous question\n"
    "  skip - pass over an optional question\n"
    "  status - where you are and what you have answered\n"
    "  result - your last match again\n"
    "  restart - start over (I will ask first)\n"
    "  cancel - leave a confirmation or a change without doing anything\n"
    "  delete - erase everything I stored about you (I will ask first)\n"
    "  checkin - weekly check-ins on your plan: see them, or set a day and time (checkin mon 09:00)\n"
    "  pause / stop - pause your check-ins for a while, or stop them\n"
    "  share / stats - in a community: invite others to the reflection, or see its overall numbers\n"
    "  help - this message";

bool is_harmless(const input& in) {
  if (in.kind != input_kind::command) return false;
  static const char* words[] = {"help", "status", "result", "start", "resume", "restart", "delete", "cancel"};
  return std::find(std::begin(words), std::end(words), in.command) != std::end(words);
}

// One step, carried out on a copy of the conversation.
class turn {
 public:
  turn(const engine& e, const conversation& c, timestamp now)
      : e_(e), c_(e.material()), f_(c_.questions), s_(c), now_(now) {}

  step_result run(const input& in) {
    reconcile();
    checkin_dialog checkins(e_, e_.dates(), s_, out_, now_);
    if (in.kind == input_kind::tick) {
      if (in.command == "checkin_due") checkins.due();
      else if (in.command == "checkin_reminder") checkins.remind();
      else if (in.command == "zone_hint") checkins.learn_zone(in.arg);
      else on_tick();
    } else {
      checkins.tell_pause_reason();
      if (checkins.wants(in)) {
        s_.confirm = pending::none;
        checkins.handle(in);
      } else {
        handle(in);
        if (result_ready_) checkins.offer();
      }
      s_.last_activity = now_;
      s_.nudged = false;
    }
    return {std::move(s_), std::move(out_), erase_, result_ready_};
  }

 private:
  // Fit the conversation to the current content: answers to removed or changed questions
  // are dropped (and so asked again); the rest carry over.
  void reconcile() {
    answer_list kept = e_.current_answers(s_.answers);
    bool changed = kept.size() != s_.answers.size();
    s_.answers = std::move(kept);
    if (s_.at == stage::asking && !f_.find(s_.current)) {
      s_.editing = false;
      changed = true;
      move_to_next(-1);
    } else if (s_.at == stage::summary && first_unanswered(0) >= 0) {
      changed = true;
      move_to_next(-1);
    }
    if (changed && (s_.at == stage::asking || s_.at == stage::summary)) s_.flow_version = f_.version;
  }

  void handle(const input& in) {
    if (in.round && *in.round != s_.round && !is_harmless(in)) {
      say("That button belongs to an earlier run of your reflection, so I left your answers as they are." +
          where_now());
      return;
    }
    if (s_.confirm != pending::none) {
      std::optional<command_words> typed = in.kind == input_kind::text ? command_word(in.text) : std::nullopt;
      std::string word = in.kind == input_kind::command ? in.command : typed ? typed->word : "";
      if (word == "confirm" && (in.arg.empty() || in.arg == to_string(s_.confirm))) {
        carry_out_confirmation();
        return;
      }
      s_.confirm = pending::none;
      if (word == "cancel") {
        say("Okay, nothing changed.");
        show_where();
        return;
      }
      // Anything else: the user moved on; treat it normally.
    }
    switch (in.kind) {
      case input_kind::open: on_open(); break;
      case input_kind::choose: on_choose(in); break;
      case input_kind::text: on_text(in); break;
      case input_kind::command: on_command(in.command, in.arg, in); break;
      case input_kind::tick: break;
    }
  }

  // --- inputs ---------------------------------------------------------------------

  void on_open() {
    switch (s_.at) {
      case stage::fresh:
      case stage::expired: begin(); break;
      case stage::asking:
        say_with("Welcome back! You were at " + position_text(s_.current) + ". Resume or restart?",
                 {{command_token("resume", "", s_.round), "Resume", action_style::primary},
                  {command_token("restart", "", s_.round), "Restart", action_style::normal}});
        break;
      case stage::summary:
        say("Welcome back! You have answered every question.");
        show_summary();
        break;
      case stage::done:
        say_with("Welcome back! Your result is ready.",
                 {{command_token("result", "", s_.round), "Show my result", action_style::primary},
                  {command_token("restart", "", s_.round), "Start over", action_style::normal}});
        break;
    }
  }

  void on_choose(const input& in) {
    if (!bound_to_open_question(in)) return;
    const question& q = *f_.find(s_.current);
    std::vector<std::string> normalized;
    if (auto problem = validate(q, in.options, normalized)) {
      miss(q, *problem);
      return;
    }
    record(q, std::move(normalized), {}, false);
  }

  void on_text(const input& in) {
    // Words typed into a platform's answer box (bound to a question) are the answer, even
    // when they happen to be "help" or "skip".
    bool answer_box = in.from_button && !in.question.empty();
    if (auto words = answer_box ? std::nullopt : command_word(in.text)) {
      input c = input::cmd(words->word, words->arg);
      on_command(c.command, c.arg, c);
      return;
    }
    switch (s_.at) {
      case stage::fresh:
      case stage::expired: begin(); return;
      case stage::done:
        say_with("Your reflection is complete. Say result to see your matches again, or restart to go again.",
                 {{command_token("result", "", s_.round), "Show my result", action_style::primary},
                  {command_token("restart", "", s_.round), "Start over", action_style::normal}});
        return;
      case stage::summary: {
        std::string t(sanitize_text(in.text, 20).text);
        int n = 0;
        if (!t.empty() && t.size() < 3 && std::all_of(t.begin(), t.end(), ::isdigit)) n = std::stoi(t);
        if (n >= 1 && n <= static_cast<int>(f_.questions.size())) {
          edit(f_.questions[static_cast<std::size_t>(n - 1)].id);
          return;
        }
        error("Say confirm to see your matches, or the number of an answer to change it.");
        return;
      }
      case stage::asking: break;
    }
    if (!bound_to_open_question(in)) return;
    const question& q = *f_.find(s_.current);
    if (q.kind == question_kind::text) {
      clean_text t = sanitize_text(in.text, static_cast<std::size_t>(q.max_length));
      if (t.text.empty()) {
        miss(q, "I did not catch any words there.");
        return;
      }
      if (t.truncated)
        say("That was longer than " + std::to_string(q.max_length) + " characters, so I kept the first " +
            std::to_string(q.max_length) + ".");
      record(q, {}, std::move(t.text), false);
      return;
    }
    clean_text t = sanitize_text(in.text, 500);
    option_match m = match_options(q, t.text);
    if (m.greeting) {
      say("Hello!");
      ask(q);
      return;
    }
    if (!m.unknown.empty() || m.ids.empty() || m.out_of_range) {
      if (returning()) {
        say_with("Welcome back! We were at " + position_text(q.id) + ".",
                 {{command_token("resume", "", s_.round), "Resume", action_style::primary},
                  {command_token("restart", "", s_.round), "Restart", action_style::normal}});
        return;
      }
      if (m.out_of_range && m.unknown.empty()) {
        miss(q, "There " + std::string(q.options.size() == 1 ? "is 1 option" : "are " + std::to_string(q.options.size()) + " options") +
                    ", so " + std::to_string(*m.out_of_range) + " is not one of them.");
        return;
      }
      std::string what = m.unknown.empty() ? t.text : m.unknown.front();
      std::string problem = "I could not match \"" + shorten(what) + "\" to an option.";
      if (!m.suggestions.empty()) {
        problem += " Did you mean ";
        for (std::size_t i = 0; i < m.suggestions.size(); ++i) {
          const option* o = q.find_option(m.suggestions[i]);
          problem += (i ? " or \"" : "\"") + (o ? o->label : m.suggestions[i]) + "\"";
        }
        problem += "?";
      }
      miss(q, problem);
      return;
    }
    std::vector<std::string> normalized;
    if (auto problem = validate(q, m.ids, normalized)) {
      miss(q, *problem);
      return;
    }
    record(q, std::move(normalized), {}, false);
  }

  void on_command(const std::string& word, const std::string& arg, const input& in) {
    if (word == "start") {
      if (s_.at == stage::fresh || s_.at == stage::expired) begin();
      else if (s_.at == stage::done) ask_confirmation(pending::restart);
      else show_where(true);
    } else if (word == "resume") {
      if (s_.at == stage::fresh || s_.at == stage::expired) begin();
      else if (s_.at == stage::done) show_result();
      else show_where(true);
    } else if (word == "back") {
      go_back(arg);
    } else if (word == "skip") {
      skip(arg);
    } else if (word == "restart") {
      if (s_.at == stage::fresh || s_.at == stage::expired) begin();
      else ask_confirmation(pending::restart);
    } else if (word == "delete") {
      ask_confirmation(pending::erase_data);
    } else if (word == "confirm") {
      if (s_.at == stage::summary) finish();
      else if (s_.at == stage::done) show_result();
      else error("There is nothing waiting for a yes right now." + where_now());
    } else if (word == "cancel") {
      if (s_.at == stage::asking && s_.editing) {
        back_to_summary();
      } else {
        say("Okay. Your answers are saved; say resume whenever you are ready.");
      }
    } else if (word == "edit") {
      edit(arg);
    } else if (word == "answer" || word == "next") {
      // A platform opening a text box or committing a selection: re-ask if it is the open question.
      input bound = in;
      bound.question = arg;
      if (!bound_to_open_question(bound)) return;
      const question& q = *f_.find(s_.current);
      if (word == "next" && q.kind != question_kind::text) miss(q, "Pick at least one option first.");
      else ask(q);
    } else if (word == "status") {
      status();
    } else if (word == "result") {
      if (s_.at == stage::done) show_result();
      else say("No result yet." + where_now());
    } else if (word == "help") {
      say(help_text);
    } else if (word == "share" || word == "stats") {
      say(word == "share" ? "Say that in a channel or server (/mlpath share) to post a card there that invites people "
                            "to take the reflection."
                          : "Community numbers belong to a server or workspace: say /mlpath stats there.");
    } else {
      error("I do not know \"" + shorten(word) + "\". Say help to see what I understand.");
    }
  }

  void on_tick() {
    if (s_.at != stage::asking && s_.at != stage::summary) return;
    if (s_.last_activity.time_since_epoch().count() == 0) return;
    auto idle = now_ - s_.last_activity;
    if (idle >= engine::expire_after) {
      s_.at = stage::expired;
      s_.current.clear();
      s_.editing = false;
      s_.confirm = pending::none;
      say_with("Your reflection was left unfinished for a week, so I closed it. Say start whenever you want "
               "to begin again.",
               {{command_token("start", "", s_.round + 1), "Start again", action_style::primary}});
    } else if (idle >= engine::nudge_after && !s_.nudged) {
      s_.nudged = true;
      std::string where = s_.at == stage::asking ? position_text(s_.current) : "the summary of your answers";
      say_with("Still thinking it over? You are at " + where + ". Pick up where you left off whenever you like.",
               {{command_token("resume", "", s_.round), "Resume", action_style::primary}});
    }
  }

  // --- transitions ----------------------------------------------------------------

  void begin() {
    bool again = s_.round > 0;
    s_.round += 1;
    s_.flow_id = f_.id;
    s_.flow_version = f_.version;
    s_.answers.clear();
    s_.editing = false;
    s_.confirm = pending::none;
    s_.misses = 0;
    s_.started = now_;
    say(std::string(again ? "Let's start fresh. " : "Hi! I'm mlpath. ") + "I will ask " +
        std::to_string(f_.questions.size()) +
        " short questions about what energises you and what you bring, then suggest machine learning roles "
        "that fit you, with a learning plan. It takes about five minutes. Say help at any point.");
    s_.at = stage::asking;
    s_.current = f_.questions.front().id;
    ask(f_.questions.front());
  }

  void record(const question& q, std::vector<std::string> options, std::string text, bool skipped) {
    answer a{q.id, std::move(options), std::move(text), skipped, q.fingerprint, now_};
    answered_reply ack{q.id, q.title, a.options, {}, skipped, s_.round};
    for (const auto& id : a.options) ack.labels.push_back(q.find_option(id)->label);
    if (q.kind == question_kind::text && !skipped) ack.labels.push_back(a.text);
    auto it = std::find_if(s_.answers.begin(), s_.answers.end(), [&](const answer& x) { return x.question == q.id; });
    if (it != s_.answers.end()) *it = std::move(a);
    else s_.answers.push_back(std::move(a));
    std::stable_sort(s_.answers.begin(), s_.answers.end(),
                     [&](const answer& x, const answer& y) { return f_.index_of(x.question) < f_.index_of(y.question); });
    s_.misses = 0;
    out_.emplace_back(std::move(ack));
    if (s_.editing) {
      back_to_summary();
      return;
    }
    move_to_next(f_.index_of(q.id));
    if (s_.at == stage::asking) ask(*f_.find(s_.current));
    else show_summary();
  }

  // A change made from the summary is done (or abandoned): show the summary again. A
  // question left unanswered meanwhile (new content) is asked first.
  void back_to_summary() {
    s_.editing = false;
    s_.misses = 0;
    move_to_next(-1);
    if (s_.at == stage::asking) ask(*f_.find(s_.current));
    else show_summary();
  }

  // The next unanswered question after `from` (wrapping round), or the summary.
  void move_to_next(int from) {
    int next = first_unanswered(from + 1);
    if (next < 0) next = first_unanswered(0);
    if (next < 0) {
      s_.at = stage::summary;
      s_.current.clear();
    } else {
      s_.at = stage::asking;
      s_.current = f_.questions[static_cast<std::size_t>(next)].id;
    }
  }

  int first_unanswered(int from) const {
    for (int i = std::max(0, from); i < static_cast<int>(f_.questions.size()); ++i)
      if (!find_answer(s_.answers, f_.questions[static_cast<std::size_t>(i)].id)) return i;
    return -1;
  }

  void go_back(const std::string& pressed_on) {
    if (s_.at == stage::asking) {
      if (!pressed_on.empty() && pressed_on != s_.current) {
        already_moved_on(pressed_on);
        return;
      }
      if (s_.editing) {
        back_to_summary();
        return;
      }
      int i = f_.index_of(s_.current);
      if (i <= 0) {
        error("This is the first question, so there is nothing before it.");
        ask(*f_.find(s_.current));
        return;
      }
      s_.current = f_.questions[static_cast<std::size_t>(i - 1)].id;
      s_.misses = 0;
      ask(*f_.find(s_.current));
    } else if (s_.at == stage::summary) {
      s_.at = stage::asking;
      s_.current = f_.questions.back().id;
      s_.misses = 0;
      ask(f_.questions.back());
    } else if (s_.at == stage::done) {
      error("Your reflection is complete. Say edit and a question number to change an answer, or restart.");
    } else {
      error("There is nothing to go back to yet. Say start to begin.");
    }
  }

  void skip(const std::string& pressed_on) {
    if (s_.at != stage::asking) {
      error("There is no open question to skip." + where_now());
      return;
    }
    if (!pressed_on.empty() && pressed_on != s_.current) {
      already_moved_on(pressed_on);
      return;
    }
    const question& q = *f_.find(s_.current);
    if (!q.optional) {
      error("This one cannot be skipped: your match depends on it.");
      ask(q);
      return;
    }
    record(q, {}, {}, true);
  }

  void edit(const std::string& which) {
    const question* q = f_.find(which);
    if (!q && !which.empty() && which.size() < 3 && std::all_of(which.begin(), which.end(), ::isdigit)) {
      int n = std::stoi(which);
      if (n >= 1 && n <= static_cast<int>(f_.questions.size())) q = &f_.questions[static_cast<std::size_t>(n - 1)];
    }
    if (!q) {
      error("I do not know which answer to change. Use the question's number from the summary, e.g. edit 3.");
      return;
    }
    if (s_.at == stage::asking) {
      if (q->id == s_.current) ask(*q);
      else if (find_answer(s_.answers, q->id)) {
        // Mid-flow: jump there; answering it continues with the next open question.
        s_.current = q->id;
        s_.misses = 0;
        ask(*q);
      } else {
        error("You have not reached that question yet." + where_now());
      }
      return;
    }
    if (s_.at != stage::summary && s_.at != stage::done) {
      error("There are no answers to change yet. Say start to begin.");
      return;
    }
    s_.at = stage::asking;
    s_.current = q->id;
    s_.editing = true;
    s_.misses = 0;
    ask(*q);
  }

  void ask_confirmation(pending what) {
    s_.confirm = what;
    confirm_reply r;
    r.about = to_string(what);
    if (what == pending::restart) {
      r.text = "Start over from the first question? Your current answers will be replaced.";
      r.actions = {{command_token("confirm", "restart", s_.round), "Yes, start over", action_style::danger},
                   {command_token("cancel", "", s_.round), "Cancel", action_style::normal}};
    } else {
      r.text = "Delete everything mlpath stored about you: your answers, results and check-ins? This cannot "
               "be undone.";
      r.actions = {{command_token("confirm", "delete", s_.round), "Yes, delete my data", action_style::danger},
                   {command_token("cancel", "", s_.round), "Cancel", action_style::normal}};
    }
    out_.emplace_back(std::move(r));
  }

  void carry_out_confirmation() {
    pending what = s_.confirm;
    s_.confirm = pending::none;
    if (what == pending::restart) {
      begin();
    } else if (what == pending::erase_data) {
      erase_ = true;
      int round = s_.round;
      s_ = conversation{};
      s_.round = round;  // keeps buttons sent before the erase recognisably stale
      say("Done: I deleted everything I had stored about you. Say start if you ever want to begin again.");
    }
  }

  void finish() {
    s_.at = stage::done;
    s_.current.clear();
    s_.editing = false;
    result_ready_ = true;
    show_result();
  }

  // --- replies --------------------------------------------------------------------

  void ask(const question& q) {
    question_reply r = make_question(q, f_.index_of(q.id) + 1, static_cast<int>(f_.questions.size()), s_.round, {});
    if (const answer* a = find_answer(s_.answers, q.id)) {
      r.selected = a->options;
      r.text = a->text;
    }
    if (q.optional) r.actions.push_back({command_token("skip", q.id, s_.round), "Skip", action_style::normal});
    if (r.position > 1 || s_.editing)
      r.actions.push_back({command_token("back", q.id, s_.round), "Back", action_style::normal});
    out_.emplace_back(std::move(r));
  }

  void show_summary() {
    summary_reply r;
    r.text = "Here is what you told me. Confirm to see your matches, or change any answer first.";
    r.round = s_.round;
    r.actions.push_back({command_token("confirm", "", s_.round), "See my matches", action_style::primary});
    for (const auto& q : f_.questions) {
      summary_line line{q.id, q.title, {}, false};
      const answer* a = find_answer(s_.answers, q.id);
      if (!a || a->skipped) {
        line.answer = "(skipped)";
        line.skipped = true;
      } else {
        line.answer = describe(q, *a);
      }
      r.lines.push_back(std::move(line));
      r.actions.push_back({command_token("edit", q.id, s_.round), "Change: " + q.title, action_style::normal});
    }
    out_.emplace_back(std::move(r));
  }

  void show_result() {
    result_reply r = e_.result_for(s_.answers);
    r.actions = {{command_token("restart", "", s_.round), "Start over", action_style::normal}};
    out_.emplace_back(std::move(r));
  }

  void status() {
    std::string t;
    switch (s_.at) {
      case stage::fresh: t = "You have not started yet. Say start to begin."; break;
      case stage::expired: t = "Your last reflection expired unfinished. Say start to begin again."; break;
      case stage::asking: t = "You are at " + position_text(s_.current) + "."; break;
      case stage::summary: t = "You have answered every question; confirm the summary to see your matches."; break;
      case stage::done: t = "Your reflection is complete. Say result to see your matches again."; break;
    }
    if (!s_.answers.empty()) {
      t += "\nYour answers so far:";
      for (const auto& a : s_.answers) {
        const question* q = f_.find(a.question);
        t += "\n- " + q->title + ": " + (a.skipped ? std::string("(skipped)") : describe(*q, a));
      }
    }
    say(t);
  }

  void show_where(bool reask = false) {
    if (s_.at == stage::asking) {
      if (reask) say("Picking up at " + position_text(s_.current) + ".");
      ask(*f_.find(s_.current));
    } else if (s_.at == stage::summary) {
      show_summary();
    } else if (s_.at == stage::done) {
      say("Your reflection is complete. Say result to see your matches again.");
    } else {
      say("Say start whenever you want to begin.");
    }
  }

  std::string where_now() const {
    if (s_.at == stage::asking) return " You are at " + position_text(s_.current) + ".";
    if (s_.at == stage::summary) return " Your answers are complete; confirm the summary to see your matches.";
    return "";
  }

  // Is `in` meant for the open question? Says why not when it is not.
  bool bound_to_open_question(const input& in) {
    if (s_.at != stage::asking) {
      if (!in.question.empty() && find_answer(s_.answers, in.question)) already_answered(in.question);
      else if (s_.at == stage::done) say("Your reflection is already complete. Say result to see your matches.");
      else if (s_.at == stage::summary) say("All questions are answered. Confirm the summary, or pick an answer to change.");
      else say("There is no open question right now. Say start to begin.");
      return false;
    }
    if (!in.question.empty() && in.question != s_.current) {
      already_moved_on(in.question);
      return false;
    }
    return true;
  }

  void already_moved_on(const std::string& q) {
    if (find_answer(s_.answers, q)) already_answered(q);
    else say("That question is not open right now." + where_now());
  }

  void already_answered(const std::string& q) {
    const question* qq = f_.find(q);
    say("You already answered \"" + (qq ? qq->title : q) + "\"." + where_now());
  }

  // A validation problem with the chosen options, or nullopt (and `out` normalised).
  std::optional<std::string> validate(const question& q, const std::vector<std::string>& ids,
                                      std::vector<std::string>& out) const {
    if (q.kind == question_kind::text) return "This question wants a few words in your own voice; just type them.";
    for (const auto& id : ids)
      if (!q.find_option(id)) return "\"" + shorten(id) + "\" is not one of the options.";
    for (const auto& o : q.options)
      if (std::find(ids.begin(), ids.end(), o.id) != ids.end()) out.push_back(o.id);
    if (out.empty()) return q.kind == question_kind::multi ? "Pick at least one option." : "Pick one option.";
    if (q.kind == question_kind::single && out.size() > 1) return "Pick just one option.";
    if (static_cast<int>(out.size()) > q.max_choices())
      return "Pick at most " + std::to_string(q.max_choices()) + " options.";
    for (const auto& id : out) {
      const option* o = q.find_option(id);
      if (o->exclusive && out.size() > 1) return "\"" + o->label + "\" cannot be combined with other options.";
    }
    return std::nullopt;
  }

  void miss(const question& q, const std::string& problem) {
    s_.misses += 1;
    if (s_.misses >= 3) {
      s_.misses = 0;
      std::string t = problem + " That is a few tries, so here is the question again. ";
      if (q.kind == question_kind::text) t += "Type a sentence in your own words";
      else t += "Pick an option, or type its number (for example 1)";
      t += q.optional ? ", or say skip to pass over it." : ".";
      say(t);
      ask(q);
      return;
    }
    std::string hint;
    if (q.kind == question_kind::single) hint = " Reply with one number from 1 to " + std::to_string(q.options.size()) + " or an option's name.";
    else if (q.kind == question_kind::multi)
      hint = " Reply with numbers or names separated by commas" +
             (q.max > 0 ? " (at most " + std::to_string(q.max) + ")" : std::string()) + ".";
    if (q.optional) hint += " Or say skip.";
    error(problem + hint);
  }

  std::string describe(const question& q, const answer& a) const {
    if (q.kind == question_kind::text) return a.text;
    std::string s;
    for (const auto& id : a.options) {
      const option* o = q.find_option(id);
      s += (s.empty() ? "" : ", ") + (o ? o->label : id);
    }
    return s;
  }

  std::string position_text(const std::string& q) const {
    int i = f_.index_of(q);
    const question* qq = f_.find(q);
    return "question " + std::to_string(i + 1) + " of " + std::to_string(f_.questions.size()) +
           (qq ? " (" + qq->title + ")" : "");
  }

  bool returning() const {
    return s_.last_activity.time_since_epoch().count() != 0 && now_ - s_.last_activity >= engine::resume_gap;
  }

  static std::string shorten(const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; }

  void say(std::string t) { out_.emplace_back(text_reply{std::move(t), {}}); }
  void say_with(std::string t, std::vector<action> a) { out_.emplace_back(text_reply{std::move(t), std::move(a)}); }
  void error(std::string t) { out_.emplace_back(error_reply{std::move(t)}); }

  const engine& e_;
  const content& c_;
  const flow& f_;
  conversation s_;
  timestamp now_;
  std::vector<reply> out_;
  bool erase_ = false;
  bool result_ready_ = false;
};

}  // namespace

engine::engine(std::shared_ptr<const content> c, const calendar* cal) : content_(std::move(c)), calendar_(cal) {}

step_result engine::step(const conversation& c, const input& in, timestamp now) const {
  return turn(*this, c, now).run(in);
}

answer_list engine::current_answers(const answer_list& answers) const {
  answer_list kept;
  for (const auto& q : content_->questions.questions) {
    const answer* a = find_answer(answers, q.id);
    if (a && a->fingerprint == q.fingerprint) kept.push_back(*a);
  }
  return kept;
}

result_reply engine::result_for(const answer_list& answers) const {
  result_reply r;
  answer_list valid = current_answers(answers);
  r.match = score(*content_, valid);
  r.plan = build_plan(*content_, valid, r.match);
  if (const answer* goal = find_answer(valid, "goal_note"); goal && !goal->skipped) r.goal = goal->text;
  auto add_card = [&](const std::string& id) {
    if (const role* ro = content_->find_role(id)) r.roles.push_back({ro->id, ro->name, ro->summary, ro->key_skills});
  };
  for (const auto& id : r.match.primary) add_card(id);
  for (const auto& id : r.match.secondary) add_card(id);
  r.note = verdict_note;
  return r;
}

}  // namespace mlpath::dialogs
