#pragma once
// Counters, gauges and histograms rendered in Prometheus' text format for /metrics.
//
// Threading: used from the event loop's thread only.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlpath {

class metrics {
 public:
  // `labels` is the Prometheus label set without braces, e.g. route="/slack/events",status="200".
  void count(const std::string& name, const std::string& labels = {}, double by = 1);
  void observe(const std::string& name, const std::string& labels, double seconds);
  // A value read when /metrics is scraped.
  void gauge(const std::string& name, std::function<double()> read);
  void describe(const std::string& name, const std::string& type, const std::string& help);

  double counter_value(const std::string& name, const std::string& labels = {}) const;
  std::string render() const;

 private:
  struct histogram {
    std::vector<double> counts;  // per bucket (not cumulative)
    double sum = 0;
    double total = 0;
  };
  std::map<std::string, std::map<std::string, double>> counters_;
  std::map<std::string, std::map<std::string, histogram>> histograms_;
  std::map<std::string, std::function<double()>> gauges_;
  std::map<std::string, std::pair<std::string, std::string>> help_;
};

}  // namespace mlpath
