#include "dialogs/home.hpp"

#include "dialogs/action_token.hpp"
#include "dialogs/checkin_dialog.hpp"
#include "dialogs/engine.hpp"

namespace mlpath::dialogs {

home_reply home_for(const engine& e, const conversation& c, bool first_visit,
                    const std::vector<std::string>& earlier_primary) {
  const content& m = e.material();
  const flow& f = m.questions;
  home_reply h;
  if (first_visit)
    h.greeting = "Welcome to mlpath! A short reflection (" + std::to_string(f.questions.size()) +
                 " questions, about five minutes) on what energises you, your ideal workday, the parts of ML that "
                 "draw you and the experience you bring. At the end you get the ML roles that fit you best, why, "
                 "and a learning plan with links.";
  int round = c.round;
  switch (c.at) {
    case stage::fresh:
      h.where = "You have not started the reflection yet.";
      h.actions.push_back({command_token("start", "", round + 1), "Start the reflection", action_style::primary});
      break;
    case stage::expired:
      h.where = "Your last reflection was left unfinished and closed.";
      h.actions.push_back({command_token("start", "", round + 1), "Start again", action_style::primary});
      break;
    case stage::asking: {
      int i = f.index_of(c.current);
      const question* q = f.find(c.current);
      h.where = "You are at question " + std::to_string(i + 1) + " of " + std::to_string(f.questions.size()) +
                (q ? " (" + q->title + ")" : "") + ", with " + std::to_string(c.answers.size()) + " answered.";
      h.actions.push_back({command_token("resume", "", round), "Resume", action_style::primary});
      break;
    }
    case stage::summary:
      h.where = "Every question is answered: confirm the summary to see your matches.";
      h.actions.push_back({command_token("resume", "", round), "See the summary", action_style::primary});
      break;
    case stage::done:
      h.where = "Your reflection is complete.";
      h.result = e.result_for(c.answers);
      h.next_steps = plan_steps_ahead(e, c);
      h.actions.push_back({command_token("result", "", round), "See my plan", action_style::primary});
      h.actions.push_back({command_token("restart", "", round), "Start over", action_style::normal});
      break;
  }
  if (c.at != stage::done) {
    for (const auto& id : earlier_primary)
      if (const role* r = m.find_role(id)) h.earlier_primary.push_back(r->name);
  }

  const checkin_book& b = c.checkins;
  const calendar* cal = e.dates();
  if (!cal) {
    h.checkins.clear();
  } else if (b.active && b.scheduled) {
    if (b.paused) {
      h.checkins = "Weekly check-ins are paused";
      if (b.paused_until) h.checkins += " until " + cal->local_text(*b.paused_until, b.slot.zone);
      h.checkins += ". Schedule: " + slot_text(b.slot) + ".";
    } else {
      h.checkins = "Weekly check-ins: " + schedule_text(b, *cal) + ".";
      if (int streak = streak_of(b.history, b.open_week); streak > 0)
        h.checkins += " Streak: " + std::to_string(streak) + (streak == 1 ? " week." : " weeks.");
    }
    h.actions.push_back({command_token("checkin", "", round), "Change check-ins", action_style::normal});
  } else {
    h.checkins = "Weekly check-ins: a short message at a time you choose, asking how the plan is going and "
                 "pointing at its next step.";
    h.actions.push_back({command_token("checkin", "", round), "Set up check-ins", action_style::normal});
  }
  return h;
}

}  // namespace mlpath::dialogs
