#pragma once
// Helpers shared by the Discord adapter tests: the fixture corpus in ../shared (with its
// .jsonc files made parseable), signing like Discord does, interaction payloads, and a
// checker for message and modal payloads against Discord's limits.

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "adapters/common/bytes.hpp"
#include "adapters/discord/interaction.hpp"
#include "bot/net/crypto.hpp"
#include "test_support.hpp"

namespace mlpath::test::discord {

inline std::filesystem::path fixtures_dir() { return shared_fixtures("discord"); }

#define MLPATH_REQUIRE_DISCORD_FIXTURES() MLPATH_REQUIRE_FIXTURES("discord")

// JSONC: // and /* */ comments removed outside strings; everything else byte for byte.
inline std::string strip_comments(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < s.size()) out += s[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      if (i < s.size()) out += '\n';
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i += 2;
      while (i + 1 < s.size() && !(s[i] == '*' && s[i + 1] == '/')) ++i;
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

// Beyond comments, Discord's doc skeletons carry `...additionalInteractionFields,` lines
// and trailing commas: dropped here so the shape they show can be parsed too.
inline std::string relax_jsonc(std::string_view s) {
  std::string text = strip_comments(s);
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start + 1);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 3, "...") != 0) out += line;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  // Trailing commas before } or ] (outside strings).
  std::string clean;
  bool in_string = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (in_string) {
      clean += c;
      if (c == '\\' && i + 1 < out.size()) clean += out[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      std::size_t j = i + 1;
      while (j < out.size() && (out[j] == ' ' || out[j] == '\n' || out[j] == '\r' || out[j] == '\t')) ++j;
      if (j < out.size() && (out[j] == '}' || out[j] == ']')) continue;
    }
    clean += c;
  }
  return clean;
}

inline std::string fixture_raw(const std::string& relative) { return read_text(fixtures_dir() / relative); }
// A fixture as parseable JSON (.jsonc comments stripped).
inline std::string fixture(const std::string& relative) {
  std::string raw = fixture_raw(relative);
  return relative.size() > 6 && relative.substr(relative.size() - 6) == ".jsonc" ? strip_comments(raw) : raw;
}

inline mlpath::discord::interaction parse_ok(std::string_view body) {
  auto r = mlpath::discord::parse_interaction(body);
  if (auto* f = std::get_if<mlpath::discord::parse_failure>(&r)) FAIL("parse failed: " << f->status << " " << f->reason);
  return std::get<mlpath::discord::interaction>(r);
}

inline mlpath::discord::interaction parse_json(const boost::json::value& v) { return parse_ok(boost::json::serialize(v)); }

// Discord counts characters; UTF-16 code units are the strictest way to count them.
inline std::size_t units(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    n += len == 4 ? 2 : 1;
    i += len;
  }
  return n;
}

inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// Every limit mlpath promises for a message payload (interaction response data, Create
// Message body) or a modal. Empty `problems` means Discord would accept it.
class payload_checker {
 public:
  std::vector<std::string> problems;

  void message(const boost::json::object& m) {
    const auto* content = m.if_contains("content");
    const auto* embeds = m.if_contains("embeds");
    if (!content || !content->is_string()) problem("no content string");
    else text(content->as_string(), 2000, "content", true);
    if (!embeds || !embeds->is_array()) problem("no embeds array");
    bool has_embed = embeds && embeds->is_array() && !embeds->as_array().empty();
    if (content && content->is_string() && content->as_string().empty() && !has_embed) problem("an empty message");
    if (embeds && embeds->is_array()) {
      if (embeds->as_array().size() > 10) problem("more than 10 embeds");
      std::size_t total = 0;
      for (const auto& e : embeds->as_array()) total += embed(e.as_object());
      if (total > 6000) problem("embeds total " + std::to_string(total) + " > 6000");
    }
    const auto* am = m.if_contains("allowed_mentions");
    if (!am || !am->is_object() || am->as_object().at("parse") != boost::json::array{}) problem("allowed_mentions must parse nothing");
    if (const auto* flags = m.if_contains("flags"))
      if (!flags->is_number() || (flags->to_number<std::int64_t>() & ~std::int64_t{64 | 4 | 4096}) != 0) problem("unexpected flags");
    const auto* rows = m.if_contains("components");
    if (!rows || !rows->is_array()) {
      problem("no components array");
      return;
    }
    if (rows->as_array().size() > 5) problem("more than 5 action rows");
    std::set<std::string> ids;
    for (const auto& r : rows->as_array()) row(r.as_object(), ids);
  }

  void modal(const boost::json::object& m) {
    id(m, "modal", ids_);
    const auto* title = m.if_contains("title");
    if (!title || !title->is_string() || title->as_string().empty()) problem("modal without a title");
    else text(title->as_string(), 45, "modal title");
    const auto& rows = m.at("components").as_array();
    if (rows.empty() || rows.size() > 5) problem("a modal needs 1-5 components");
    for (const auto& r : rows) {
      const auto& row = r.as_object();
      if (row.at("type") != 1) {
        problem("modal component is not an action row");
        continue;
      }
      const auto& inner = row.at("components").as_array();
      if (inner.size() != 1) problem("a modal row holds exactly one input");
      for (const auto& c : inner) text_input(c.as_object());
    }
  }

 private:
  std::set<std::string> ids_;

  void problem(std::string p) { problems.push_back(std::move(p)); }

  void text(std::string_view s, std::size_t max, const std::string& what, bool may_be_empty = false) {
    if (!valid_utf8(s)) problem(what + " is not valid UTF-8");
    if (!may_be_empty && s.empty()) problem(what + " is empty");
    if (units(s) > max) problem(what + " too long (" + std::to_string(units(s)) + " > " + std::to_string(max) + ")");
  }

  void id(const boost::json::object& o, const std::string& what, std::set<std::string>& ids) {
    const auto* v = o.if_contains("custom_id");
    if (!v || !v->is_string()) {
      problem(what + " without a custom_id");
      return;
    }
    std::string s(v->as_string());
    text(s, 100, what + " custom_id");
    if (!ids.insert(s).second) problem("duplicate custom_id " + s);
  }

  std::size_t embed(const boost::json::object& e) {
    std::size_t total = 0;
    auto field = [&](const char* key, std::size_t max) {
      if (const auto* v = e.if_contains(key)) {
        text(v->as_string(), max, std::string("embed ") + key);
        total += units(v->as_string());
      }
    };
    field("title", 256);
    field("description", 4096);
    if (const auto* f = e.if_contains("footer")) {
      text(f->at("text").as_string(), 2048, "embed footer");
      total += units(f->at("text").as_string());
    }
    if (const auto* fs = e.if_contains("fields")) {
      if (fs->as_array().size() > 25) problem("more than 25 fields");
      for (const auto& f : fs->as_array()) {
        text(f.at("name").as_string(), 256, "field name");
        text(f.at("value").as_string(), 1024, "field value");
        total += units(f.at("name").as_string()) + units(f.at("value").as_string());
      }
    }
    if (!e.contains("title") && !e.contains("description") && !e.contains("fields")) problem("an empty embed");
    return total;
  }

  void row(const boost::json::object& r, std::set<std::string>& ids) {
    if (r.at("type") != 1) {
      problem("top-level component is not an action row");
      return;
    }
    const auto& cs = r.at("components").as_array();
    if (cs.empty() || cs.size() > 5) problem("an action row with " + std::to_string(cs.size()) + " components");
    bool select = false;
    for (const auto& c : cs) select = select || c.at("type") == 3;
    if (select && cs.size() != 1) problem("a select shares its row");
    for (const auto& c : cs) {
      const auto& o = c.as_object();
      if (o.at("type") == 2) button(o, ids);
      else if (o.at("type") == 3) string_select(o, ids);
      else problem("unexpected component type " + boost::json::serialize(o.at("type")));
    }
  }

  void button(const boost::json::object& b, std::set<std::string>& ids) {
    auto style = b.at("style").as_int64();
    if (style < 1 || style > 5) problem("bad button style");
    if (style == 5) {
      if (b.contains("custom_id")) problem("a link button with a custom_id");
    } else {
      id(b, "button", ids);
    }
    text(b.at("label").as_string(), 80, "button label");
  }

  void string_select(const boost::json::object& s, std::set<std::string>& ids) {
    id(s, "select", ids);
    const auto& options = s.at("options").as_array();
    if (options.empty() || options.size() > 25) problem("a select with " + std::to_string(options.size()) + " options");
    std::set<std::string> values;
    std::int64_t defaults = 0;
    for (const auto& o : options) {
      text(o.at("label").as_string(), 100, "option label");
      text(o.at("value").as_string(), 100, "option value");
      if (!values.insert(std::string(o.at("value").as_string())).second) problem("duplicate option value");
      if (o.as_object().contains("default") && o.at("default").as_bool()) ++defaults;
    }
    auto min = s.at("min_values").as_int64(), max = s.at("max_values").as_int64();
    if (min < 0 || max < 1 || min > max || max > static_cast<std::int64_t>(options.size()) || max > 25)
      problem("select min/max out of range");
    if (defaults > max) problem("more defaults than max_values");
    if (const auto* p = s.if_contains("placeholder")) text(p->as_string(), 150, "placeholder");
  }

  void text_input(const boost::json::object& t) {
    if (t.at("type") != 4) problem("modal input is not a text input");
    id(t, "text input", ids_);
    text(t.at("label").as_string(), 45, "text input label");
    auto style = t.at("style").as_int64();
    if (style != 1 && style != 2) problem("bad text input style");
    auto max = t.at("max_length").as_int64();
    if (max < 1 || max > 4000) problem("max_length out of range");
    if (const auto* min = t.if_contains("min_length"))
      if (min->as_int64() < 0 || min->as_int64() > max) problem("min_length out of range");
    if (const auto* v = t.if_contains("value"))
      if (static_cast<std::int64_t>(units(v->as_string())) > max) problem("value longer than max_length");
    if (const auto* p = t.if_contains("placeholder")) text(p->as_string(), 100, "text input placeholder");
  }
};

inline std::vector<std::string> check_message(const boost::json::object& m) {
  payload_checker c;
  c.message(m);
  return c.problems;
}

inline std::vector<std::string> check_modal(const boost::json::object& m) {
  payload_checker c;
  c.modal(m);
  return c.problems;
}

// Every custom_id in a message, with the component type it sits on (2 button, 3 select).
inline std::vector<std::pair<std::string, int>> custom_ids(const boost::json::object& m) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& r : m.at("components").as_array())
    for (const auto& c : r.at("components").as_array())
      if (const auto* id = c.as_object().if_contains("custom_id"))
        out.emplace_back(std::string(id->as_string()), static_cast<int>(c.at("type").as_int64()));
  return out;
}

// An interaction body as Discord sends it: in a guild (member) or in the bot's DM (user).
struct interaction_builder {
  std::string user_id = "53908232506183680";
  std::string guild_id = "290926798626357999";  // "" = DM
  std::string permissions = "2147483647";
  std::uint64_t message_flags = 64;

  boost::json::object base(int type) const {
    boost::json::object o{{"id", "846462639134605312"},
                          {"application_id", "290926444748734465"},
                          {"type", type},
                          {"token", "A_UNIQUE_TOKEN"},
                          {"version", 1},
                          {"locale", "en-US"},
                          {"channel_id", guild_id.empty() ? "319674150115610528" : "645027906669510667"}};
    boost::json::object user{{"id", user_id}, {"username", "mason"}, {"discriminator", "0"}, {"global_name", "Mason"}};
    if (guild_id.empty()) {
      o["context"] = 1;
      o["user"] = user;
    } else {
      o["context"] = 0;
      o["guild_id"] = guild_id;
      o["member"] = boost::json::object{{"user", user}, {"permissions", permissions}, {"roles", boost::json::array{}}};
    }
    return o;
  }

  boost::json::object command(const std::string& sub, const std::string& name = "mlpath") const {
    auto o = base(2);
    boost::json::object data{{"id", "771825006014889984"}, {"name", name}, {"type", 1}};
    if (!sub.empty()) data["options"] = boost::json::array{boost::json::object{{"type", 1}, {"name", sub}}};
    o["data"] = std::move(data);
    return o;
  }

  boost::json::object component(const std::string& custom_id, int component_type = 2,
                                std::vector<std::string> values = {}) const {
    auto o = base(3);
    boost::json::object data{{"custom_id", custom_id}, {"component_type", component_type}};
    if (component_type == 3) {
      boost::json::array v;
      for (auto& s : values) v.emplace_back(s);
      data["values"] = std::move(v);
    }
    o["data"] = std::move(data);
    o["message"] = boost::json::object{{"id", "844397162624450620"}, {"flags", message_flags}, {"content", "q"}};
    return o;
  }

  // Legacy (action row) or current (Label) modal layout.
  boost::json::object modal(const std::string& custom_id, const std::string& value, bool label_layout,
                            bool from_message = true) const {
    auto o = base(5);
    boost::json::object input{{"type", 4}, {"custom_id", "answer"}, {"value", value}};
    boost::json::array components;
    if (label_layout) components.push_back(boost::json::object{{"type", 18}, {"id", 1}, {"component", input}});
    else components.push_back(boost::json::object{{"type", 1}, {"components", boost::json::array{input}}});
    o["data"] = boost::json::object{{"custom_id", custom_id}, {"components", std::move(components)}};
    if (from_message) o["message"] = boost::json::object{{"id", "844397162624450620"}, {"flags", message_flags}};
    return o;
  }
};

// Signs like Discord: Ed25519 over timestamp + body, hex.
struct signer {
  net::ed25519_key_pair keys = net::ed25519_keypair();
  std::string public_key_hex() const {
    return adapters::to_hex(reinterpret_cast<const unsigned char*>(keys.public_key.data()), keys.public_key.size());
  }
  std::string sign(std::string_view timestamp, std::string_view body) const {
    std::string message = std::string(timestamp) + std::string(body);
    std::string sig = net::ed25519_sign(keys.private_key, message);
    return adapters::to_hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  }
};

}  // namespace mlpath::test::discord
