#include "bot/content/content_loader.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>

#include "bot/content/builtin_content.hpp"
#include "bot/content/json_tree.hpp"

namespace mlpath::loader {
using namespace mlpath::dialogs;
namespace {

constexpr const char* file_names[] = {"questions.json", "checkins.json", "roles.json", "weights.json",
                                      "resources.json", "plan.json"};

std::string base_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + p.string());
  return s.str();
}

// Checks one file; every helper records a diagnostic and returns a neutral value, so a
// single run reports as many problems as it can find.
class checker {
 public:
  checker(const content_file& f, std::vector<diagnostic>& out) : file_(f), out_(out) {}

  void error(std::size_t offset, std::string message) {
    out_.push_back({file_.name, line_of(file_.text, offset), std::move(message)});
  }
  void error(const json_node& at, std::string message) { error(at.offset, std::move(message)); }

  std::optional<json_node> parse() {
    auto r = parse_json_tree(file_.text);
    if (auto* e = std::get_if<json_error>(&r)) {
      error(e->offset, "invalid JSON: " + e->message);
      return std::nullopt;
    }
    auto& root = std::get<json_node>(r);
    if (!root.is_object()) {
      error(root, "the file must hold a JSON object");
      return std::nullopt;
    }
    return std::move(root);
  }

  // Reports members that are not in `allowed` and keys that appear twice.
  void keys(const json_node& obj, std::initializer_list<std::string_view> allowed, std::string_view what) {
    std::set<std::string_view> seen;
    for (const auto& [k, v] : obj.members) {
      if (!seen.insert(k).second) error(v, std::string(what) + ": \"" + k + "\" appears twice");
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        error(v, std::string(what) + ": unknown field \"" + k + "\"");
    }
  }

  void unique_keys(const json_node& obj, std::string_view what) {
    std::set<std::string_view> seen;
    for (const auto& [k, v] : obj.members)
      if (!seen.insert(k).second) error(v, "duplicate " + std::string(what) + " \"" + k + "\"");
  }

  const json_node* member(const json_node& obj, std::string_view key, json_node::type t, std::string_view what,
                          bool required = true) {
    const json_node* v = obj.find(key);
    if (!v) {
      if (required) error(obj, std::string(what) + ": missing \"" + std::string(key) + "\"");
      return nullptr;
    }
    if (v->kind != t) {
      error(*v, std::string(what) + ": \"" + std::string(key) + "\" must be " + type_name(t) + ", not " +
                    type_name(v->kind));
      return nullptr;
    }
    return v;
  }

  std::string text(const json_node& obj, std::string_view key, std::string_view what, bool required = true,
                   std::size_t max_len = 0) {
    const json_node* v = member(obj, key, json_node::type::string, what, required);
    if (!v) return {};
    if (required && v->string.empty()) error(*v, std::string(what) + ": \"" + std::string(key) + "\" is empty");
    if (max_len && utf8_length(v->string) > max_len)
      error(*v, std::string(what) + ": \"" + std::string(key) + "\" is longer than " + std::to_string(max_len) +
                    " characters");
    return v->string;
  }

  std::string id(const json_node& obj, std::string_view key, std::string_view what) {
    const json_node* v = member(obj, key, json_node::type::string, what);
    if (!v) return {};
    if (!valid_id(v->string))
      error(*v, std::string(what) + ": id \"" + v->string + "\" must be 1-40 characters of a-z, 0-9 and _");
    return v->string;
  }

  double number(const json_node& obj, std::string_view key, std::string_view what, double lo, double hi,
                double fallback, bool required = true) {
    const json_node* v = member(obj, key, json_node::type::number, what, required);
    if (!v) return fallback;
    if (v->number < lo || v->number > hi) {
      std::ostringstream m;
      m << what << ": \"" << key << "\" must be between " << lo << " and " << hi;
      error(*v, m.str());
      return fallback;
    }
    return v->number;
  }

  bool flag(const json_node& obj, std::string_view key, std::string_view what, bool fallback) {
    const json_node* v = member(obj, key, json_node::type::boolean, what, false);
    return v ? v->boolean : fallback;
  }

  std::vector<std::string> strings(const json_node& obj, std::string_view key, std::string_view what) {
    std::vector<std::string> out;
    const json_node* v = member(obj, key, json_node::type::array, what);
    if (!v) return out;
    for (const auto& item : v->items) {
      if (!item.is_string() || item.string.empty())
        error(item, std::string(what) + ": \"" + std::string(key) + "\" must hold non-empty strings");
      else
        out.push_back(item.string);
    }
    return out;
  }

  static bool valid_id(std::string_view s) {
    if (s.empty() || s.size() > 40) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  }

  static std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  }

 private:
  const content_file& file_;
  std::vector<diagnostic>& out_;
};

std::string fingerprint_of(const question& q) {
  std::string s = q.kind == question_kind::single ? "single" : q.kind == question_kind::multi ? "multi" : "text";
  s += q.optional ? "|optional" : "|required";
  s += "|max=" + std::to_string(q.max);
  for (const auto& o : q.options) s += "|" + o.id + (o.exclusive ? "!" : "");
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds and platforms
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* hex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = hex[h & 0xF];
  return out;
}

// One question object (questions.json and checkins.json share the format). `options_required`:
// choice questions must list options (the check-in's checkin_moved gets its options from the plan).
question read_question(checker& c, const json_node& qn, bool options_required = true) {
  question q;
  q.id = c.id(qn, "id", "question");
  std::string what = "question \"" + q.id + "\"";
  c.keys(qn, {"id", "kind", "max", "optional", "title", "prompt", "hint", "options", "max_length"}, what);
  std::string kind = c.text(qn, "kind", what);
  if (kind == "single") q.kind = question_kind::single;
  else if (kind == "multi") q.kind = question_kind::multi;
  else if (kind == "text") q.kind = question_kind::text;
  else if (!kind.empty()) c.error(*qn.find("kind"), what + ": kind must be single, multi or text, not \"" + kind + "\"");
  q.optional = c.flag(qn, "optional", what, false);
  q.title = c.text(qn, "title", what, true, 40);
  q.prompt = c.text(qn, "prompt", what, true, 1000);
  q.hint = c.text(qn, "hint", what, false, 300);
  if (q.kind == question_kind::text) {
    if (qn.find("options")) c.error(*qn.find("options"), what + ": a text question has no options");
    if (qn.find("max")) c.error(*qn.find("max"), what + ": \"max\" is for multi questions");
    q.max_length = static_cast<int>(c.number(qn, "max_length", what, 1, 3000, 500, false));
  } else {
    if (qn.find("max_length")) c.error(*qn.find("max_length"), what + ": \"max_length\" is for text questions");
    const json_node* opts = c.member(qn, "options", json_node::type::array, what, options_required);
    std::set<std::string> option_ids;
    if (opts) {
      if (opts->items.size() < 2) c.error(*opts, what + ": needs at least two options");
      for (const auto& on : opts->items) {
        if (!on.is_object()) {
          c.error(on, what + ": an option must be an object");
          continue;
        }
        option o;
        o.id = c.id(on, "id", what + " option");
        std::string owhat = what + " option \"" + o.id + "\"";
        c.keys(on, {"id", "label", "exclusive", "aliases", "reason", "weakness"}, owhat);
        if (!o.id.empty() && !option_ids.insert(o.id).second)
          c.error(on, what + ": duplicate option id \"" + o.id + "\"");
        if (!on.find("label")) c.error(on, owhat + ": has no label");
        else o.label = c.text(on, "label", owhat, true, 60);
        o.exclusive = c.flag(on, "exclusive", owhat, false);
        if (on.find("aliases")) o.aliases = c.strings(on, "aliases", owhat);
        o.reason = c.text(on, "reason", owhat, false, 120);
        o.weakness = c.flag(on, "weakness", owhat, false);
        if (o.weakness && !o.reason.empty())
          c.error(*on.find("reason"), owhat + ": a weakness is never shown as a reason");
        if (o.exclusive && q.kind != question_kind::multi)
          c.error(on, owhat + ": \"exclusive\" only means something in a multi question");
        q.options.push_back(std::move(o));
      }
    }
    if (const json_node* m = qn.find("max")) {
      if (q.kind != question_kind::multi) c.error(*m, what + ": \"max\" is for multi questions");
      else {
        double lim = opts ? static_cast<double>(std::max<std::size_t>(1, opts->items.size())) : 1e9;
        q.max = static_cast<int>(c.number(qn, "max", what, 1, lim, 0));
      }
    }
  }
  q.fingerprint = fingerprint_of(q);
  return q;
}

void load_questions(checker& c, const json_node& root, flow& f) {
  c.keys(root, {"flow", "version", "questions"}, "questions.json");
  f.id = c.id(root, "flow", "questions.json");
  f.version = static_cast<int>(c.number(root, "version", "questions.json", 1, 1e9, 1));
  const json_node* list = c.member(root, "questions", json_node::type::array, "questions.json");
  if (!list) return;
  if (list->items.empty()) c.error(*list, "questions.json: there are no questions");
  std::set<std::string> ids;
  for (const auto& qn : list->items) {
    if (!qn.is_object()) {
      c.error(qn, "a question must be an object");
      continue;
    }
    question q = read_question(c, qn);
    if (!q.id.empty() && !ids.insert(q.id).second) c.error(qn, "duplicate question id \"" + q.id + "\"");
    f.questions.push_back(std::move(q));
  }
}

// checkins.json: the check-in's questions with the ids and options DESIGN §6 fixes.
void load_checkins(checker& c, const json_node& root, checkin_material& m) {
  c.keys(root, {"questions", "zones", "replies"}, "checkins.json");
  if (const json_node* list = c.member(root, "questions", json_node::type::array, "checkins.json")) {
    for (const auto& qn : list->items) {
      if (!qn.is_object()) {
        c.error(qn, "a question must be an object");
        continue;
      }
      question q = read_question(c, qn, false);
      if (m.find(q.id)) c.error(qn, "duplicate question id \"" + q.id + "\"");
      m.questions.push_back(std::move(q));
    }
    struct expected {
      const char* id;
      question_kind kind;
      std::vector<std::string> options;  // exactly these, in this order; empty = not checked
    };
    const expected fixed[] = {
        {"checkin_progress", question_kind::single, {"made_progress", "a_little", "not_this_time", "stuck"}},
        {"checkin_moved", question_kind::multi, {}},
        {"checkin_next_step", question_kind::text, {}},
        {"checkin_day", question_kind::single, {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
        {"checkin_time", question_kind::single, {}},
        {"checkin_zone", question_kind::single, {}},
    };
    for (const auto& e : fixed) {
      const question* q = m.find(e.id);
      if (!q) {
        c.error(*list, std::string("checkins.json: missing the question \"") + e.id + "\"");
        continue;
      }
      if (q->kind != e.kind) c.error(*list, std::string("checkins.json: \"") + e.id + "\" has the wrong kind");
      if (e.options.empty()) continue;
      std::vector<std::string> ids;
      for (const auto& o : q->options) ids.push_back(o.id);
      if (ids != e.options) c.error(*list, std::string("checkins.json: \"") + e.id + "\" must offer exactly the options of DESIGN §6");
    }
    if (const question* t = m.find("checkin_time")) {
      for (const auto& o : t->options) {
        bool hour = o.id.size() == 3 && o.id[0] == 'h' && std::isdigit(static_cast<unsigned char>(o.id[1])) &&
                    std::isdigit(static_cast<unsigned char>(o.id[2])) && std::stoi(o.id.substr(1)) < 24;
        if (!hour && o.id != "other")
          c.error(*list, "checkins.json: checkin_time options are hNN (a whole hour) or other, not \"" + o.id + "\"");
      }
    }
  }
  if (const json_node* zones = c.member(root, "zones", json_node::type::object, "checkins.json")) {
    c.unique_keys(*zones, "zone");
    const question* zq = m.find("checkin_zone");
    for (const auto& [k, v] : zones->members) {
      if (zq && !zq->find_option(k)) c.error(v, "zones: \"" + k + "\" is not an option of checkin_zone");
      if (!v.is_string() || v.string.empty()) c.error(v, "zones: \"" + k + "\" must name an IANA zone");
      else m.zones[k] = v.string;
    }
    if (zq)
      for (const auto& o : zq->options)
        if (!zones->find(o.id)) c.error(*zones, "zones: missing the zone of \"" + o.id + "\"");
  }
  if (const json_node* replies = c.member(root, "replies", json_node::type::object, "checkins.json")) {
    const question* pq = m.find("checkin_progress");
    for (const auto& [k, v] : replies->members) {
      if (pq && !pq->find_option(k)) c.error(v, "replies: \"" + k + "\" is not an option of checkin_progress");
      m.replies[k] = c.text(*replies, k, "replies", true, 400);
    }
    if (pq)
      for (const auto& o : pq->options)
        if (!replies->find(o.id)) c.error(*replies, "replies: missing the reply to \"" + o.id + "\"");
  }
}

void load_roles(checker& c, const json_node& root, std::vector<role>& roles) {
  c.keys(root, {"roles"}, "roles.json");
  const json_node* list = c.member(root, "roles", json_node::type::array, "roles.json");
  if (!list) return;
  if (list->items.empty()) c.error(*list, "roles.json: there are no roles");
  std::set<std::string> ids;
  for (const auto& rn : list->items) {
    if (!rn.is_object()) {
      c.error(rn, "a role must be an object");
      continue;
    }
    role r;
    r.id = c.id(rn, "id", "role");
    std::string what = "role \"" + r.id + "\"";
    c.keys(rn, {"id", "name", "summary", "responsibilities", "key_skills", "suits"}, what);
    if (!r.id.empty() && !ids.insert(r.id).second) c.error(rn, "duplicate role id \"" + r.id + "\"");
    r.name = c.text(rn, "name", what, true, 60);
    r.summary = c.text(rn, "summary", what);
    r.responsibilities = c.strings(rn, "responsibilities", what);
    r.key_skills = c.strings(rn, "key_skills", what);
    r.suits = c.text(rn, "suits", what);
    roles.push_back(std::move(r));
  }
}

void load_weights(checker& c, const json_node& root, const flow& f, const std::vector<role>& roles, weights& w) {
  c.keys(root, {"version", "questions", "thresholds"}, "weights.json");
  w.version = static_cast<int>(c.number(root, "version", "weights.json", 1, 1e9, 1));
  if (const json_node* t = c.member(root, "thresholds", json_node::type::object, "weights.json", false)) {
    c.keys(*t, {"co_primary", "secondary_window", "flat_spread", "high_gap", "min_answered", "high_answered"},
           "thresholds");
    auto& l = w.limits;
    l.co_primary = c.number(*t, "co_primary", "thresholds", 0, 100, l.co_primary, false);
    l.secondary_window = c.number(*t, "secondary_window", "thresholds", 0, 100, l.secondary_window, false);
    l.flat_spread = c.number(*t, "flat_spread", "thresholds", 0, 100, l.flat_spread, false);
    l.high_gap = c.number(*t, "high_gap", "thresholds", 0, 100, l.high_gap, false);
    l.min_answered = c.number(*t, "min_answered", "thresholds", 0, 1, l.min_answered, false);
    l.high_answered = c.number(*t, "high_answered", "thresholds", 0, 1, l.high_answered, false);
  }
  const json_node* qs = c.member(root, "questions", json_node::type::object, "weights.json");
  if (!qs) return;
  c.unique_keys(*qs, "question");
  for (const auto& [qid, qn] : qs->members) {
    const question* q = f.find(qid);
    std::string what = "weights for \"" + qid + "\"";
    if (!q) {
      c.error(qn, "weights.json: unknown question id \"" + qid + "\"");
      continue;
    }
    if (q->kind == question_kind::text) {
      c.error(qn, what + ": a text question cannot be scored");
      continue;
    }
    if (!qn.is_object()) {
      c.error(qn, what + " must be an object");
      continue;
    }
    c.keys(qn, {"multiplier", "cap", "options"}, what);
    question_weights qw;
    qw.question = qid;
    qw.multiplier = c.number(qn, "multiplier", what, 0, 10, 1);
    if (const json_node* cap = qn.find("cap")) {
      if (q->kind != question_kind::multi) c.error(*cap, what + ": \"cap\" is for multi questions");
      else qw.cap = c.number(qn, "cap", what, 0.1, 1000, 0);
    }
    const json_node* opts = c.member(qn, "options", json_node::type::object, what);
    if (!opts) continue;
    c.unique_keys(*opts, "option");
    for (const auto& [oid, on] : opts->members)
      if (!q->find_option(oid)) c.error(on, what + ": unknown option id \"" + oid + "\"");
    for (const auto& o : q->options) {
      const json_node* on = opts->find(o.id);
      if (!on) {
        c.error(*opts, what + ": missing weights for option \"" + o.id + "\"");
        continue;
      }
      if (!on->is_object()) {
        c.error(*on, what + ": option \"" + o.id + "\" must map role ids to weights");
        continue;
      }
      std::vector<double> per_role(roles.size(), 0.0);
      c.unique_keys(*on, "role");
      for (const auto& [rid, rn] : on->members) {
        auto it = std::find_if(roles.begin(), roles.end(), [&id = rid](const role& r) { return r.id == id; });
        if (it == roles.end()) c.error(rn, what + ": unknown role id \"" + rid + "\"");
      }
      for (std::size_t i = 0; i < roles.size(); ++i) {
        const json_node* wn = on->find(roles[i].id);
        if (!wn) {
          c.error(*on, what + ": option \"" + o.id + "\" has no weight for role \"" + roles[i].id + "\"");
          continue;
        }
        per_role[i] = c.number(*on, roles[i].id, what + " option \"" + o.id + "\"", 0, 3, 0);
      }
      qw.options.emplace(o.id, std::move(per_role));
    }
    w.questions.push_back(std::move(qw));
  }
}

void load_resources(checker& c, const json_node& root, std::vector<resource>& out) {
  c.keys(root, {"resources"}, "resources.json");
  const json_node* list = c.member(root, "resources", json_node::type::array, "resources.json");
  if (!list) return;
  std::set<std::string> ids;
  for (const auto& rn : list->items) {
    if (!rn.is_object()) {
      c.error(rn, "a resource must be an object");
      continue;
    }
    resource r;
    r.id = c.id(rn, "id", "resource");
    std::string what = "resource \"" + r.id + "\"";
    c.keys(rn, {"id", "title", "url", "kind", "free"}, what);
    if (!r.id.empty() && !ids.insert(r.id).second) c.error(rn, "duplicate resource id \"" + r.id + "\"");
    r.title = c.text(rn, "title", what, true, 120);
    r.url = c.text(rn, "url", what);
    r.kind = c.text(rn, "kind", what, false, 40);
    r.free = c.flag(rn, "free", what, true);
    if (!r.url.empty()) {
      auto parsed = boost::urls::parse_absolute_uri(r.url);
      bool ok = parsed.has_value() && (parsed->scheme() == "https" || parsed->scheme() == "http") &&
                parsed->has_authority() && !parsed->host().empty();
      if (!ok) c.error(*rn.find("url"), what + ": \"" + r.url + "\" is not an absolute http(s) URL");
    }
    out.push_back(std::move(r));
  }
}

std::vector<std::string> option_ids(const flow& f, std::string_view question_id) {
  std::vector<std::string> out;
  if (const question* q = f.find(question_id))
    for (const auto& o : q->options) out.push_back(o.id);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// plan.json (version 2): steps positioned in each role's path, the capabilities the
// answers can show, milestones, and the worry tips. Cross-references are checked after
// every step is read, so steps may refer to ones further down the file.
class plan_loader {
 public:
  plan_loader(checker& c, const flow& f, const std::vector<role>& roles, const std::vector<resource>& resources)
      : c_(c), f_(f) {
    for (const auto& r : roles) role_ids_.push_back(r.id);
    for (const auto& r : resources) resource_ids_.insert(r.id);
  }

  void load(const json_node& root, plan_material& p) {
    c_.keys(root, {"version", "pace", "horizon", "has", "milestones", "steps", "tips"}, "plan.json");
    int version = static_cast<int>(c_.number(root, "version", "plan.json", 1, 1e9, 2));
    if (version < 2) c_.error(*root.find("version"), "plan.json: version 1 plans are no longer read; see SCHEMA.md");
    load_pace(root, p);
    load_horizon(root, p);
    load_capabilities(root, p);
    if (const json_node* list = c_.member(root, "steps", json_node::type::array, "plan.json")) {
      std::set<std::string> ids;
      for (const auto& sn : list->items) {
        plan_step s = step(sn);
        if (!s.id.empty() && !ids.insert(s.id).second) c_.error(sn, "plan.json: duplicate step id \"" + s.id + "\"");
        nodes_.push_back(&sn);
        p.steps.push_back(std::move(s));
      }
    }
    check_references(root, p);
    load_milestones(root, p);
    load_tips(root, p);
  }

 private:
  void load_pace(const json_node& root, plan_material& p) {
    const json_node* pace_n = c_.member(root, "pace", json_node::type::object, "plan.json");
    if (!pace_n) return;
    auto valid = option_ids(f_, "weekly_hours");
    c_.unique_keys(*pace_n, "pace");
    for (const auto& [k, v] : pace_n->members) {
      if (!contains(valid, k)) c_.error(v, "pace: unknown weekly_hours option \"" + k + "\"");
      if (!v.is_object()) {
        c_.error(v, "pace \"" + k + "\" must be an object");
        continue;
      }
      c_.keys(v, {"hours_per_week", "label"}, "pace \"" + k + "\"");
      p.pace_by_hours[k] = pace{c_.number(v, "hours_per_week", "pace \"" + k + "\"", 0.5, 80, 4),
                                c_.text(v, "label", "pace \"" + k + "\"", true, 120)};
    }
    for (const auto& id : valid)
      if (!pace_n->find(id)) c_.error(*pace_n, "pace: missing an entry for \"" + id + "\"");
  }

  void load_horizon(const json_node& root, plan_material& p) {
    const json_node* h = c_.member(root, "horizon", json_node::type::object, "plan.json");
    if (!h) return;
    c_.keys(*h, {"milestone_weeks", "core_weeks", "subfield_project_after", "domain_project_after"}, "horizon");
    p.milestone_weeks = static_cast<int>(c_.number(*h, "milestone_weeks", "horizon", 1, 104, 12));
    p.core_weeks = static_cast<int>(c_.number(*h, "core_weeks", "horizon", 1, 208, 26));
    p.subfield_project_after = static_cast<int>(c_.number(*h, "subfield_project_after", "horizon", 0, 100, 4));
    p.domain_project_after = static_cast<int>(c_.number(*h, "domain_project_after", "horizon", 0, 100, 6));
  }

  // "question:option", both known.
  std::optional<answer_ref> answer(const json_node& n, const std::string& what) {
    auto colon = n.string.find(':');
    answer_ref a{n.string.substr(0, colon), colon == std::string::npos ? std::string() : n.string.substr(colon + 1)};
    const question* q = f_.find(a.question);
    if (!q || !q->find_option(a.option)) {
      c_.error(n, what + ": \"" + n.string + "\" is not a question:option of questions.json");
      return std::nullopt;
    }
    return a;
  }

  void load_capabilities(const json_node& root, plan_material& p) {
    const json_node* has = c_.member(root, "has", json_node::type::object, "plan.json");
    if (!has) return;
    c_.unique_keys(*has, "capability");
    for (const auto& [k, v] : has->members) {
      std::string what = "capability \"" + k + "\"";
      if (!checker::valid_id(k)) c_.error(v, what + ": ids are 1-40 characters of a-z, 0-9 and _");
      if (!v.is_object()) {
        c_.error(v, what + " must be an object");
        continue;
      }
      c_.keys(v, {"answers", "because"}, what);
      capability cap{k, {}, c_.text(v, "because", what, true, 120)};
      if (const json_node* list = c_.member(v, "answers", json_node::type::array, what)) {
        if (list->items.empty()) c_.error(*list, what + ": names no answers");
        for (const auto& an : list->items) {
          if (!an.is_string()) {
            c_.error(an, what + ": answers are \"question:option\" strings");
            continue;
          }
          if (auto a = answer(an, what)) cap.answers.push_back(std::move(*a));
        }
      }
      capabilities_.insert(k);
      p.has.push_back(std::move(cap));
    }
  }

  std::vector<std::string> capability_list(const json_node& sn, std::string_view key, const std::string& what) {
    std::vector<std::string> out;
    if (!sn.find(key)) return out;
    out = c_.strings(sn, key, what);
    for (const auto& id : out)
      if (!capabilities_.count(id))
        c_.error(*sn.find(key), what + ": \"" + std::string(key) + "\" names unknown capability \"" + id + "\"");
    return out;
  }

  std::vector<std::string> option_list(const json_node& sn, std::string_view key, std::string_view question,
                                       const std::string& what) {
    std::vector<std::string> out;
    if (!sn.find(key)) return out;
    out = c_.strings(sn, key, what);
    auto valid = option_ids(f_, question);
    for (const auto& id : out)
      if (!contains(valid, id))
        c_.error(*sn.find(key), what + ": \"" + id + "\" is not an option of \"" + std::string(question) + "\"");
    return out;
  }

  std::vector<std::string> role_list(const json_node& sn, std::string_view key, const std::string& what) {
    std::vector<std::string> out;
    if (!sn.find(key)) return out;
    out = c_.strings(sn, key, what);
    for (const auto& id : out)
      if (!contains(role_ids_, id)) c_.error(*sn.find(key), what + ": unknown role id \"" + id + "\"");
    return out;
  }

  void resource_of(const json_node& sn, const std::string& resource, const std::string& what) {
    if (!resource.empty() && !resource_ids_.count(resource))
      c_.error(*sn.find("resource"), what + ": unknown resource id \"" + resource + "\"");
  }

  plan_step step(const json_node& sn) {
    plan_step s;
    if (!sn.is_object()) {
      c_.error(sn, "plan.json: a step must be an object");
      return s;
    }
    s.id = c_.id(sn, "id", "step");
    std::string what = "step \"" + s.id + "\"";
    c_.keys(sn, {"id", "kind", "title", "teaches", "detail", "resource", "hours", "roles", "provides", "needs", "after",
                 "skip_if", "shorten_if", "subfields", "domains", "fits"},
            what);
    static const std::pair<const char*, step_kind> kinds[] = {
        {"onramp", step_kind::onramp},   {"foundation", step_kind::foundation}, {"skill", step_kind::skill},
        {"tool", step_kind::tool},       {"project", step_kind::project},       {"later", step_kind::later},
        {"community", step_kind::community}, {"portfolio", step_kind::portfolio}, {"interview", step_kind::interview}};
    std::string kind = c_.text(sn, "kind", what, true, 20);
    auto k = std::find_if(std::begin(kinds), std::end(kinds), [&](const auto& e) { return kind == e.first; });
    if (k == std::end(kinds)) {
      if (!kind.empty()) c_.error(*sn.find("kind"), what + ": unknown kind \"" + kind + "\"");
    } else {
      s.kind = k->second;
    }
    s.title = c_.text(sn, "title", what, true, 100);
    s.detail = c_.text(sn, "detail", what, true, 600);
    bool timed = s.kind != step_kind::community && s.kind != step_kind::portfolio && s.kind != step_kind::interview;
    s.teaches = c_.text(sn, "teaches", what, timed, 200);
    s.resource = c_.text(sn, "resource", what);
    resource_of(sn, s.resource, what);
    s.hours = c_.number(sn, "hours", what, 0.5, 500, 1);
    if (const json_node* roles = c_.member(sn, "roles", json_node::type::object, what, false)) {
      c_.unique_keys(*roles, "role");
      for (const auto& [rid, pn] : roles->members) {
        if (!contains(role_ids_, rid)) c_.error(pn, what + ": unknown role id \"" + rid + "\"");
        s.roles[rid] = static_cast<int>(c_.number(*roles, rid, what + " position", 1, 100, 1));
      }
    }
    s.provides = capability_list(sn, "provides", what);
    s.needs = capability_list(sn, "needs", what);
    s.skip_if = capability_list(sn, "skip_if", what);
    if (sn.find("after")) s.after = c_.strings(sn, "after", what);
    if (const json_node* sh = c_.member(sn, "shorten_if", json_node::type::array, what, false)) {
      for (const auto& vn : sh->items) {
        if (!vn.is_object()) {
          c_.error(vn, what + ": shorten_if holds objects");
          continue;
        }
        std::string vwhat = what + " shortcut";
        c_.keys(vn, {"has", "hours", "title", "detail"}, vwhat);
        step_shortcut cut;
        cut.has = capability_list(vn, "has", vwhat);
        if (cut.has.empty()) c_.error(vn, vwhat + ": \"has\" names no capability");
        cut.hours = c_.number(vn, "hours", vwhat, 0.5, 500, s.hours);
        if (cut.hours >= s.hours) c_.error(*vn.find("hours"), vwhat + ": a shortcut must take fewer hours than the step");
        cut.title = c_.text(vn, "title", vwhat, false, 100);
        cut.detail = c_.text(vn, "detail", vwhat, false, 600);
        s.shorten_if.push_back(std::move(cut));
      }
    }
    s.subfields = option_list(sn, "subfields", "subfields", what);
    s.domains = option_list(sn, "domains", "domain", what);
    s.fits = role_list(sn, "fits", what);
    if ((!s.subfields.empty() || !s.domains.empty()) && s.kind != step_kind::project)
      c_.error(sn, what + ": only projects are fitted to subfields or domains");
    if (s.kind == step_kind::onramp && s.provides.empty()) c_.error(sn, what + ": an on-ramp must provide a capability");
    return s;
  }

  void check_references(const json_node& root, const plan_material& p) {
    std::set<std::string> provided;
    for (const auto& s : p.steps)
      for (const auto& cap : s.provides) provided.insert(cap);
    for (std::size_t i = 0; i < p.steps.size(); ++i) {
      const plan_step& s = p.steps[i];
      std::string what = "step \"" + s.id + "\"";
      for (const auto& a : s.after)
        if (!p.find_step(a)) c_.error(*nodes_[i], what + ": \"after\" names unknown step \"" + a + "\"");
      for (const auto& cap : s.needs) {
        bool onramp = std::any_of(p.steps.begin(), p.steps.end(), [&](const plan_step& o) {
          return o.kind == step_kind::onramp && contains(o.provides, cap);
        });
        if (!onramp) c_.error(*nodes_[i], what + ": needs \"" + cap + "\" but no on-ramp provides it");
      }
    }
    // Every role has a path: at least one timed step and an interview preparation.
    for (const auto& role : role_ids_) {
      bool path = false, interview = false;
      for (const auto& s : p.steps) {
        if (!s.roles.count(role)) continue;
        if (s.kind == step_kind::interview) interview = true;
        else if (s.kind != step_kind::later) path = true;
      }
      // A plan without steps (found by fuzzing) is reported at its top, not at a step.
      const json_node& where = nodes_.empty() ? root : *nodes_.front();
      if (!path) c_.error(where, "plan.json: role \"" + role + "\" has no steps in its path");
      if (!interview) c_.error(where, "plan.json: role \"" + role + "\" has no interview preparation");
    }
  }

  void load_milestones(const json_node& root, plan_material& p) {
    const json_node* m = c_.member(root, "milestones", json_node::type::object, "plan.json");
    if (!m) return;
    c_.unique_keys(*m, "role");
    for (const auto& [rid, v] : m->members) {
      if (!contains(role_ids_, rid)) c_.error(v, "milestones: unknown role id \"" + rid + "\"");
      std::string sid = c_.text(*m, rid, "milestones");
      const plan_step* s = p.find_step(sid);
      if (!s) c_.error(v, "milestones: unknown step \"" + sid + "\"");
      else if (s->kind != step_kind::project || !s->roles.count(rid))
        c_.error(v, "milestones: \"" + sid + "\" must be a project in the path of \"" + rid + "\"");
      p.milestones[rid] = sid;
    }
    for (const auto& rid : role_ids_)
      if (!m->find(rid)) c_.error(*m, "milestones: missing a milestone for \"" + rid + "\"");
  }

  void load_tips(const json_node& root, plan_material& p) {
    const json_node* tips = c_.member(root, "tips", json_node::type::object, "plan.json");
    if (!tips) return;
    auto valid = option_ids(f_, "worry");
    c_.unique_keys(*tips, "tip");
    for (const auto& [k, v] : tips->members) {
      std::string what = "tip \"" + k + "\"";
      if (!contains(valid, k)) c_.error(v, "tips: unknown worry option \"" + k + "\"");
      if (!v.is_object()) {
        c_.error(v, what + " must be an object");
        continue;
      }
      c_.keys(v, {"title", "detail", "resource"}, what);
      tip t{c_.text(v, "title", what, true, 100), c_.text(v, "detail", what, true, 800), c_.text(v, "resource", what)};
      resource_of(v, t.resource, what);
      p.tips[k] = std::move(t);
    }
    for (const auto& id : valid)
      if (!tips->find(id)) c_.error(*tips, "tips: missing an entry for \"" + id + "\"");
  }

  checker& c_;
  const flow& f_;
  std::vector<std::string> role_ids_;
  std::set<std::string> resource_ids_;
  std::set<std::string> capabilities_;
  std::vector<const json_node*> nodes_;  // the JSON of each step, for file:line in later checks
};

void load_plan(checker& c, const json_node& root, const flow& f, const std::vector<role>& roles,
               const std::vector<resource>& resources, plan_material& p) {
  plan_loader(c, f, roles, resources).load(root, p);
}

// The JSON of one option in questions.json, for file:line; the root when not found.
const json_node& option_node(const json_node& root, std::string_view question_id, std::string_view option_id) {
  const json_node* list = root.find("questions");
  if (!list || !list->is_array()) return root;
  for (const auto& qn : list->items) {
    const json_node* id = qn.find("id");
    const json_node* opts = qn.find("options");
    if (!id || id->string != question_id || !opts || !opts->is_array()) continue;
    for (const auto& on : opts->items)
      if (const json_node* oid = on.find("id"); oid && oid->string == option_id) return on;
    return qn;
  }
  return root;
}

// Every option of a scored question explains a role in words, unless it is a weakness.
void check_reasons(checker& c, const json_node& questions_root, const flow& f, const weights& w) {
  for (const auto& qw : w.questions) {
    const question* q = f.find(qw.question);
    if (!q) continue;
    for (const auto& o : q->options)
      if (o.reason.empty() && !o.weakness)
        c.error(option_node(questions_root, q->id, o.id),
                "question \"" + q->id + "\" option \"" + o.id + "\": a scored option needs a \"reason\" (or \"weakness\": true)");
  }
}

}  // namespace

std::string_view find_builtin_file(std::string_view name) {
  for (const auto& f : builtin_content_files())
    if (f.name.size() >= name.size() && f.name.substr(f.name.size() - name.size()) == name) return f.text;
  return {};
}

std::string diagnostic::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

content_error::content_error(std::vector<diagnostic> errors)
    : std::runtime_error([&] {
        std::string s;
        for (const auto& d : errors) s += (s.empty() ? "" : "\n") + d.to_string();
        return s;
      }()),
      errors_(std::move(errors)) {}

std::vector<content_file> gather_content_files(const std::string& override_path) {
  std::vector<content_file> files;
  for (const auto& b : builtin_content_files()) files.push_back({std::string(b.name), std::string(b.text)});
  if (override_path.empty()) return files;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(override_path);
  auto st = fs::status(p, ec);
  if (ec || !fs::exists(st)) throw std::runtime_error("content path " + override_path + " does not exist");
  auto replace = [&](const fs::path& file) {
    std::string name = file.filename().string();
    auto it = std::find_if(files.begin(), files.end(), [&](const content_file& f) { return base_name(f.name) == name; });
    if (it == files.end()) return false;
    it->name = file.string();
    it->text = read_file(file);
    return true;
  };
  if (fs::is_directory(st)) {
    for (const char* name : file_names)
      if (fs::exists(p / name)) replace(p / name);
  } else if (!replace(p)) {
    throw std::runtime_error(override_path + " is not a content file (expected one of questions.json, checkins.json, roles.json, "
                             "weights.json, resources.json, plan.json)");
  }
  return files;
}

load_outcome load_content(const std::vector<content_file>& files) {
  load_outcome out;
  auto find = [&](std::string_view name) -> const content_file* {
    for (const auto& f : files)
      if (base_name(f.name) == name) return &f;
    return nullptr;
  };
  for (const char* name : file_names)
    if (!find(name)) out.errors.push_back({name, 0, "content file is missing"});
  if (!out.errors.empty()) return out;

  auto c = std::make_shared<content>();
  struct parsed {
    checker check;
    std::optional<json_node> root;
  };
  auto parse = [&](const char* name) {
    checker ch(*find(name), out.errors);
    auto root = ch.parse();
    return parsed{ch, std::move(root)};
  };
  auto q = parse("questions.json");
  if (q.root) load_questions(q.check, *q.root, c->questions);
  auto ck = parse("checkins.json");
  if (ck.root) load_checkins(ck.check, *ck.root, c->checkins);
  auto r = parse("roles.json");
  if (r.root) load_roles(r.check, *r.root, c->roles);
  auto res = parse("resources.json");
  if (res.root) load_resources(res.check, *res.root, c->resources);
  // Weights and plan refer to questions, roles and resources: checking them against a
  // file that failed to parse would only add noise.
  if (q.root && r.root) {
    auto w = parse("weights.json");
    if (w.root) {
      load_weights(w.check, *w.root, c->questions, c->roles, c->scoring);
      check_reasons(q.check, *q.root, c->questions, c->scoring);
    }
    if (res.root) {
      auto p = parse("plan.json");
      if (p.root) load_plan(p.check, *p.root, c->questions, c->roles, c->resources, c->plan);
    }
  }
  if (out.errors.empty()) out.loaded = std::move(c);
  return out;
}

std::shared_ptr<const content> load_content_or_throw(const std::string& override_path) {
  auto outcome = load_content(gather_content_files(override_path));
  if (!outcome.loaded) throw content_error(std::move(outcome.errors));
  return outcome.loaded;
}

}  // namespace mlpath::loader
