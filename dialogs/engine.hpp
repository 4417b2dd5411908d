#pragma once
// The conversation engine: step(conversation, input, now) -> new conversation + replies.
// Pure: no I/O, no clock, no globals. One engine serves every user and thread (const).

#include <chrono>
#include <memory>
#include <vector>

#include "dialogs/calendar.hpp"
#include "dialogs/content.hpp"
#include "dialogs/conversation.hpp"
#include "dialogs/input.hpp"
#include "dialogs/reply.hpp"

namespace mlpath::dialogs {

struct step_result {
  conversation state;
  std::vector<reply> replies;
  bool erase_user = false;  // the user confirmed "delete": the caller erases their data
  bool result_ready = false;  // a result was computed this step (store it)
};

class engine {
 public:
  static constexpr std::chrono::hours nudge_after{24};
  static constexpr std::chrono::hours expire_after{24 * 7};
  // Returning after this long is greeted with "you were at question k of n".
  static constexpr std::chrono::hours resume_gap{1};

  // `cal` (may be null: no weekly check-ins) must outlive the engine.
  explicit engine(std::shared_ptr<const content> c, const calendar* cal = nullptr);

  step_result step(const conversation& c, const input& in, timestamp now) const;

  // The result card for a set of answers, as the `result` command shows it.
  result_reply result_for(const answer_list& answers) const;

  // Answers still valid for the current content (question exists, fingerprint matches),
  // in flow order. Scoring a stored conversation goes through this.
  answer_list current_answers(const answer_list& answers) const;

  const content& material() const { return *content_; }
  const calendar* dates() const { return calendar_; }

 private:
  std::shared_ptr<const content> content_;
  const calendar* calendar_;
};

}  // namespace mlpath::dialogs
