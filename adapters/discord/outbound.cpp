#include "adapters/discord/outbound.hpp"

#include <boost/json.hpp>

#include "adapters/common/json_fields.hpp"
#include "adapters/common/overloaded.hpp"
#include "adapters/discord/components.hpp"

namespace mlpath::discord {
namespace {

namespace json = boost::json;
using adapters::overloaded;
using adapters::string_field;
using adapters::object_field;
using adapters::array_field;

// Discord's 6000-character budget counts the text of every embed in a message. Bytes
// are counted, which is never less than characters.
std::size_t text_size(const json::value& v) {
  if (v.is_string()) return v.as_string().size();
  std::size_t n = 0;
  if (v.is_object())
    for (const auto& [k, x] : v.as_object())
      if (k != "url" && k != "color" && k != "type") n += text_size(x);
  if (v.is_array())
    for (const auto& x : v.as_array()) n += text_size(x);
  return n;
}

}  // namespace

const char* kind_of(const outbound& m) {
  return std::visit(overloaded{
                        [](const create_message&) { return "discord.post"; },
                        [](const followup&) { return "discord.followup"; },
                        [](const interaction_callback&) { return "discord.callback"; },
                        [](const edit_original&) { return "discord.edit_original"; },
                    },
                    m);
}

std::string encode(const outbound& m) {
  json::object o = std::visit(
      overloaded{
          [](const create_message& x) { return json::object{{"channel", x.channel}, {"payload", x.payload}}; },
          [](const followup& x) { return json::object{{"token", x.token}, {"payload", x.payload}}; },
          [](const interaction_callback& x) {
            return json::object{{"interaction_id", x.interaction_id}, {"token", x.token}, {"payload", x.payload}};
          },
          [](const edit_original& x) { return json::object{{"token", x.token}, {"payload", x.payload}}; },
      },
      m);
  return json::serialize(o);
}

std::optional<outbound> decode(std::string_view kind, std::string_view body) {
  std::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  const json::object* payload = object_field(o, "payload");
  if (!payload) return std::nullopt;
  if (kind == "discord.post") return create_message{string_field(o, "channel"), *payload};
  if (kind == "discord.followup") return followup{string_field(o, "token"), *payload};
  if (kind == "discord.callback")
    return interaction_callback{string_field(o, "interaction_id"), string_field(o, "token"), *payload};
  if (kind == "discord.edit_original") return edit_original{string_field(o, "token"), *payload};
  return std::nullopt;
}

json::object callback(callback_type type, json::object data) {
  return json::object{{"type", static_cast<int>(type)}, {"data", std::move(data)}};
}

json::object private_note(std::string_view text) {
  return callback(channel_message, json::object{{"content", text}, {"flags", flag_ephemeral}});
}

std::vector<json::object> merge(std::vector<json::object> parts) {
  std::vector<json::object> out;
  for (auto& p : parts) {
    if (!out.empty()) {
      json::object& a = out.back();
      bool a_has_components = !array_field(a, "components").empty();
      std::string ca = string_field(a, "content"), cb = string_field(p, "content");
      std::string content = ca.empty() ? cb : cb.empty() ? ca : ca + "\n\n" + cb;
      json::array embeds = array_field(a, "embeds");
      for (auto& e : array_field(p, "embeds")) embeds.push_back(e);
      if (!a_has_components && adapters::integer_field(a, "flags") == adapters::integer_field(p, "flags") && content.size() <= 2000 && embeds.size() <= 10 &&
          text_size(embeds) <= 6000) {
        if (!content.empty()) a["content"] = content;
        if (!embeds.empty()) a["embeds"] = embeds;
        if (p.contains("components")) a["components"] = p.at("components");
        continue;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

interaction_response respond(const interaction& in, const mapped& m, const std::vector<dialogs::reply>& replies) {
  bool update_in_place = m.component || (in.type == interaction_type::modal_submit && !in.message_id.empty());
  bool changed = false;
  for (const auto& r : replies) changed = changed || dialogs::changes_state(r);
  std::vector<json::object> parts;
  std::optional<json::object> cb;
  for (const auto& r : replies) {
    if (const auto* a = std::get_if<dialogs::answered_reply>(&r)) {
      // A pressed message becomes the record of its answer followed by what comes next.
      if (update_in_place) parts.push_back(render_answered(*a, m.ephemeral));
      continue;
    }
    if (const auto* q = std::get_if<dialogs::question_reply>(&r);
        q && m.action == mapped_action::open_modal && q->question == m.question) {
      cb = callback(modal, render_text_modal(*q));
      continue;
    }
    for (auto& p : render_reply(r, m.ephemeral)) parts.push_back(std::move(p));
  }
  parts = merge(std::move(parts));
  interaction_response out;
  if (cb) {
    out.callback = std::move(*cb);
  } else {
    if (parts.empty()) parts.push_back(json::object{{"content", "Okay."}});
    json::object first = std::move(parts.front());
    parts.erase(parts.begin());
    callback_type type = update_in_place && changed ? update_message : channel_message;
    if (type == channel_message && (m.ephemeral || (m.component && !changed))) first["flags"] = flag_ephemeral;
    out.callback = callback(type, std::move(first));
  }
  out.followups = std::move(parts);
  return out;
}

namespace {

bool updates_in_place(const interaction& in, const mapped& m) {
  return m.component || (in.type == interaction_type::modal_submit && !in.message_id.empty());
}

}  // namespace

json::object deferred_callback(const interaction& in, const mapped& m) {
  if (updates_in_place(in, m)) return json::object{{"type", static_cast<int>(deferred_update)}};
  json::object data;
  if (m.ephemeral) data["flags"] = flag_ephemeral;
  return json::object{{"type", static_cast<int>(deferred_message)}, {"data", std::move(data)}};
}

std::vector<outbound> after_deferral(const interaction& in, const mapped& m, interaction_response r) {
  std::vector<outbound> out;
  auto type = adapters::integer_field(r.callback, "type");
  json::object data;
  if (const json::object* d = object_field(r.callback, "data")) data = *d;
  if (type == modal) {
    // A modal can only be the first answer to an interaction.
    out.push_back(followup{in.token, json::object{{"content", "Sorry, that took me too long. Please press the button "
                                                               "again to open the form."},
                                                  {"flags", flag_ephemeral}}});
  } else if (updates_in_place(in, m) && type == channel_message) {
    // A press that changed nothing gets its note beside the message, not instead of it.
    out.push_back(followup{in.token, std::move(data)});
  } else {
    data.erase("flags");  // fixed by the deferred callback; an edit cannot change it
    out.push_back(edit_original{in.token, std::move(data)});
  }
  for (auto& f : r.followups) out.push_back(followup{in.token, std::move(f)});
  return out;
}

std::vector<json::object> channel_messages(const std::vector<dialogs::reply>& replies) {
  std::vector<json::object> parts;
  for (const auto& r : replies) {
    if (std::holds_alternative<dialogs::answered_reply>(r)) continue;
    for (auto& p : render_reply(r, false)) parts.push_back(std::move(p));
  }
  return merge(std::move(parts));
}

}  // namespace mlpath::discord
