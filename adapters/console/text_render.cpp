#include "adapters/console/text_render.hpp"

#include <algorithm>

#include "adapters/common/result_words.hpp"
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
  if (id.rfind("checkin:", 0) == 0) return "checkin " + id.substr(colon + 1);
  return id.substr(0, colon);  // skip:<question> is typed as plain "skip"
}


// The plan first and the match last, so the match is what stays on screen when the
// reflection ends.
std::string plan_text(const learning_plan& p) {
  std::string s = "Your learning plan: " + p.pace_label + "\n";
  if (std::string m = adapters::milestone_text(p); !m.empty()) s += m + "\n";
  for (const auto& k : p.skipped) s += "  Skipping \"" + k.title + "\": " + k.because + ".\n";
  if (const plan_section* path = p.section("path")) {
    s += "\n" + path->title + " (about " + std::to_string(p.total_weeks) + " weeks)\n";
    for (const auto& e : path->steps) {
      s += "  " + adapters::weeks_text(e) + ": " + e.title + (e.milestone ? "  <- first milestone" : "") + "\n";
      if (!e.shortened_because.empty()) s += "      shorter, because " + e.shortened_because + "\n";
      s += "      " + e.link.url + "\n";
    }
  }
  if (const plan_section* later = p.section("later")) {
    s += "\n" + later->title + ":\n";
    for (const auto& e : later->steps) s += "  - " + e.title + "  " + e.link.url + "\n";
  }
  for (const char* id : {"community", "portfolio", "interview"})
    if (const plan_section* sec = p.section(id)) {
      s += "\n" + sec->title + ":\n";
      for (const auto& e : sec->steps) s += "  - " + e.title + "  " + e.link.url + "\n";
    }
  if (p.tip) s += "\nA tip: " + p.tip->title + ". " + p.tip->detail + "\n  " + p.tip->link.url + "\n";
  return s;
}

std::string match_text(const result_reply& r) {
  const match_result& m = r.match;
  std::string s = "Your matches (confidence: " + std::string(to_string(m.level)) + ")\n";
  for (const auto& rs : m.roles) {
    std::string name = rs.name;
    name.resize(std::max<std::size_t>(name.size(), 28), ' ');
    s += "  " + name + " " + adapters::score_bar(rs.score, "#", ".") + " " + std::to_string(rs.score) + "\n";
    bool shown = std::find(m.primary.begin(), m.primary.end(), rs.role) != m.primary.end() ||
                 std::find(m.secondary.begin(), m.secondary.end(), rs.role) != m.secondary.end();
    if (std::string why = adapters::reasons_sentence(rs.why); shown && !why.empty()) s += "      " + why + "\n";
  }
  auto names = [&](const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids)
      if (const role_score* rs = m.find(id)) out += (out.empty() ? "" : " and ") + rs->name;
    return out;
  };
  if (m.level == confidence::insufficient) s += "(You answered less than half of what I score, so treat this as a first guess.)\n";
  if (m.level == confidence::low) s += "(Your answers fit several roles about equally well; that is useful to know too.)\n";
  if (!r.goal.empty()) s += "\nYour goal: \"" + r.goal + "\"\n";
  s += "\n" + r.note + "\n";
  if (m.primary.empty()) {
    s += "\nI need more answers before I can suggest a path.";
  } else {
    s += "\n" + std::string(m.primary.size() > 1 ? "Co-primary matches: " : "Best match: ") + names(m.primary);
    if (const role_score* best = m.find(m.primary.front())) s += " (" + std::to_string(best->score) + ")";
    if (!m.secondary.empty()) s += "\nAlso worth a look: " + names(m.secondary);
    for (const auto& c : r.roles)
      if (c.id == m.primary.front()) s += "\n" + c.name + ": " + c.summary;
  }
  return s;
}

std::string result_text(const result_reply& r) { return plan_text(r.plan) + "\n" + match_text(r); }

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
