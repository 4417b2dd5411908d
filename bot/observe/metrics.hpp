#pragma once
// Counters, gauges and histograms rendered in Prometheus' text format for /metrics.
// Every described family is rendered with HELP and TYPE whether or not anything has
// been counted yet: unlabelled families show 0, labelled ones the label sets seeded
// for them (describe_families lists what mlpath exposes).
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
  // A value read when /metrics is scraped (a gauge, or a counter kept elsewhere).
  void gauge(const std::string& name, std::function<double()> read);
  // `labelled`: the family's samples carry labels, so there is no bare zero to show.
  void describe(const std::string& name, const std::string& type, const std::string& help, bool labelled = false);
  // A labelled series that exists from the start at zero (counter or histogram).
  void seed(const std::string& name, const std::string& labels);

  double counter_value(const std::string& name, const std::string& labels = {}) const;
  // Observations in a histogram series (0 when none).
  double histogram_count(const std::string& name, const std::string& labels = {}) const;
  std::string render() const;

 private:
  struct histogram {
    std::vector<double> counts;  // per bucket (not cumulative)
    double sum = 0;
    double total = 0;
  };
  struct family {
    std::string type;
    std::string help;
    bool labelled = false;
  };
  histogram& series_of(const std::string& name, const std::string& labels);

  std::map<std::string, std::map<std::string, double>> counters_;
  std::map<std::string, std::map<std::string, histogram>> histograms_;
  std::map<std::string, std::function<double()>> gauges_;
  std::map<std::string, family> families_;
};

// Registers every family of DESIGN §3 (and mlpath's own additions) with its help text
// and the label sets that exist before anything happens, so /metrics is complete
// whatever is configured.
void describe_families(metrics& m);

}  // namespace mlpath
