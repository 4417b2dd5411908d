#include "adapters/slack/mapping.hpp"

#include <algorithm>

#include "dialogs/action_token.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::slack {
namespace {

using dialogs::input;
using dialogs::input_kind;

mapped ignore(std::string reason) {
  mapped m;
  m.action = mapped_action::ignore;
  m.reason = std::move(reason);
  return m;
}

using dialogs::trim;

dialogs::user_ref user_of(const inbound& in) { return {"slack", in.team_id, in.user}; }

// "<@U111> <@U222|name> start" -> "start": the mentions that address the message are
// not part of what the person said to us.
std::string strip_leading_mentions(std::string_view text) {
  std::string_view t = trim(text);
  while (t.substr(0, 2) == "<@") {
    auto close = t.find('>');
    if (close == std::string_view::npos) break;
    t = trim(t.substr(close + 1));
  }
  return std::string(t);
}

// Bots never drive the dialog: not ours (a loop), not others' (they are not people).
std::optional<mapped> from_a_bot(const inbound& in, const bot_identity& self) {
  if (!in.bot_id.empty())
    return ignore(!self.bot_id.empty() && in.bot_id == self.bot_id ? "our own message (bot_id)" : "a bot's message");
  if (!self.user_id.empty() && in.user == self.user_id) return ignore("our own message (bot user)");
  if (!self.app_id.empty() && in.app_id == self.app_id) return ignore("our own message (app_id)");
  return std::nullopt;
}

mapped map_event(const inbound& in, const bot_identity& self) {
  const std::string& type = in.event_type;
  if (type == "app_uninstalled") {
    mapped m;
    m.action = mapped_action::uninstall;
    m.where.user = {"slack", in.team_id, ""};
    return m;
  }
  if (type == "tokens_revoked") {
    // We hold only bot tokens; users revoking their own tokens change nothing for us.
    if (in.revoked_bot_users.empty())
      return ignore(in.revoked_user_tokens.empty() ? "tokens_revoked names no token" : "only user tokens were revoked");
    mapped m;
    m.action = mapped_action::revoke;
    m.where.user = {"slack", in.team_id, ""};
    return m;
  }
  if (type == "team_access_revoked") {
    // Only an org's install loses teams; an empty id would name the tenant of org-level rows.
    if (in.enterprise_id.empty()) return ignore("team_access_revoked names no org");
    if (std::none_of(in.revoked_teams.begin(), in.revoked_teams.end(), [](const auto& t) { return !t.empty(); }))
      return ignore("team_access_revoked names no team");
    mapped m;
    m.action = mapped_action::teams_revoked;
    m.where.user = {"slack", in.enterprise_id.empty() ? in.team_id : in.enterprise_id, ""};
    return m;
  }
  if (type == "app_home_opened") {
    if (in.tab != "home") return ignore("app_home_opened on the " + (in.tab.empty() ? std::string("?") : in.tab) + " tab");
    if (in.user.empty()) return ignore("no user");
    mapped m;
    m.action = mapped_action::home;
    m.where.user = user_of(in);
    return m;
  }
  if (type != "message" && type != "app_mention") return ignore("event type \"" + type + "\" is not handled");
  if (auto bot = from_a_bot(in, self)) return *bot;
  if (!in.subtype.empty())
    return ignore("message subtype \"" + in.subtype + "\": edits, deletions and joins are not answers");
  if (in.user.empty()) return ignore("no user");

  mapped m;
  m.action = mapped_action::dialog;
  m.where.user = user_of(in);
  if (type == "message") {
    if (in.channel_type != "im") return ignore("not a direct message (channel_type \"" + in.channel_type + "\")");
    m.where.channel = in.channel;
    m.input = input::typed(in.text);
    return m;
  }
  // app_mention: answer privately, never in the public channel.
  m.where.channel.clear();
  std::string said = strip_leading_mentions(in.text);
  m.input = said.empty() ? input::open() : input::typed(std::move(said));
  return m;
}

mapped map_command(const inbound& in) {
  if (in.user.empty()) return ignore("no user");
  mapped m;
  m.action = mapped_action::dialog;
  m.where.user = user_of(in);
  m.where.channel.clear();  // the flow continues in the DM, whichever channel the command came from
  m.where.response_url = in.response_url;
  m.where.trigger_id = in.trigger_id;
  m.ack_text = "I've sent you a DM to continue.";
  std::string_view text = trim(in.text);
  // A person's own DM with mlpath (D...) is no place for a public card or community numbers.
  bool in_channel = !in.channel.empty() && in.channel.front() != 'D';
  if (text.empty()) {
    m.input = input::open();
  } else if (auto words = dialogs::command_word(text)) {
    if (words->word == "share" && in_channel) {
      m.action = mapped_action::share;
      m.where.channel = in.channel;
    } else if (words->word == "stats") {
      m.action = mapped_action::stats;
    }
    m.input = input::cmd(words->word, words->arg);
  } else {
    // Not a word we know: pass the first word on so the engine says what it understands.
    std::string_view first = text.substr(0, text.find_first_of(" \t\n"));
    m.input = input::cmd(dialogs::to_lower(first));
  }
  return m;
}

route route_of(const inbound& in) {
  route r;
  r.user = user_of(in);
  r.channel = in.channel;
  r.message_ts = in.message_ts;
  r.ephemeral = in.ephemeral;
  r.response_url = in.response_url;
  r.trigger_id = in.trigger_id;
  return r;
}

// The selection the `cmd:next` press was made with: the element `q:<question>`, preferring
// the one in this round's block when an older message's state is also present.
std::vector<std::string> selection_for(const inbound& in, const std::string& question, std::optional<int> round) {
  std::string group = dialogs::group_token(question);
  std::string block = round ? group + ":r" + std::to_string(*round) : std::string();
  const state_value* best = nullptr;
  for (const auto& sv : in.state) {
    if (sv.action_id != group) continue;
    if (!best || (!block.empty() && sv.block_id == block)) best = &sv;
  }
  std::vector<std::string> out;
  if (!best) return out;
  for (const auto& v : best->values)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

mapped map_block_actions(const inbound& in) {
  if (in.user.empty()) return ignore("no user");
  if (in.actions.empty()) return ignore("no action");
  // Slack sends one action per payload; a second would be a client we do not know.
  const block_action& a = in.actions.front();
  mapped m;
  m.action = mapped_action::dialog;
  m.where = route_of(in);

  if (a.type == "button") {
    auto token = dialogs::parse_action_token(a.value);
    if (!token) return ignore("button value is not one of our tokens");
    if (token->kind == input_kind::command && token->command == "next") {
      // The state sent with the press is authoritative; every toggle before it was ignored.
      input in_choice = input::choose(token->arg, selection_for(in, token->arg, token->round));
      in_choice.round = token->round;
      in_choice.from_button = true;
      m.input = std::move(in_choice);
      return m;
    }
    if (token->kind == input_kind::command && token->command == "answer") {
      m.action = mapped_action::open_modal;
      m.question = token->arg;
    }
    if (token->kind == input_kind::command && token->command == "start" && !token->round) {
      // The share card's Start button: a private start in the presser's DM, never an
      // update of the public card.
      m.where.channel.clear();
      m.where.message_ts.clear();
      m.where.ephemeral = false;
    }
    m.from_home = in.container_type == "view" && in.callback_id == home_callback_id;
    m.input = std::move(*token);
    return m;
  }

  if (a.type == "static_select" || a.type == "radio_buttons") {
    auto group = dialogs::parse_action_token(a.action_id);
    if (!group || group->kind != input_kind::choose || !group->options.empty() || group->round)
      return ignore("select is not one of ours");
    if (a.selected.empty()) return ignore("selection cleared");
    input choice = input::choose(group->question, {a.selected.front()});
    if (auto block = dialogs::parse_action_token(a.block_id);
        block && block->kind == input_kind::choose && block->question == group->question)
      choice.round = block->round;
    choice.from_button = true;
    m.input = std::move(choice);
    return m;
  }

  if (a.type == "checkboxes" || a.type == "multi_static_select") return ignore("selection change");
  return ignore("element type \"" + a.type + "\" is not handled");
}

mapped map_view_submission(const inbound& in) {
  if (in.user.empty()) return ignore("no user");
  auto token = dialogs::parse_action_token(in.callback_id);
  if (!token || token->kind != input_kind::choose || !token->options.empty() || token->question.empty())
    return ignore("modal is not one of ours");
  const state_value* typed = nullptr;
  for (const auto& sv : in.state) {
    if (sv.type != "plain_text_input") continue;
    if (!typed || sv.action_id == "answer") typed = &sv;
  }
  input answer = input::typed(typed && !typed->values.empty() ? typed->values.front() : std::string());
  answer.question = token->question;
  answer.round = token->round;
  answer.from_button = true;
  mapped m;
  m.action = mapped_action::dialog;
  m.where.user = user_of(in);
  m.where.trigger_id = in.trigger_id;
  m.input = std::move(answer);
  return m;
}

}  // namespace

mapped map_inbound(const inbound& in, const bot_identity& self) {
  switch (in.kind) {
    case inbound_kind::event_callback: return map_event(in, self);
    case inbound_kind::slash_command: return map_command(in);
    case inbound_kind::block_actions: return map_block_actions(in);
    case inbound_kind::view_submission: return map_view_submission(in);
    case inbound_kind::view_closed: return ignore("modal closed");
    case inbound_kind::url_verification: return ignore("url_verification is answered by the receiver");
    case inbound_kind::ssl_check: return ignore("ssl_check is answered by the receiver");
    case inbound_kind::app_rate_limited: {
      mapped m;
      m.action = mapped_action::rate_limited;
      m.reason = "app_rate_limited: Slack is dropping events";
      m.where.user = {"slack", in.team_id, ""};
      return m;
    }
    case inbound_kind::unsupported: break;
  }
  return ignore("unsupported payload type \"" + in.type + "\"");
}

}  // namespace mlpath::slack
