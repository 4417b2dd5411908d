#include "adapters/slack/inbound.hpp"

#include <simdjson.h>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <optional>

#include "adapters/common/json_reader.hpp"
#include "adapters/common/json_util.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::slack {
namespace {

namespace od = simdjson::ondemand;

// The HTTP server caps bodies too; this keeps the (reused) parser's buffers bounded when
// the adapter is fed from elsewhere (Socket Mode frames, tests).
constexpr std::size_t max_body = 4u << 20;
// Ids, timestamps, URLs, tokens: Slack's are far shorter, so a longer one is not Slack.
constexpr std::size_t max_id = 4096;
// Free text (messages, typed answers): longer is cut at a character boundary, not refused,
// because the engine bounds stored text anyway.
constexpr std::size_t max_text = 64u << 10;
constexpr adapters::json_limits limits{"Slack", max_id, max_text};
constexpr std::size_t max_actions = 16;
constexpr std::size_t max_state_values = 256;
constexpr std::size_t max_selected = 256;
constexpr std::size_t max_token_ids = 256;

using dialogs::trim;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// "application/json; charset=utf-8" -> "application/json"
std::string_view media_type(std::string_view content_type) {
  return trim(content_type.substr(0, content_type.find(';')));
}

bool is_form(std::string_view content_type) {
  return iequals(media_type(content_type), "application/x-www-form-urlencoded");
}

// Single pass over the JSON: every object is read once, field by field, so key order in
// the payload does not matter and unknown fields cost only a skip. A value of an
// unexpected JSON type is ignored (Slack's optional fields are sometimes null, and some
// names are strings in one payload and objects in another); only invalid JSON fails.
class json_reader : public adapters::json_reader {
 public:
  explicit json_reader(inbound& in) : adapters::json_reader(limits), in_(in) {}

  // What the pass saw, for classify() to decide the kind afterwards.
  bool has_event_ = false, has_event_type_ = false, has_command_ = false, has_user_id_ = false;
  bool has_actions_ = false, has_view_ = false, has_message_ = false, has_challenge_ = false;
  bool container_ephemeral_ = false;
  std::string container_channel_, channel_object_id_, message_ts_fallback_;
  std::vector<state_value> view_state_;

  bool top(od::object obj) {
    return fields(obj, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "type") ok = id(v, in_.type);
      else if (key == "challenge") ok = id(v, in_.challenge, &has_challenge_);
      else if (key == "team_id") ok = id(v, in_.team_id);
      else if (key == "enterprise_id") ok = id(v, in_.enterprise_id);
      else if (key == "api_app_id") ok = id(v, in_.api_app_id);
      else if (key == "event_id") ok = id(v, in_.event_id);
      else if (key == "event_time") ok = integer(v, in_.event_time);
      else if (key == "event") ok = with_object(v, [&](od::object o) { has_event_ = true; return event(o); });
      // Socket Mode delivers slash commands as JSON objects with the form's field names.
      else if (key == "command") ok = id(v, in_.command, &has_command_);
      else if (key == "text") ok = text(v, in_.text);
      else if (key == "user_id") ok = id(v, in_.user, &has_user_id_);
      else if (key == "channel_id") ok = id(v, in_.channel);
      else if (key == "response_url") ok = id(v, in_.response_url);
      else if (key == "trigger_id") ok = id(v, in_.trigger_id);
      // Interactivity payloads.
      else if (key == "user") ok = id_or_object_id(v, in_.user, &has_user_id_);
      else if (key == "team") ok = team(v);
      else if (key == "enterprise") ok = with_object(v, [&](od::object o) { return enterprise(o); });
      else if (key == "is_enterprise_install") ok = flag(v, in_.enterprise_install);
      else if (key == "authorizations") ok = items(v, [&](od::value& a) { return authorization(a); });
      else if (key == "channel") ok = id_or_object_id(v, channel_object_id_);
      else if (key == "container") ok = with_object(v, [&](od::object o) { return container(o); });
      else if (key == "message") ok = with_object(v, [&](od::object o) { has_message_ = true; return message(o); });
      else if (key == "actions") ok = items(v, [&](od::value& a) { return action(a); }, &has_actions_);
      else if (key == "state") ok = with_object(v, [&](od::object o) { return state(o, in_.state); });
      else if (key == "view") ok = with_object(v, [&](od::object o) { has_view_ = true; return view(o); });
      return ok;
    });
  }

 private:
  inbound& in_;

  // "user": "U1" (rare) or {"id": "U1", ...}
  bool id_or_object_id(od::value& v, std::string& out, bool* present = nullptr) {
    return bare_or_object_id(v, [&](od::value& x) { return id(x, out, present); });
  }

  bool team(od::value& v) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::object) return in_.team_id.empty() ? id(v, in_.team_id) : true;
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return fields(o, [&](std::string_view key, od::value& child) {
      bool ok = true;
      if (key == "id") ok = id(child, in_.team_id);
      else if (key == "enterprise_id" && in_.enterprise_id.empty()) ok = id(child, in_.enterprise_id);
      return ok;
    });
  }

  // A boolean, or its text ("true") as slash command fields carry it.
  bool flag(od::value& v, bool& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t == od::json_type::string) {
      std::optional<std::string_view> s;
      if (!string(v, s)) return false;
      out = s && *s == "true";
      return true;
    }
    return boolean(v, out);
  }

  // Only the first authorization says how the app is installed for this event.
  bool authorization(od::value& v) {
    if (seen_authorization_) return true;
    seen_authorization_ = true;
    return fields(v, [&](std::string_view key, od::value& child) {
      if (key == "is_enterprise_install") return flag(child, in_.enterprise_install);
      if (key == "enterprise_id" && in_.enterprise_id.empty()) return id(child, in_.enterprise_id);
      return true;
    });
  }
  bool seen_authorization_ = false;

  bool enterprise(od::object o) {
    return fields(o, [&](std::string_view key, od::value& child) {
      if (key == "id" && !id(child, in_.enterprise_id)) return false;
      return true;
    });
  }

  bool event(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "type") ok = id(v, in_.event_type, &has_event_type_);
      else if (key == "subtype") ok = id(v, in_.subtype);
      // `user` is an object in user_change / team_join; only a string is the actor.
      else if (key == "user") ok = id(v, in_.user);
      else if (key == "text") ok = text(v, in_.text);
      else if (key == "ts") ok = id(v, in_.ts);
      else if (key == "thread_ts") ok = id(v, in_.thread_ts);
      else if (key == "channel") ok = id(v, in_.channel);
      else if (key == "channel_type") ok = id(v, in_.channel_type);
      else if (key == "bot_id") ok = id(v, in_.bot_id);
      else if (key == "app_id") ok = id(v, in_.app_id);
      else if (key == "bot_profile") ok = with_object(v, [&](od::object p) { return bot_profile(p); });
      else if (key == "tab") ok = id(v, in_.tab);
      else if (key == "tokens") ok = with_object(v, [&](od::object t) { return tokens(t); });
      else if (key == "team_ids") ok = string_list(v, in_.revoked_teams);
      return ok;
    });
  }

  bool bot_profile(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      bool ok = true;
      // A bot message always names its bot; the profile repeats it, so either will do.
      if (key == "id" && in_.bot_id.empty()) ok = id(v, in_.bot_id);
      else if (key == "app_id" && in_.app_id.empty()) ok = id(v, in_.app_id);
      return ok;
    });
  }

  bool string_list(od::value& v, std::vector<std::string>& out) {
    return items(v, [&](od::value& item) {
      std::string s;
      if (!id(item, s)) return false;
      if (out.size() < max_token_ids) out.push_back(std::move(s));
      return true;
    });
  }

  bool tokens(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "bot") ok = string_list(v, in_.revoked_bot_users);
      else if (key == "oauth") ok = string_list(v, in_.revoked_user_tokens);
      return ok;
    });
  }

  bool container(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "type") ok = id(v, in_.container_type);
      else if (key == "message_ts") ok = id(v, in_.message_ts);
      else if (key == "channel_id") ok = id(v, container_channel_);
      else if (key == "is_ephemeral") ok = boolean(v, container_ephemeral_);
      else if (key == "view_id" && in_.view_id.empty()) ok = id(v, in_.view_id);
      return ok;
    });
  }

  bool message(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      if (key == "ts" && !id(v, message_ts_fallback_)) return false;
      return true;
    });
  }

  // Option values wherever a selection can sit: "value", {"value": ...}, or a list of either.
  bool selection(od::value& v, std::vector<std::string>& out, int depth = 0) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t == od::json_type::string) {
      std::string s;
      if (!id(v, s)) return false;
      if (!s.empty() && out.size() < max_selected) out.push_back(std::move(s));
      return true;
    }
    if (t == od::json_type::object) {
      od::object o;
      if (auto e = v.get_object().get(o)) return fail(e);
      return fields(o, [&](std::string_view key, od::value& child) {
        if (key == "value") {
          std::string s;
          if (!id(child, s)) return false;
          if (!s.empty() && out.size() < max_selected) out.push_back(std::move(s));
        }
        return true;
      });
    }
    if (t == od::json_type::array && depth == 0) {
      od::array a;
      if (auto e = v.get_array().get(a)) return fail(e);
      for (auto element : a) {
        od::value item;
        if (auto e = element.get(item)) return fail(e);
        if (!selection(item, out, depth + 1)) return false;
      }
    }
    return true;
  }

  bool action(od::value& v) {
    block_action act;
    bool seen = false;
    if (!fields(v, [&](std::string_view key, od::value& f) {
          bool ok = true;
          if (key == "action_id") ok = id(f, act.action_id);
          else if (key == "block_id") ok = id(f, act.block_id);
          else if (key == "type") ok = id(f, act.type);
          else if (key == "value") ok = id(f, act.value);
          else if (key.substr(0, 9) == "selected_") ok = selection(f, act.selected);
          return ok;
        }, &seen))
      return false;
    if (seen && in_.actions.size() < max_actions) in_.actions.push_back(std::move(act));
    return true;
  }

  // {"values": {block_id: {action_id: {"type": ..., "value"|"selected_*": ...}}}}
  bool state(od::object o, std::vector<state_value>& out) {
    return fields(o, [&](std::string_view key, od::value& values) {
      if (key != "values") return true;
      return fields(values, [&](std::string_view block_id, od::value& elements) {
        if (block_id.size() > max_id) return too_long("a block_id");
        std::string bid(block_id);
        return fields(elements, [&](std::string_view action_id, od::value& element) {
          return state_element(bid, action_id, element, out);
        });
      });
    });
  }

  bool state_element(const std::string& block_id, std::string_view action_id, od::value& element,
                     std::vector<state_value>& out) {
    if (action_id.size() > max_id) return too_long("an action_id");
    state_value sv;
    sv.block_id = block_id;
    sv.action_id = std::string(action_id);
    bool seen = false;
    if (!fields(element, [&](std::string_view key, od::value& v) {
          bool ok = true;
          if (key == "type") {
            ok = id(v, sv.type);
          } else if (key == "value") {
            // Typed text: bounded like a message, not like an id.
            std::string typed;
            ok = text(v, typed);
            if (ok && !typed.empty()) sv.values.push_back(std::move(typed));
          } else if (key.substr(0, 9) == "selected_") {
            ok = selection(v, sv.values);
          }
          return ok;
        }, &seen))
      return false;
    if (seen && out.size() < max_state_values) out.push_back(std::move(sv));
    return true;
  }

  bool view(od::object o) {
    return fields(o, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "id") ok = id(v, in_.view_id);
      else if (key == "callback_id") ok = id(v, in_.callback_id);
      else if (key == "private_metadata") ok = text(v, in_.private_metadata);
      else if (key == "state") ok = with_object(v, [&](od::object s) { return state(s, view_state_); });
      return ok;
    });
  }
};

parse_failure bad(std::string reason) { return {400, std::move(reason)}; }

// Decides the kind once every field is read: the type, else (like Bolt) the shape.
std::variant<inbound, parse_failure> classify(inbound in, json_reader& r, bool interactive_only) {
  const std::string& t = in.type;
  auto as_event = [&]() -> std::variant<inbound, parse_failure> {
    if (!r.has_event_) return bad("event_callback without an event");
    if (!r.has_event_type_) return bad("event without a type");
    in.kind = inbound_kind::event_callback;
    return in;
  };
  auto as_command = [&]() -> std::variant<inbound, parse_failure> {
    if (!r.has_user_id_) return bad("slash command without user_id");
    in.kind = inbound_kind::slash_command;
    in.type = "slash_command";
    return in;
  };
  if (!interactive_only && t == "url_verification") {
    if (!r.has_challenge_) return bad("url_verification without a challenge");
    in.kind = inbound_kind::url_verification;
    return in;
  }
  if (!interactive_only && t == "app_rate_limited") {
    in.kind = inbound_kind::app_rate_limited;
    return in;
  }
  if (!interactive_only && t == "event_callback") return as_event();
  if (t == "block_actions") {
    if (!r.has_actions_) return bad("block_actions without actions");
    in.kind = inbound_kind::block_actions;
    return in;
  }
  if (t == "view_submission" || t == "view_closed") {
    if (!r.has_view_) return bad(t + " without a view");
    in.kind = t == "view_submission" ? inbound_kind::view_submission : inbound_kind::view_closed;
    return in;
  }
  if (t.empty()) {
    if (r.has_event_ && !interactive_only) return as_event();
    if (r.has_command_) return as_command();
    if (r.has_actions_) {
      in.kind = inbound_kind::block_actions;
      return in;
    }
  }
  in.kind = inbound_kind::unsupported;
  return in;
}

std::variant<inbound, parse_failure> parse_json(std::string_view body, bool interactive_only) {
  inbound in;
  json_reader r(in);
  auto failed = adapters::read_json_object(body, [&](od::object obj) -> std::optional<std::string> {
    if (!r.top(obj)) return r.error_;
    return std::nullopt;
  });
  if (failed) return bad(*failed);

  if (!r.container_channel_.empty()) in.channel = r.container_channel_;
  else if (in.channel.empty()) in.channel = r.channel_object_id_;
  if (in.message_ts.empty()) in.message_ts = r.message_ts_fallback_;
  if (in.state.empty()) in.state = std::move(r.view_state_);
  // An ephemeral message is never echoed back in the payload.
  in.ephemeral = r.container_ephemeral_ || (in.container_type == "message" && !r.has_message_);
  in.text = decode_entities(in.text);
  return classify(std::move(in), r, interactive_only);
}

struct form_fields {
  std::optional<std::string> ssl_check, payload, command, text, user_id, team_id, channel_id, response_url,
      trigger_id, enterprise_id, api_app_id, is_enterprise_install;
};

std::optional<form_fields> read_form(std::string_view body, std::string& error) {
  // Boost.URL 1.81's parse_query measures its input with strlen once the grammar has
  // passed: on a view that is not NUL-terminated it reads past the end (found by
  // fuzzing). A terminated copy keeps it inside the body.
  const std::string terminated(body);
  auto query = boost::urls::parse_query(terminated);
  if (!query) {
    error = "the form body is not valid: " + query.error().message();
    return std::nullopt;
  }
  // Form bodies encode spaces as '+' (application/x-www-form-urlencoded), which plain
  // URL query decoding leaves alone.
  boost::urls::encoding_opts opt;
  opt.space_as_plus = true;
  form_fields f;
  for (auto param : *query) {
    std::string key = param.key.decode(opt);
    std::optional<std::string>* slot = nullptr;
    if (key == "ssl_check") slot = &f.ssl_check;
    else if (key == "payload") slot = &f.payload;
    else if (key == "command") slot = &f.command;
    else if (key == "text") slot = &f.text;
    else if (key == "user_id") slot = &f.user_id;
    else if (key == "team_id") slot = &f.team_id;
    else if (key == "channel_id") slot = &f.channel_id;
    else if (key == "response_url") slot = &f.response_url;
    else if (key == "trigger_id") slot = &f.trigger_id;
    else if (key == "enterprise_id") slot = &f.enterprise_id;
    else if (key == "is_enterprise_install") slot = &f.is_enterprise_install;
    else if (key == "api_app_id") slot = &f.api_app_id;
    if (!slot || *slot) continue;  // the first occurrence wins
    *slot = param.has_value ? param.value.decode(opt) : std::string();
  }
  return f;
}

std::variant<inbound, parse_failure> parse_form(std::string_view body) {
  std::string error;
  auto form = read_form(body, error);
  if (!form) return bad(error);
  if (form->ssl_check && *form->ssl_check == "1") {
    inbound in;
    in.kind = inbound_kind::ssl_check;
    in.type = "ssl_check";
    return in;
  }
  if (form->payload) return parse_json(*form->payload, true);
  if (!form->command) return bad("a form body without payload or command");
  if (!form->user_id) return bad("slash command without user_id");
  auto take = [](std::optional<std::string>& from, std::string& to, std::size_t cap) {
    if (from) to = std::move(*from);
    if (to.size() > cap) return false;
    return true;
  };
  inbound in;
  in.kind = inbound_kind::slash_command;
  in.type = "slash_command";
  bool ok = take(form->command, in.command, max_id) && take(form->user_id, in.user, max_id) &&
            take(form->team_id, in.team_id, max_id) && take(form->channel_id, in.channel, max_id) &&
            take(form->response_url, in.response_url, max_id) && take(form->trigger_id, in.trigger_id, max_id) &&
            take(form->enterprise_id, in.enterprise_id, max_id) && take(form->api_app_id, in.api_app_id, max_id);
  if (!ok) return bad("a field is too long to be Slack's");
  in.enterprise_install = form->is_enterprise_install && *form->is_enterprise_install == "true";
  if (form->text) in.text = decode_entities(adapters::utf8_prefix(*form->text, max_text));
  return in;
}

}  // namespace

const char* to_string(inbound_kind k) {
  switch (k) {
    case inbound_kind::url_verification: return "url_verification";
    case inbound_kind::ssl_check: return "ssl_check";
    case inbound_kind::event_callback: return "event_callback";
    case inbound_kind::app_rate_limited: return "app_rate_limited";
    case inbound_kind::slash_command: return "slash_command";
    case inbound_kind::block_actions: return "block_actions";
    case inbound_kind::view_submission: return "view_submission";
    case inbound_kind::view_closed: return "view_closed";
    case inbound_kind::unsupported: return "unsupported";
  }
  return "unsupported";
}

std::string decode_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      std::string_view rest = text.substr(i);
      if (rest.substr(0, 5) == "&amp;") {
        out += '&';
        i += 4;
        continue;
      }
      if (rest.substr(0, 4) == "&lt;") {
        out += '<';
        i += 3;
        continue;
      }
      if (rest.substr(0, 4) == "&gt;") {
        out += '>';
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool is_ssl_check(std::string_view content_type, std::string_view body) {
  if (!is_form(content_type) || body.size() > max_body) return false;
  try {
    std::string error;
    auto form = read_form(body, error);
    return form && form->ssl_check && *form->ssl_check == "1";
  } catch (...) {
    return false;
  }
}

std::variant<inbound, parse_failure> parse_inbound(std::string_view content_type, std::string_view body) {
  std::string_view media = media_type(content_type);
  bool json = iequals(media, "application/json");
  bool form = iequals(media, "application/x-www-form-urlencoded");
  if (!json && !form) return parse_failure{415, "unsupported content type"};
  if (body.size() > max_body) return parse_failure{413, "body too large"};
  try {
    return json ? parse_json(body, false) : parse_form(body);
  } catch (const std::exception& e) {
    // Only allocation can throw here; a request that exhausts memory is refused like a bad one.
    return bad(std::string("could not read the request: ") + e.what());
  }
}

}  // namespace mlpath::slack
