#include "bot/app/readiness.hpp"

#include <boost/json.hpp>

namespace mlpath {

readiness::readiness(clock_fn now) : now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

void readiness::wrote(bool committed, std::string why) {
  auto t = now_();
  if (committed) {
    last_ok_ = t;
    any_ok_ = true;
    failed_since_ok_ = false;
    return;
  }
  last_failure_ = t;
  failed_since_ok_ = true;
  if (!why.empty() || failure_.empty()) failure_ = why.empty() ? "a write failed" : std::move(why);
}

void readiness::add(std::string name, std::function<std::string()> why_not) {
  adapters_.emplace_back(std::move(name), std::move(why_not));
}

readiness::report readiness::check() const {
  report r;
  auto t = now_();
  if (!migrated_) {
    r.not_ready["database"] = "opening the database and running migrations";
  } else if (failed_since_ok_) {
    r.not_ready["database"] = "the last write failed: " + failure_;
  } else if (!any_ok_ || t - last_ok_ > write_window) {
    r.not_ready["database"] = "no write in the last 10 s";
  }
  for (const auto& [name, why_not] : adapters_)
    if (auto why = why_not(); !why.empty()) r.not_ready[name] = why;
  r.ready = r.not_ready.empty();
  return r;
}

std::string readiness::json(const report& r) {
  boost::json::object o{{"ready", r.ready}};
  if (!r.ready) {
    boost::json::object parts;
    for (const auto& [k, v] : r.not_ready) parts[k] = v;
    o["not_ready"] = std::move(parts);
  }
  return boost::json::serialize(o);
}

double readiness::last_write_age() const {
  if (!any_ok_) return 1e9;
  return std::chrono::duration<double>(now_() - last_ok_).count();
}

bool readiness::idle_for(std::chrono::milliseconds idle) const { return !any_ok_ || failed_since_ok_ || now_() - last_ok_ >= idle; }

}  // namespace mlpath
