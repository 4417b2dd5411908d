#include "adapters/discord/mapping.hpp"

#include <simdjson.h>

#include <algorithm>

#include "adapters/common/json_util.hpp"
#include "adapters/discord/components.hpp"
#include "adapters/discord/json_read.hpp"
#include "dialogs/action_token.hpp"

namespace mlpath::discord {
namespace {

using dialogs::input;
using dialogs::input_kind;

mapped ignore(std::string reason) {
  mapped m;
  m.action = mapped_action::ignore;
  m.reason = std::move(reason);
  return m;
}

bool in_guild(const interaction& in) { return in.context == 0 || !in.guild_id.empty(); }

// Where it happened and who did it; the action is decided by the caller.
mapped base(const interaction& in) {
  mapped m;
  // One conversation per Discord user, whichever server or DM they use: the tenant stays
  // empty and the guild is kept only for attribution.
  m.user = {"discord", "", in.user_id};
  m.guild_id = in.guild_id;
  m.channel_id = in.channel_id;
  m.ephemeral = in_guild(in);
  return m;
}

bool plain_word(std::string_view w) {
  if (w.empty() || w.size() > 32) return false;
  return std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '-'; });
}

mapped stats_or_forbidden(const interaction& in, mapped m) {
  if (in.guild_id.empty()) {
    m.action = mapped_action::forbidden;
    m.reason = "Community stats are about a server: use this command in the server's channels.";
    return m;
  }
  // Checked here even though the command is hidden by default_member_permissions: server
  // admins can override who sees a command, and /mlpath stats is not hidden at all.
  if (!in.has_member || !(in.member_permissions & (permission_administrator | permission_manage_guild))) {
    m.action = mapped_action::forbidden;
    m.reason = "Community stats are for members with the Manage Server permission.";
    return m;
  }
  m.action = mapped_action::stats;
  return m;
}

mapped map_command(const interaction& in) {
  mapped m = base(in);
  if (in.command_name == "mlpath-stats") return stats_or_forbidden(in, std::move(m));
  if (in.command_name != "mlpath") return ignore("command \"" + in.command_name + "\" is not ours");
  const std::string& sub = in.subcommand;
  if (sub == "stats") return stats_or_forbidden(in, std::move(m));
  m.action = mapped_action::dialog;
  if (sub == "share") {
    // In a DM there is no channel to share into: the engine says so politely.
    if (in_guild(in) && !in.guild_id.empty()) m.action = mapped_action::share;
    else m.input = input::cmd("share");
    return m;
  }
  if (sub.empty()) {
    m.input = input::open();
    return m;
  }
  // start, resume, status, result, back, restart, help, delete, checkin, and any word a
  // newer command definition adds: the engine answers what it does not know.
  if (!plain_word(sub)) return ignore("subcommand \"" + sub + "\" is not one of ours");
  m.input = input::cmd(sub);
  return m;
}

std::vector<std::string> unique_values(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

mapped map_component(const interaction& in) {
  auto token = dialogs::parse_action_token(in.custom_id);
  if (!token) return ignore("custom_id is not one of our tokens");
  mapped m = base(in);
  m.action = mapped_action::dialog;
  m.component = true;
  // In a server our flow messages are ephemeral; a press on a public message (the share
  // card) must never be answered by rewriting that message for everyone.
  if (!in.guild_id.empty() && !(in.message_flags & flag_ephemeral)) m.component = false;
  bool select = in.component_type == 3;

  if (token->kind == input_kind::choose) {
    if (select) {
      if (!token->options.empty()) return ignore("a select's custom_id names an option");
      std::vector<std::string> chosen = unique_values(in.values);
      if (chosen.empty()) return ignore("selection cleared");
      input choice = input::choose(token->question, std::move(chosen));
      choice.round = token->round;
      choice.from_button = true;
      m.input = std::move(choice);
      return m;
    }
    if (token->options.empty()) return ignore("a button without an option");
    m.input = std::move(*token);
    return m;
  }

  // Commands.
  if (select) {
    // "Change an answer" select on long summaries: cmd:edit[:pN]:r<round>, the value is the
    // question id.
    std::vector<std::string> chosen = unique_values(in.values);
    if (chosen.empty()) return ignore("selection cleared");
    token->arg = chosen.front();
    m.input = std::move(*token);
    return m;
  }
  if (token->command == "answer") {
    m.action = mapped_action::open_modal;
    m.question = token->arg;
    m.input = std::move(*token);
    return m;
  }
  if (token->command == "start" && !token->round) {
    // The share card's Start button: a fresh, private start for the presser, attributed to
    // this server; never an update of the public card.
    m.input = input::cmd("start");
    m.component = false;
    return m;
  }
  m.input = std::move(*token);
  return m;
}

mapped map_modal(const interaction& in) {
  auto token = dialogs::parse_action_token(in.custom_id);
  if (!token || token->kind != input_kind::choose || !token->options.empty() || token->question.empty())
    return ignore("modal is not one of ours");
  // Our modal has one text input ("answer"); otherwise the first text field.
  const modal_field* typed = nullptr;
  for (const auto& f : in.fields) {
    if (!f.values.empty() && f.value.empty()) continue;
    if (!typed || f.custom_id == "answer") typed = &f;
    if (f.custom_id == "answer") break;
  }
  input answer = input::typed(typed ? typed->value : std::string());
  answer.question = token->question;
  answer.round = token->round;
  answer.from_button = true;
  mapped m = base(in);
  m.action = mapped_action::dialog;
  // A modal opened from a button carries that message: the answer updates it (type 7).
  m.component = !in.message_id.empty();
  m.input = std::move(answer);
  return m;
}

}  // namespace

mapped map_interaction(const interaction& in) {
  if (in.type == interaction_type::ping) {
    mapped m;
    m.action = mapped_action::pong;
    return m;
  }
  if (in.id.empty() || in.token.empty()) return ignore("no interaction id or token to answer with");
  if (in.user_id.empty()) return ignore("no user");
  if (in.user_is_bot) return ignore("a bot's interaction");
  switch (in.type) {
    case interaction_type::application_command: return map_command(in);
    case interaction_type::message_component: return map_component(in);
    case interaction_type::modal_submit: return map_modal(in);
    case interaction_type::autocomplete: return ignore("autocomplete: /mlpath has no autocompleted options");
    case interaction_type::ping: break;
  }
  return ignore("unsupported interaction type");
}

bool parse_message_create(std::string_view d_json, dm_message& out, std::string_view skip_author) {
  if (d_json.size() > (4u << 20)) return false;
  try {
    namespace od = simdjson::ondemand;
    thread_local od::parser parser;
    // A reused buffer with simdjson's padding: no allocation per message once warm.
    thread_local std::string buffer;
    if (buffer.capacity() < d_json.size() + simdjson::SIMDJSON_PADDING) buffer.reserve(d_json.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(d_json);
    simdjson::padded_string_view padded(buffer.data(), buffer.size(), buffer.capacity());
    od::document doc;
    if (parser.iterate(padded).get(doc)) return false;
    od::object obj;
    if (doc.get_object().get(obj)) return false;
    detail::json_reader r;
    if (!skip_author.empty()) {
      od::object author;
      std::string_view id;
      if (!obj.find_field_unordered("author").get_object().get(author) &&
          !author.find_field_unordered("id").get_string().get(id) && id == skip_author) {
        out = dm_message{};
        out.author_id = std::string(id);
        return true;
      }
      // Anyone else: read the whole message from the start. A fresh iterate() rather than
      // rewind(): after a failed lookup in malformed input (a truncated object) the
      // document's state is not one to rewind from.
      if (parser.iterate(padded).get(doc)) return false;
      if (doc.get_object().get(obj)) return false;
    }
    dm_message m;
    bool has_author = false, has_channel = false;
    bool ok = r.fields(obj, [&](std::string_view key, od::value& v) {
      if (key == "id") return r.id(v, m.id);
      if (key == "channel_id") return r.id(v, m.channel_id, &has_channel);
      if (key == "guild_id") return r.id(v, m.guild_id);
      if (key == "webhook_id") return r.id(v, m.webhook_id);
      if (key == "flags") return r.bits(v, m.flags);
      if (key == "type") return r.integer(v, m.type);
      if (key == "content") return r.text(v, m.content);
      if (key == "author")
        return r.fields(v, [&](std::string_view k, od::value& a) {
          if (k == "id") return r.id(a, m.author_id, &has_author);
          if (k == "bot") return r.boolean(a, m.author_bot);
          return true;
        });
      return true;
    });
    if (!ok || !adapters::at_document_end(doc) || !has_author || !has_channel) return false;
    out = std::move(m);
    return true;
  } catch (...) {
    return false;
  }
}

mapped map_dm(const dm_message& m, std::string_view our_user_id) {
  if (!m.guild_id.empty()) return ignore("a server message, not a DM");
  if (m.author_id.empty()) return ignore("no author");
  if (!our_user_id.empty() && m.author_id == our_user_id) return ignore("our own message");
  if (m.author_bot) return ignore("a bot's message");
  if (!m.webhook_id.empty()) return ignore("a webhook's message");
  // With DIRECT_MESSAGES we also receive our own ephemeral flow messages, with no guild_id.
  if (m.flags & flag_ephemeral) return ignore("an ephemeral message");
  if (m.type != 0 && m.type != 19) return ignore("message type " + std::to_string(m.type) + " is not something typed");
  if (m.content.empty()) return ignore("no text (an attachment or sticker only)");
  mapped out;
  out.action = mapped_action::dialog;
  out.user = {"discord", "", m.author_id};
  out.channel_id = m.channel_id;
  out.input = input::typed(m.content);
  return out;
}

}  // namespace mlpath::discord
