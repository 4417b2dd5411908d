#pragma once
// Helpers shared by the Slack adapter tests: the fixture corpus in ../shared, form
// encoding as Slack does it, and a checker for Block Kit messages against Slack's limits.

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "adapters/slack/inbound.hpp"
#include "test_support.hpp"

namespace mlpath::test::slack {

inline std::filesystem::path fixtures_dir() { return shared_fixtures("slack"); }

#define MLPATH_REQUIRE_SLACK_FIXTURES() MLPATH_REQUIRE_FIXTURES("slack")

inline std::string fixture(const std::string& relative) { return read_text(fixtures_dir() / relative); }

// application/x-www-form-urlencoded value encoding (spaces as %20, as Python's quote does).
inline std::string form_encode(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

inline std::string payload_form(std::string_view json_text) { return "payload=" + form_encode(json_text); }

constexpr const char* json_type = "application/json";
constexpr const char* form_type = "application/x-www-form-urlencoded";

inline mlpath::slack::inbound parse_ok(std::string_view content_type, std::string_view body) {
  auto r = mlpath::slack::parse_inbound(content_type, body);
  if (auto* f = std::get_if<mlpath::slack::parse_failure>(&r)) FAIL("parse failed: " << f->status << " " << f->reason);
  return std::get<mlpath::slack::inbound>(r);
}

inline mlpath::slack::inbound parse_payload(const boost::json::value& payload) {
  return parse_ok(form_type, payload_form(boost::json::serialize(payload)));
}

// Slack counts characters; UTF-16 code units are the strictest way to count them.
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

// Every limit mlpath promises for a message (chat.postMessage body) or a modal view.
// Returns the problems found; empty means the payload is within Slack's limits.
class block_checker {
 public:
  explicit block_checker(std::size_t max_blocks = 50) : max_blocks_(max_blocks) {}

  std::vector<std::string> problems;

  void message(const boost::json::object& m) {
    const auto* text = m.if_contains("text");
    if (!text || !text->is_string() || text->as_string().empty()) problem("message without a text fallback");
    else string_check(text->as_string(), 40000, "fallback text");
    blocks(m);
  }

  void blocks(const boost::json::object& m) {
    const auto* blocks = m.if_contains("blocks");
    if (!blocks || !blocks->is_array()) {
      problem("no blocks array");
      return;
    }
    const auto& list = blocks->as_array();
    if (list.empty()) problem("empty blocks");
    if (list.size() > max_blocks_) problem("too many blocks: " + std::to_string(list.size()));
    std::set<std::string> block_ids;
    for (const auto& b : list) block(b.as_object(), block_ids);
  }

 private:
  std::size_t max_blocks_;

  void problem(std::string p) { problems.push_back(std::move(p)); }

  void string_check(std::string_view s, std::size_t max, const std::string& what) {
    if (!valid_utf8(s)) problem(what + " is not valid UTF-8");
    if (units(s) > max) problem(what + " too long (" + std::to_string(units(s)) + " > " + std::to_string(max) + ")");
  }

  void text_object(const boost::json::value& v, std::size_t max, const std::string& what, bool plain_only = false) {
    if (!v.is_object()) {
      problem(what + " is not a text object");
      return;
    }
    const auto& o = v.as_object();
    const auto* type = o.if_contains("type");
    const auto* text = o.if_contains("text");
    if (!type || !type->is_string() || (type->as_string() != "plain_text" && type->as_string() != "mrkdwn")) {
      problem(what + " has no valid type");
      return;
    }
    if (plain_only && type->as_string() != "plain_text") problem(what + " must be plain_text");
    if (!text || !text->is_string() || text->as_string().empty()) {
      problem(what + " is empty");
      return;
    }
    std::string_view t = text->as_string();
    string_check(t, max, what);
    if (type->as_string() == "mrkdwn") mrkdwn_check(t, what);
  }

  // Raw '<' appears only as our own links (<https://...|label>); '&' only as an entity.
  void mrkdwn_check(std::string_view t, const std::string& what) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '<') {
        auto close = t.find('>', i);
        std::string_view inner = t.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1);
        if (close == std::string_view::npos || inner.substr(0, 4) != "http" || inner.find('<') != std::string_view::npos)
          problem(what + " has an unescaped '<'");
        if (close != std::string_view::npos) i = close;
      } else if (t[i] == '&') {
        std::string_view rest = t.substr(i);
        if (rest.substr(0, 5) != "&amp;" && rest.substr(0, 4) != "&lt;" && rest.substr(0, 4) != "&gt;")
          problem(what + " has an unescaped '&'");
      }
    }
  }

  void id_check(const boost::json::object& o, const char* key, std::size_t max, const std::string& what) {
    if (const auto* v = o.if_contains(key)) {
      if (!v->is_string() || v->as_string().empty()) problem(what + " " + key + " is not a string");
      else string_check(v->as_string(), max, what + " " + key);
    }
  }

  void option(const boost::json::value& v, const std::string& what) {
    const auto& o = v.as_object();
    text_object(o.at("text"), 75, what + " option text");
    id_check(o, "value", 150, what + " option");
    if (!o.contains("value")) problem(what + " option without value");
  }

  void element(const boost::json::object& e, std::set<std::string>& action_ids) {
    std::string type(e.at("type").as_string());
    if (const auto* id = e.if_contains("action_id")) {
      std::string a(id->as_string());
      if (!action_ids.insert(a).second) problem("duplicate action_id in a block: " + a);
    }
    id_check(e, "action_id", 255, type);
    if (type == "button") {
      text_object(e.at("text"), 75, "button text", true);
      id_check(e, "value", 255, "button");
      if (const auto* style = e.if_contains("style"))
        if (style->as_string() != "primary" && style->as_string() != "danger") problem("bad button style");
    } else if (type == "static_select" || type == "multi_static_select" || type == "checkboxes") {
      const auto& options = e.at("options").as_array();
      std::size_t max = type == "checkboxes" ? 10 : 100;
      if (options.empty() || options.size() > max) problem(type + " with " + std::to_string(options.size()) + " options");
      std::set<std::string> values;
      for (const auto& o : options) {
        option(o, type);
        values.insert(std::string(o.at("value").as_string()));
      }
      auto check_initial = [&](const boost::json::value& o) {
        if (std::find(options.begin(), options.end(), o) == options.end()) problem(type + " initial option is not one of its options");
      };
      if (const auto* init = e.if_contains("initial_option")) check_initial(*init);
      if (const auto* init = e.if_contains("initial_options")) {
        if (init->as_array().empty()) problem("empty initial_options");
        for (const auto& o : init->as_array()) check_initial(o);
      }
      if (type != "checkboxes") text_object(e.at("placeholder"), 150, type + " placeholder", true);
    } else if (type == "plain_text_input") {
      if (const auto* ml = e.if_contains("max_length")) {
        auto n = ml->as_int64();
        if (n < 1 || n > 3000) problem("plain_text_input max_length out of range");
        if (const auto* iv = e.if_contains("initial_value"))
          if (static_cast<std::int64_t>(units(iv->as_string())) > n) problem("initial_value longer than max_length");
      }
    } else {
      problem("unexpected element type " + type);
    }
  }

  void block(const boost::json::object& b, std::set<std::string>& block_ids) {
    std::string type(b.at("type").as_string());
    if (const auto* id = b.if_contains("block_id")) {
      std::string s(id->as_string());
      if (!block_ids.insert(s).second) problem("duplicate block_id " + s);
      string_check(s, 255, "block_id");
    }
    if (type == "section") {
      text_object(b.at("text"), 3000, "section text");
    } else if (type == "context") {
      const auto& elements = b.at("elements").as_array();
      if (elements.empty() || elements.size() > 10) problem("context with " + std::to_string(elements.size()) + " elements");
      for (const auto& e : elements) text_object(e, 3000, "context text");
    } else if (type == "header") {
      text_object(b.at("text"), 150, "header text", true);
    } else if (type == "actions") {
      const auto& elements = b.at("elements").as_array();
      if (elements.empty() || elements.size() > 25) problem("actions block with " + std::to_string(elements.size()) + " elements");
      std::set<std::string> action_ids;
      for (const auto& e : elements) element(e.as_object(), action_ids);
    } else if (type == "input") {
      text_object(b.at("label"), 2000, "input label", true);
      if (const auto* hint = b.if_contains("hint")) text_object(*hint, 2000, "input hint", true);
      std::set<std::string> action_ids;
      element(b.at("element").as_object(), action_ids);
    } else if (type == "divider") {
    } else {
      problem("unexpected block type " + type);
    }
  }
};

// Every mrkdwn and plain text string in a payload, concatenated (for "contains" checks).
inline void collect_text(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if ((k == "text" || k == "value") && child.is_string()) out += std::string(child.as_string()) + "\n";
      else collect_text(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_text(child, out);
  }
}

inline std::string all_text(const boost::json::value& v) {
  std::string out;
  collect_text(v, out);
  return out;
}

}  // namespace mlpath::test::slack
