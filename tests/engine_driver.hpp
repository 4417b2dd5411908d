#pragma once
// Drives the pure engine turn by turn with a fake clock, for engine tests.

#include <string>
#include <vector>

#include "dialogs/action_token.hpp"
#include "dialogs/engine.hpp"
#include "test_support.hpp"

namespace mlpath::test {

struct engine_driver {
  const dialogs::engine* e = &builtin_engine();
  dialogs::conversation c;
  dialogs::timestamp now = t0();
  std::vector<dialogs::reply> last;
  bool erased = false;
  bool result_ready = false;

  const std::vector<dialogs::reply>& send(const dialogs::input& in, std::chrono::seconds advance = std::chrono::seconds(5)) {
    now += advance;
    auto r = e->step(c, in, now);
    c = std::move(r.state);
    last = std::move(r.replies);
    erased = r.erase_user;
    result_ready = r.result_ready;
    return last;
  }
  const std::vector<dialogs::reply>& say(const std::string& text) { return send(dialogs::input::typed(text)); }
  const std::vector<dialogs::reply>& cmd(const std::string& word, const std::string& arg = {}) {
    return send(dialogs::input::cmd(word, arg));
  }
  const std::vector<dialogs::reply>& press(const std::string& token) {
    auto in = dialogs::parse_action_token(token);
    if (!in) throw std::runtime_error("not a token: " + token);
    return send(*in);
  }
  const std::vector<dialogs::reply>& tick(std::chrono::seconds advance) { return send(dialogs::input::tick(), advance); }

  template <class T>
  const T* find() const {
    for (auto it = last.rbegin(); it != last.rend(); ++it)
      if (const T* x = std::get_if<T>(&*it)) return x;
    return nullptr;
  }
  const dialogs::question_reply* question() const { return find<dialogs::question_reply>(); }
  bool has_error() const { return find<dialogs::error_reply>() != nullptr; }
  std::string all_text() const {
    std::string s;
    for (const auto& r : last) {
      if (auto* t = std::get_if<dialogs::text_reply>(&r)) s += t->text + "\n";
      if (auto* t = std::get_if<dialogs::error_reply>(&r)) s += t->text + "\n";
      if (auto* t = std::get_if<dialogs::confirm_reply>(&r)) s += t->text + "\n";
      if (auto* t = std::get_if<dialogs::summary_reply>(&r)) s += t->text + "\n";
    }
    return s;
  }

  // Answers the open question with a valid answer (first option, or a sentence).
  void answer_current() {
    const dialogs::question* q = e->material().questions.find(c.current);
    if (!q) throw std::runtime_error("no open question");
    if (q->kind == dialogs::question_kind::text) say("I want to ship a model that people use.");
    else press(dialogs::answer_token(q->id, q->options.front().id, c.round));
  }
  // From fresh to the summary.
  void answer_all() {
    if (c.at == dialogs::stage::fresh) send(dialogs::input::open());
    for (int guard = 0; c.at == dialogs::stage::asking && guard < 50; ++guard) answer_current();
  }
};

}  // namespace mlpath::test
