#include "bot/observe/metrics.hpp"

#include <cstdio>
#include <set>

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

metrics::histogram& metrics::series_of(const std::string& name, const std::string& labels) {
  histogram& h = histograms_[name][labels];
  if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
  return h;
}

void metrics::count(const std::string& name, const std::string& labels, double by) { counters_[name][labels] += by; }

void metrics::observe(const std::string& name, const std::string& labels, double seconds) {
  histogram& h = series_of(name, labels);
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i]) {
      h.counts[i] += 1;
      break;
    }
  h.sum += seconds;
  h.total += 1;
}

void metrics::gauge(const std::string& name, std::function<double()> read) { gauges_[name] = std::move(read); }

void metrics::describe(const std::string& name, const std::string& type, const std::string& help, bool labelled) {
  families_[name] = {type, help, labelled};
}

void metrics::seed(const std::string& name, const std::string& labels) {
  auto f = families_.find(name);
  if (f != families_.end() && f->second.type == "histogram") series_of(name, labels);
  else counters_[name][labels] += 0;
}

double metrics::counter_value(const std::string& name, const std::string& labels) const {
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto jt = it->second.find(labels);
  return jt == it->second.end() ? 0 : jt->second;
}

double metrics::histogram_count(const std::string& name, const std::string& labels) const {
  auto it = histograms_.find(name);
  if (it == histograms_.end()) return 0;
  auto jt = it->second.find(labels);
  return jt == it->second.end() ? 0 : jt->second.total;
}

std::string metrics::render() const {
  std::set<std::string> names;
  for (const auto& [n, _] : families_) names.insert(n);
  for (const auto& [n, _] : counters_) names.insert(n);
  for (const auto& [n, _] : gauges_) names.insert(n);
  for (const auto& [n, _] : histograms_) names.insert(n);

  std::string out;
  auto render_histogram = [&](const std::string& name, const std::string& labels, const histogram& h) {
    std::string sep = labels.empty() ? "" : ",";
    double cumulative = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      cumulative += h.counts.empty() ? 0 : h.counts[i];
      out += name + "_bucket{" + labels + sep + "le=\"" + number(buckets[i]) + "\"} " + number(cumulative) + "\n";
    }
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + number(h.total) + "\n";
    out += series(name + "_sum", labels) + " " + number(h.sum) + "\n";
    out += series(name + "_count", labels) + " " + number(h.total) + "\n";
  };
  for (const auto& name : names) {
    auto f = families_.find(name);
    auto c = counters_.find(name);
    auto g = gauges_.find(name);
    auto h = histograms_.find(name);
    std::string type = f != families_.end() ? f->second.type
                       : h != histograms_.end() ? "histogram"
                       : c != counters_.end()   ? "counter"
                                                : "gauge";
    if (f != families_.end()) out += "# HELP " + name + " " + f->second.help + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    bool labelled = f != families_.end() && f->second.labelled;
    if (g != gauges_.end()) {
      out += name + " " + number(g->second()) + "\n";
    } else if (h != histograms_.end()) {
      for (const auto& [labels, hist] : h->second) render_histogram(name, labels, hist);
    } else if (c != counters_.end()) {
      for (const auto& [labels, v] : c->second) out += series(name, labels) + " " + number(v) + "\n";
    } else if (!labelled) {
      // Nothing has happened yet: an unlabelled family still shows its zero.
      if (type == "histogram") render_histogram(name, "", histogram{});
      else out += name + " 0\n";
    }
  }
  return out;
}

void describe_families(metrics& m) {
  auto seed_each = [&](const std::string& name, const std::string& label, std::initializer_list<const char*> values) {
    for (const char* v : values) m.seed(name, label + "=\"" + v + "\"");
  };
  // Inbound.
  m.describe("mlpath_inbound_requests_total", "counter",
             "Platform requests by route (an HTTP path, or socket_mode for Slack envelopes), payload kind "
             "(event_callback, command, ...; other for non-platform routes) and status (HTTP, or ack)",
             true);
  m.describe("mlpath_ack_latency_seconds", "histogram",
             "Time from a whole platform request read to its acknowledgement, by route", true);
  m.seed("mlpath_ack_latency_seconds", "route=\"/slack/events\"");
  m.seed("mlpath_ack_latency_seconds", "route=\"/discord/interactions\"");
  m.seed("mlpath_ack_latency_seconds", "route=\"socket_mode\"");
  m.describe("mlpath_inbound_duplicates_total", "counter", "Platform retries and redeliveries dropped as duplicates",
             true);
  seed_each("mlpath_inbound_duplicates_total", "platform", {"slack", "discord"});
  m.describe("mlpath_inbound_failed_total", "counter",
             "Stored events that could not be processed (recorded as done so they are not retried forever)", true);
  seed_each("mlpath_inbound_failed_total", "platform", {"slack", "discord"});
  m.describe("mlpath_slack_app_rate_limited_total", "counter",
             "Slack app_rate_limited events: Slack dropped events to mlpath for a workspace that went over 30,000 "
             "events an hour");
  m.describe("mlpath_discord_deferred_total", "counter",
             "Discord interactions answered with a deferred response because the database was busy");
  // The engine.
  m.describe("mlpath_engine_turns_total", "counter", "Conversation turns run through the engine and saved");
  // The outbox (the gauges are read from the store at scrape time).
  m.describe("mlpath_outbox_depth", "gauge", "Outbox messages neither sent nor given up on (from the store)");
  m.describe("mlpath_outbox_oldest_age_seconds", "gauge",
             "Age of the oldest message still waiting in the outbox (from the store), 0 when empty");
  m.describe("mlpath_outbox_sent_total", "counter", "Outbox messages the platform confirmed, by platform", true);
  seed_each("mlpath_outbox_sent_total", "platform", {"slack", "discord"});
  m.describe("mlpath_outbox_failed_total", "counter",
             "Outbox messages ended by a permanent answer (or after a day of transient failures), by platform", true);
  seed_each("mlpath_outbox_failed_total", "platform", {"slack", "discord"});
  m.describe("mlpath_outbox_reconciled_total", "counter",
             "Messages whose earlier send had an unknown outcome, looked up before sending again: found (not sent "
             "again) or absent (sent)",
             true);
  seed_each("mlpath_outbox_reconciled_total", "outcome", {"found", "absent"});
  // Outbound calls.
  m.describe("mlpath_outbound_requests_total", "counter",
             "Outbound API calls by platform, method and HTTP status (0: no answer)", true);
  m.describe("mlpath_outbound_retries_total", "counter",
             "Outbound calls tried again, by platform and reason (rate_limited, server_error, connect, timeout, closed, "
             "truncated; token_expired: Slack, sent again after the workspace's rotating token was refreshed)",
             true);
  for (const char* p : {"slack", "discord"})
    for (const char* r : {"rate_limited", "server_error", "connect", "timeout", "closed", "truncated"})
      m.seed("mlpath_outbound_retries_total", std::string("platform=\"") + p + "\",reason=\"" + r + "\"");
  m.seed("mlpath_outbound_retries_total", "platform=\"slack\",reason=\"token_expired\"");
  m.describe("mlpath_outbound_429_total", "counter", "Outbound calls answered with 429 (rate limited), by platform",
             true);
  seed_each("mlpath_outbound_429_total", "platform", {"slack", "discord"});
  // Connections.
  m.describe("mlpath_gateway_sessions_total", "counter",
             "Discord gateway session events: identify, resume, reconnect", true);
  seed_each("mlpath_gateway_sessions_total", "event", {"identify", "resume", "reconnect"});
  m.describe("mlpath_socket_mode_connections_total", "counter",
             "Slack Socket Mode connection events: open (apps.connections.open called), hello, disconnect (Slack asked "
             "to move), half_open (no frame after a ping), no_hello, rate_limited, open_failed, bad_frame, closed, fatal",
             true);
  seed_each("mlpath_socket_mode_connections_total", "event",
            {"open", "hello", "disconnect", "half_open", "no_hello", "rate_limited", "open_failed", "closed", "fatal"});
  m.describe("mlpath_slack_unknown_workspace_total", "counter",
             "Slack payloads from a workspace with no installation (acknowledged, not processed)");
  // Check-ins.
  m.describe("mlpath_scheduler_lag_seconds", "gauge", "How late the scheduler ran its most recent due work");
  m.describe("mlpath_checkins_total", "counter", "Weekly check-ins by state: sent, answered, late, paused", true);
  seed_each("mlpath_checkins_total", "state", {"sent", "answered", "late", "paused"});
  // The database.
  m.describe("mlpath_sqlite_transaction_seconds", "histogram",
             "Time from BEGIN to COMMIT of each committed SQLite write transaction");
  m.describe("mlpath_sqlite_write_failures_total", "counter",
             "SQLite write transactions that failed (locked, disk full, read-only)");
  m.describe("mlpath_database_last_write_age_seconds", "gauge",
             "Seconds since the database last took a write (readiness needs one in the last 10 s)");
  m.describe("mlpath_ready", "gauge", "1 while /readyz answers 200, else 0");
}

}  // namespace mlpath
