#include "bot/observe/metrics.hpp"

#include <cstdio>

namespace mlpath {
namespace {

// Seconds: sub-millisecond acks up to slow outbound calls.
const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

void metrics::count(const std::string& name, const std::string& labels, double by) { counters_[name][labels] += by; }

void metrics::observe(const std::string& name, const std::string& labels, double seconds) {
  histogram& h = histograms_[name][labels];
  if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i]) {
      h.counts[i] += 1;
      break;
    }
  h.sum += seconds;
  h.total += 1;
}

void metrics::gauge(const std::string& name, std::function<double()> read) { gauges_[name] = std::move(read); }

void metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
  help_[name] = {type, help};
}

double metrics::counter_value(const std::string& name, const std::string& labels) const {
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto jt = it->second.find(labels);
  return jt == it->second.end() ? 0 : jt->second;
}

std::string metrics::render() const {
  std::string out;
  auto header = [&](const std::string& name, const char* fallback_type) {
    auto it = help_.find(name);
    if (it != help_.end()) out += "# HELP " + name + " " + it->second.second + "\n";
    out += "# TYPE " + name + " " + (it != help_.end() ? it->second.first : std::string(fallback_type)) + "\n";
  };
  for (const auto& [name, by_labels] : counters_) {
    header(name, "counter");
    for (const auto& [labels, v] : by_labels) out += series(name, labels) + " " + number(v) + "\n";
  }
  for (const auto& [name, read] : gauges_) {
    header(name, "gauge");
    out += name + " " + number(read()) + "\n";
  }
  for (const auto& [name, by_labels] : histograms_) {
    header(name, "histogram");
    for (const auto& [labels, h] : by_labels) {
      std::string sep = labels.empty() ? "" : ",";
      double cumulative = 0;
      for (std::size_t i = 0; i < buckets.size(); ++i) {
        cumulative += h.counts[i];
        out += name + "_bucket{" + labels + sep + "le=\"" + number(buckets[i]) + "\"} " + number(cumulative) + "\n";
      }
      out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + number(h.total) + "\n";
      out += series(name + "_sum", labels) + " " + number(h.sum) + "\n";
      out += series(name + "_count", labels) + " " + number(h.total) + "\n";
    }
  }
  return out;
}

}  // namespace mlpath
