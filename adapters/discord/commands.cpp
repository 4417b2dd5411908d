#include "adapters/discord/commands.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace mlpath::discord {
namespace {

namespace json = boost::json;

std::optional<json::value> parse(std::string_view text) {
  try {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

bool is_null_or_absent(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return !v || v->is_null();
}

// Numbers compare as numbers: 1 and 1.0 are the same minimum.
json::value number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return v;
}

// Localization maps: null, {} and absent are the same.
void copy_localizations(const json::object& from, json::object& to) {
  for (const char* key : {"name_localizations", "description_localizations"}) {
    const json::value* v = from.if_contains(key);
    if (v && v->is_object() && !v->as_object().empty()) to[key] = *v;
  }
}

json::array sorted_numbers(const json::value& v) {
  std::vector<double> n;
  if (v.is_array())
    for (const auto& x : v.as_array())
      if (x.is_number()) n.push_back(number(x).as_double());
  std::sort(n.begin(), n.end());
  n.erase(std::unique(n.begin(), n.end()), n.end());
  json::array out;
  for (double d : n) out.push_back(d);
  return out;
}

json::value option_of(const json::value& v);

json::array options_of(const json::value* v) {
  json::array out;
  if (v && v->is_array())
    for (const auto& o : v->as_array()) out.push_back(option_of(o));
  return out;
}

json::value option_of(const json::value& v) {
  if (!v.is_object()) return v;
  const json::object& o = v.as_object();
  json::object n;
  for (const char* key : {"name", "type", "description"})
    if (const json::value* x = o.if_contains(key)) n[key] = *x;
  std::int64_t type = 0;
  if (const json::value* t = o.if_contains("type"); t && t->is_int64()) type = t->as_int64();
  bool container = type == 1 || type == 2;
  // required: absent means false; subcommands have none at all.
  if (const json::value* r = o.if_contains("required"); r && r->is_bool() && r->as_bool() && !container) n["required"] = true;
  if (const json::value* a = o.if_contains("autocomplete"); a && a->is_bool() && a->as_bool()) n["autocomplete"] = true;
  for (const char* key : {"min_value", "max_value", "min_length", "max_length"})
    if (const json::value* x = o.if_contains(key); x && !x->is_null()) n[key] = number(*x);
  if (const json::value* c = o.if_contains("channel_types"); c && c->is_array() && !c->as_array().empty())
    n["channel_types"] = sorted_numbers(*c);
  if (const json::value* c = o.if_contains("choices"); c && c->is_array() && !c->as_array().empty()) {
    json::array choices;
    for (const auto& ch : c->as_array()) {
      if (!ch.is_object()) continue;
      json::object nc;
      if (const json::value* x = ch.as_object().if_contains("name")) nc["name"] = *x;
      if (const json::value* x = ch.as_object().if_contains("value")) nc["value"] = x->is_number() ? number(*x) : *x;
      copy_localizations(ch.as_object(), nc);
      choices.push_back(std::move(nc));
    }
    n["choices"] = std::move(choices);
  }
  json::array sub = options_of(o.if_contains("options"));
  if (!sub.empty()) n["options"] = std::move(sub);
  copy_localizations(o, n);
  return n;
}

// A command reduced to what defines it, with Discord's defaults filled in.
json::object command_of(const json::object& c) {
  json::object n;
  for (const char* key : {"name", "description"})
    if (const json::value* x = c.if_contains(key)) n[key] = *x;
  const json::value* type = c.if_contains("type");
  n["type"] = type && type->is_number() ? number(*type) : json::value(1.0);
  if (const json::value* p = c.if_contains("default_member_permissions"); p && !p->is_null())
    n["default_member_permissions"] = p->is_string() ? std::string(p->as_string()) : json::serialize(*p);
  if (const json::value* x = c.if_contains("nsfw"); x && x->is_bool() && x->as_bool()) n["nsfw"] = true;
  // Omitted integration_types are stored as [0] (guild install).
  n["integration_types"] = is_null_or_absent(c, "integration_types") ? json::array{0.0} : sorted_numbers(c.at("integration_types"));
  // Omitted contexts stay null, which is not the same as every context.
  if (!is_null_or_absent(c, "contexts")) n["contexts"] = sorted_numbers(c.at("contexts"));
  if (const json::value* h = c.if_contains("handler"); h && !h->is_null()) n["handler"] = number(*h);
  json::array options = options_of(c.if_contains("options"));
  if (!options.empty()) n["options"] = std::move(options);
  copy_localizations(c, n);
  return n;
}

std::optional<std::map<std::string, json::object>> commands_of(std::string_view text) {
  auto v = parse(text);
  if (!v || !v->is_array()) return std::nullopt;
  std::map<std::string, json::object> out;
  for (const auto& c : v->as_array()) {
    if (!c.is_object()) return std::nullopt;
    json::object n = command_of(c.as_object());
    const json::value* name = n.if_contains("name");
    if (!name || !name->is_string()) return std::nullopt;
    std::string key = std::string(name->as_string()) + "#" + json::serialize(n.at("type"));
    if (!out.emplace(std::move(key), std::move(n)).second) return std::nullopt;  // a duplicate
  }
  return out;
}

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool valid_name(std::string_view s) {
  if (s.empty() || utf8_chars(s) > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '\'' ||
           (static_cast<unsigned char>(c) & 0x80);
  });
}

// Discord counts names, descriptions and choice values towards 8000 per command.
std::size_t command_size(const json::value& v) {
  std::size_t n = 0;
  if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) {
      if ((k == "name" || k == "description" || k == "value") && x.is_string()) n += utf8_chars(x.as_string());
      else if (k == "options" || k == "choices") n += command_size(x);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) n += command_size(x);
  }
  return n;
}

void check_options(const json::value* options, const std::string& where, int depth, std::vector<std::string>& problems) {
  if (!options) return;
  if (!options->is_array()) {
    problems.push_back(where + ": options is not an array");
    return;
  }
  const auto& list = options->as_array();
  if (list.size() > 25) problems.push_back(where + ": more than 25 options");
  std::set<std::string> names;
  bool optional_seen = false;
  for (const auto& o : list) {
    if (!o.is_object()) {
      problems.push_back(where + ": an option is not an object");
      continue;
    }
    const auto& obj = o.as_object();
    const json::value* name = obj.if_contains("name");
    const json::value* desc = obj.if_contains("description");
    const json::value* type = obj.if_contains("type");
    std::string n = name && name->is_string() ? std::string(name->as_string()) : std::string();
    std::string at = where + " > " + (n.empty() ? "?" : n);
    if (!valid_name(n)) problems.push_back(at + ": the name must be 1-32 lowercase letters, digits, - or _");
    if (!names.insert(n).second) problems.push_back(at + ": a duplicate option name");
    if (!desc || !desc->is_string() || desc->as_string().empty() || utf8_chars(desc->as_string()) > 100)
      problems.push_back(at + ": the description must have 1-100 characters");
    if (!type || !type->is_int64() || type->as_int64() < 1 || type->as_int64() > 11) {
      problems.push_back(at + ": type must be 1-11");
      continue;
    }
    std::int64_t t = type->as_int64();
    if ((t == 1 || t == 2) && depth > 1) problems.push_back(at + ": subcommands nest at most one group deep");
    if ((t == 1 || t == 2) && obj.contains("required")) problems.push_back(at + ": subcommands take no required");
    bool required = obj.contains("required") && obj.at("required").is_bool() && obj.at("required").as_bool();
    if (t != 1 && t != 2) {
      if (required && optional_seen) problems.push_back(at + ": required options must come first");
      if (!required) optional_seen = true;
    }
    check_options(obj.if_contains("options"), at, depth + 1, problems);
  }
}

}  // namespace

bool commands_match(std::string_view desired_json, std::string_view current_json) {
  try {
    auto desired = commands_of(desired_json);
    auto current = commands_of(current_json);
    if (!desired || !current || desired->size() != current->size()) return false;
    for (const auto& [key, cmd] : *desired) {
      auto it = current->find(key);
      if (it == current->end() || !(it->second == cmd)) return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

std::string commands_for_guild(std::string_view desired) {
  try {
    auto v = parse(desired);
    if (!v || !v->is_array()) return std::string(desired);
    for (auto& c : v->as_array()) {
      if (!c.is_object()) continue;
      c.as_object().erase("contexts");
      c.as_object().erase("integration_types");
    }
    return json::serialize(*v);
  } catch (...) {
    return std::string(desired);
  }
}

std::vector<std::string> check_commands(std::string_view text) {
  std::vector<std::string> problems;
  try {
    auto v = parse(text);
    if (!v || !v->is_array()) return {"the definitions are not a JSON array"};
    std::set<std::string> seen;
    for (const auto& c : v->as_array()) {
      if (!c.is_object()) {
        static const std::string not_object = "a command is not an object";
        problems.push_back(not_object);
        continue;
      }
      const auto& obj = c.as_object();
      const json::value* name = obj.if_contains("name");
      std::string n = name && name->is_string() ? std::string(name->as_string()) : std::string();
      std::string type = obj.contains("type") ? json::serialize(obj.at("type")) : "1";
      // USER and MESSAGE commands (types 2, 3) may have spaces and capitals.
      bool named = type == "1" ? valid_name(n) : !n.empty() && utf8_chars(n) <= 32;
      if (!named) problems.push_back(n + ": the name must be 1-32 lowercase letters, digits, - or _");
      if (!seen.insert(n + "#" + type).second) problems.push_back(n + ": defined twice");
      const json::value* desc = obj.if_contains("description");
      if (type == "1" && (!desc || !desc->is_string() || desc->as_string().empty() || utf8_chars(desc->as_string()) > 100))
        problems.push_back(n + ": the description must have 1-100 characters");
      if (const json::value* p = obj.if_contains("default_member_permissions"); p && !p->is_null()) {
        bool digits = p->is_string() && !p->as_string().empty() &&
                      std::all_of(p->as_string().begin(), p->as_string().end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (!digits) problems.push_back(n + ": default_member_permissions must be a decimal string");
      }
      check_options(obj.if_contains("options"), n, 0, problems);
      if (command_size(c) > 8000) problems.push_back(n + ": over 8000 characters of names, descriptions and values");
    }
  } catch (...) {
    problems.push_back("the definitions could not be read");
  }
  return problems;
}

}  // namespace mlpath::discord
