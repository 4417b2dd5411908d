#include "adapters/discord/interaction.hpp"

#include <simdjson.h>

#include "adapters/common/bytes.hpp"
#include "adapters/common/json_util.hpp"
#include "adapters/discord/json_read.hpp"

namespace mlpath::discord {
namespace {

using namespace detail;

// The HTTP server caps bodies too; this keeps the (reused) parser's buffers bounded when
// the adapter is fed from elsewhere (gateway INTERACTION_CREATE, tests).
constexpr std::size_t max_body = 4u << 20;
constexpr std::size_t max_options = 25;   // Discord's own limit per level
constexpr std::size_t max_values = 25;    // select values
constexpr std::size_t max_fields = 25;    // modal fields (Discord allows 5 top-level)
constexpr int max_depth = 6;              // nested options / components

struct option_node {
  int type = 0;
  std::string name;
  std::string value;
  std::vector<option_node> children;
};

struct user_fields {
  std::string id;
  std::string username;
  bool bot = false;
};

class interaction_reader : public json_reader {
 public:
  explicit interaction_reader(interaction& in) : in_(in) {}

  bool has_type_ = false;
  bool has_event_ = false;
  bool has_member_user_ = false;
  user_fields member_user_, user_;
  std::string channel_object_id_;
  std::vector<option_node> options_;
  std::int64_t type_ = 0;

  bool top(od::object obj) {
    return fields(obj, [&](std::string_view key, od::value& v) {
      if (key == "type") return integer(v, type_, &has_type_);
      if (key == "id") return id(v, in_.id);
      if (key == "application_id") return id(v, in_.application_id);
      if (key == "token") return id(v, in_.token);
      if (key == "guild_id") return id(v, in_.guild_id);
      if (key == "channel_id") return id(v, in_.channel_id);
      if (key == "channel") return fields(v, [&](std::string_view k, od::value& c) {
          return k == "id" ? id(c, channel_object_id_) : true;
        });
      if (key == "context") return integer(v, in_.context);
      if (key == "locale") return id(v, in_.locale);
      if (key == "member") return fields(v, [&](std::string_view k, od::value& m) { return member(k, m); }, &in_.has_member);
      if (key == "user") return user(v, user_);
      if (key == "data") return fields(v, [&](std::string_view k, od::value& d) { return data(k, d); });
      if (key == "message") return fields(v, [&](std::string_view k, od::value& m) { return message(k, m); });
      // The Webhook Events URL's payloads ({"type":1,"event":{...}}) look like a PING
      // without this: they are not interactions.
      if (key == "event") {
        has_event_ = true;
        return true;
      }
      return true;
    });
  }

 private:
  interaction& in_;

  bool user(od::value& v, user_fields& out) {
    return fields(v, [&](std::string_view k, od::value& u) {
      if (k == "id") return id(u, out.id);
      if (k == "username") return text(u, out.username, 256);
      if (k == "bot") return boolean(u, out.bot);
      return true;
    });
  }

  bool member(std::string_view k, od::value& v) {
    if (k == "user") {
      bool object = false;
      if (!fields(v, [&](std::string_view uk, od::value& u) {
            if (uk == "id") return id(u, member_user_.id);
            if (uk == "username") return text(u, member_user_.username, 256);
            if (uk == "bot") return boolean(u, member_user_.bot);
            return true;
          }, &object))
        return false;
      has_member_user_ = has_member_user_ || object;
      return true;
    }
    if (k == "permissions") {
      std::optional<std::string_view> s;
      if (!string(v, s)) return false;
      if (s) in_.member_permissions = parse_permissions(*s);
      return true;
    }
    return true;
  }

  bool message(std::string_view k, od::value& v) {
    if (k == "id") return id(v, in_.message_id);
    if (k == "flags") return bits(v, in_.message_flags);
    return true;
  }

  bool data(std::string_view k, od::value& v) {
    if (k == "name") return id(v, in_.command_name);
    if (k == "options") return option_list(v, options_, 0);
    if (k == "custom_id") return id(v, in_.custom_id);
    if (k == "component_type") return integer(v, in_.component_type);
    if (k == "values") return string_values(v, in_.values);
    if (k == "components") return component_list(v, 0);
    return true;
  }

  bool string_values(od::value& v, std::vector<std::string>& out) {
    return items(v, [&](od::value& item) {
      std::string s;
      bool present = false;
      if (!id(item, s, &present)) return false;
      if (present && out.size() < max_values) out.push_back(std::move(s));
      return true;
    });
  }

  bool option_list(od::value& v, std::vector<option_node>& out, int depth) {
    if (depth >= max_depth) return true;
    return items(v, [&](od::value& item) {
      option_node node;
      bool object = false;
      if (!fields(item, [&](std::string_view k, od::value& o) {
            if (k == "type") return integer(o, node.type);
            if (k == "name") return id(o, node.name);
            if (k == "value") return scalar_text(o, node.value);
            if (k == "options") return option_list(o, node.children, depth + 1);
            return true;
          }, &object))
        return false;
      if (object && out.size() < max_options) out.push_back(std::move(node));
      return true;
    });
  }

  // Modal submissions: action rows (type 1) holding inputs, or labels (type 18) holding
  // one `component`. Any element with a custom_id is an input; text displays have none.
  bool component_list(od::value& v, int depth) {
    if (depth >= max_depth) return true;
    return items(v, [&](od::value& item) { return component(item, depth); });
  }

  bool component(od::value& v, int depth) {
    modal_field f;
    bool has_value = false, has_values = false;
    if (!fields(v, [&](std::string_view k, od::value& c) {
          if (k == "custom_id") return id(c, f.custom_id);
          if (k == "value") {
            od::json_type t{};
            if (!type_of(c, t)) return false;
            has_value = has_value || t == od::json_type::string;
            return text(c, f.value);
          }
          if (k == "values") {
            has_values = true;
            return string_values(c, f.values);
          }
          if (k == "components") return component_list(c, depth + 1);
          if (k == "component") return component(c, depth + 1);
          return true;
        }))
      return false;
    if (!f.custom_id.empty() && (has_value || has_values) && in_.fields.size() < max_fields)
      in_.fields.push_back(std::move(f));
    return true;
  }
};

parse_failure bad(std::string reason) { return {400, std::move(reason)}; }

// A subcommand (type 1), possibly inside a group (type 2), is what the user chose; its own
// options are the arguments.
void flatten_options(interaction& in, const std::vector<option_node>& options) {
  for (const auto& o : options) {
    if (o.type == 1 || o.type == 2) {
      if (!in.subcommand.empty()) continue;  // only the first one counts
      if (o.type == 2) {
        // group: "group sub"
        for (const auto& sub : o.children) {
          if (sub.type != 1) continue;
          in.subcommand = o.name + " " + sub.name;
          for (const auto& arg : sub.children)
            if (arg.type != 1 && arg.type != 2) in.options.emplace_back(arg.name, arg.value);
          break;
        }
        continue;
      }
      in.subcommand = o.name;
      for (const auto& arg : o.children)
        if (arg.type != 1 && arg.type != 2) in.options.emplace_back(arg.name, arg.value);
    } else {
      in.options.emplace_back(o.name, o.value);
    }
  }
}

std::variant<interaction, parse_failure> parse(std::string_view body) {
  interaction in;
  interaction_reader r(in);
  auto failed = adapters::read_json_object(body, [&](od::object obj) -> std::optional<std::string> {
    if (!r.top(obj)) return r.error_;
    return std::nullopt;
  });
  if (failed) return bad(*failed);

  if (r.has_event_ || (r.has_type_ && r.type_ == 0))
    return parse_failure{204, "a Webhook Events payload, not an interaction: acknowledged and ignored"};
  if (!r.has_type_) return bad("an interaction without a type");
  if (r.type_ < 1 || r.type_ > 5) return bad("unsupported interaction type " + std::to_string(r.type_));
  in.type = static_cast<interaction_type>(r.type_);

  // "member is sent when the interaction is invoked in a guild, and user is sent when
  // invoked in a DM".
  const user_fields& who = r.has_member_user_ ? r.member_user_ : r.user_;
  in.user_id = who.id;
  in.username = who.username;
  in.user_is_bot = who.bot;
  if (in.channel_id.empty()) in.channel_id = r.channel_object_id_;
  flatten_options(in, r.options_);
  return in;
}

}  // namespace

const char* to_string(verify_result r) {
  switch (r) {
    case verify_result::ok: return "ok";
    case verify_result::missing_headers: return "missing_headers";
    case verify_result::malformed: return "malformed";
    case verify_result::bad_signature: return "bad_signature";
  }
  return "bad_signature";
}

verify_result verify_interaction(const adapters::crypto_primitives& crypto, std::string_view public_key_hex, std::string_view signature_hex,
                                 std::string_view timestamp, std::string_view body) {
  if (signature_hex.empty() || timestamp.empty()) return verify_result::missing_headers;
  // Exact lengths before decoding: a decoder that stops at the first bad character (as
  // Node's Buffer.from does) would accept a damaged signature's prefix.
  if (public_key_hex.size() != 64 || signature_hex.size() != 128) return verify_result::malformed;
  auto key = adapters::from_hex(public_key_hex);
  auto sig = adapters::from_hex(signature_hex);
  if (!key || !sig) return verify_result::malformed;
  std::string message;
  try {
    message.reserve(timestamp.size() + body.size());
    message.append(timestamp);
    message.append(body);
  } catch (...) {
    return verify_result::malformed;
  }
  return crypto.ed25519_verify(*key, *sig, message) ? verify_result::ok : verify_result::bad_signature;
}

std::variant<interaction, parse_failure> parse_interaction(std::string_view body) {
  if (body.size() > max_body) return parse_failure{413, "body too large"};
  try {
    return parse(body);
  } catch (const std::exception& e) {
    // Only allocation can throw here; a request that exhausts memory is refused like a bad one.
    return bad(std::string("could not read the interaction: ") + e.what());
  }
}

}  // namespace mlpath::discord
