#include "adapters/console/text_render.hpp"

#include <cmath>
#include <cstdio>

#include "adapters/common/score_bar.hpp"

namespace mlpath::console {
namespace {

using namespace dialogs;

// "cmd:resume:r2" -> "resume"; "cmd:edit:domain:r2" -> "edit domain".
std::string spoken(const action& a) {
  std::string id = a.id;
  if (id.rfind("cmd:", 0) == 0) id.erase(0, 4);
  auto r = id.rfind(":r");
  if (r != std::string::npos) id.erase(r);
  if (id.rfind("confirm", 0) == 0) return "yes";
  if (id.rfind("cancel", 0) == 0) return "no";
  auto colon = id.find(':');
  if (id.rfind("edit:", 0) == 0) return "edit " + id.substr(colon + 1);
  return id.substr(0, colon);  // skip:<question> is typed as plain "skip"
}


std::string fmt1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string result_text(const result_reply& r) {
  const match_result& m = r.match;
  std::string s = "Your matches (confidence: " + std::string(to_string(m.level)) + ")\n";
  for (const auto& rs : m.roles) {
    std::string name = rs.name;
    name.resize(std::max<std::size_t>(name.size(), 28), ' ');
    s += "  " + name + " " + adapters::score_bar(rs.score, "#", ".") + " " + std::to_string(rs.score) + "\n";
    for (const auto& w : rs.why) s += "      + " + fmt1(w.points) + "  " + w.label + "\n";
  }
  auto names = [&](const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids)
      if (const role_score* rs = m.find(id)) out += (out.empty() ? "" : " and ") + rs->name;
    return out;
  };
  if (m.primary.empty()) {
    s += "\nI need more answers before I can suggest a path.\n";
  } else {
    s += "\n" + std::string(m.primary.size() > 1 ? "Co-primary matches: " : "Primary match: ") + names(m.primary) + "\n";
    if (!m.secondary.empty()) s += "Also worth a look: " + names(m.secondary) + "\n";
  }
  if (m.level == confidence::insufficient) s += "(You answered less than half of what I score, so treat this as a first guess.)\n";
  if (m.level == confidence::low) s += "(Your answers fit several roles about equally well; that is useful to know too.)\n";
  for (const auto& c : r.roles) s += "\n" + c.name + ": " + c.summary + "\n";

  const learning_plan& p = r.plan;
  s += "\nYour learning plan (" + p.pace_label + " About " + std::to_string(p.total_weeks) + " weeks in all.)\n";
  for (const auto& sec : p.sections) {
    s += "\n" + sec.title + "\n";
    for (const auto& e : sec.steps) {
      std::string weeks = e.week_from == e.week_to ? "week " + std::to_string(e.week_from)
                                                   : "weeks " + std::to_string(e.week_from) + "-" + std::to_string(e.week_to);
      s += "  - " + e.title + " (" + weeks + ")\n    " + e.detail + "\n    " + e.link.title + ": " + e.link.url + "\n";
    }
  }
  if (p.tip) s += "\nA tip: " + p.tip->title + "\n  " + p.tip->detail + "\n  " + p.tip->link.url + "\n";
  s += "\n" + r.note;
  return s;
}

}  // namespace

std::string render_text(const reply& r) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        auto with_actions = [](std::string s, const std::vector<action>& actions) {
          if (actions.empty()) return s;
          s += "\n(";
          for (std::size_t i = 0; i < actions.size(); ++i) s += (i ? " / " : "") + spoken(actions[i]);
          return s + ")";
        };
        if constexpr (std::is_same_v<T, text_reply>) {
          return with_actions(x.text, x.actions);
        } else if constexpr (std::is_same_v<T, error_reply>) {
          return "! " + x.text;
        } else if constexpr (std::is_same_v<T, question_reply>) {
          std::string s = "\n[" + std::to_string(x.position) + "/" + std::to_string(x.total) + "] " + x.title + "\n" + x.prompt;
          if (!x.hint.empty()) s += "\n" + x.hint;
          for (std::size_t i = 0; i < x.options.size(); ++i) {
            bool sel = std::find(x.selected.begin(), x.selected.end(), x.options[i].id) != x.selected.end();
            s += "\n  " + std::to_string(i + 1) + ") " + x.options[i].label + (sel ? "  (your answer)" : "");
          }
          if (x.kind == question_kind::multi)
            s += "\nType numbers or names separated by commas" + (x.max > 0 ? " (up to " + std::to_string(x.max) + ")" : std::string()) + ".";
          else if (x.kind == question_kind::text) {
            if (!x.text.empty()) s += "\nYour answer so far: " + x.text;
            s += "\nType your answer in a sentence.";
          }
          return with_actions(s, x.actions);
        } else if constexpr (std::is_same_v<T, answered_reply>) {
          std::string labels;
          for (const auto& l : x.labels) labels += (labels.empty() ? "" : ", ") + l;
          return "  -> " + x.title + ": " + (x.skipped ? std::string("(skipped)") : labels);
        } else if constexpr (std::is_same_v<T, summary_reply>) {
          std::string s = "\n" + x.text;
          for (std::size_t i = 0; i < x.lines.size(); ++i)
            s += "\n  " + std::to_string(i + 1) + ". " + x.lines[i].title + ": " + x.lines[i].answer;
          return s + "\nSay confirm to see your matches, or type a number to change that answer.";
        } else if constexpr (std::is_same_v<T, confirm_reply>) {
          return x.text + "\n(yes / no)";
        } else if constexpr (std::is_same_v<T, result_reply>) {
          return "\n" + result_text(x);
        }
      },
      r);
}

}  // namespace mlpath::console
