#pragma once
// What /readyz answers (DESIGN §3): ready only once migrations are done, while the
// database has taken a write in the last 10 s (the service probes it when idle) and the
// last write did not fail, and while every configured adapter is connected. Otherwise
// the report names each part that is not ready and why.
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlpath {

class readiness {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds write_window{10};

  explicit readiness(clock_fn now = {});

  void migrations_done() { migrated_ = true; }
  // A database write ended: committed, or failed with `why` ("" when unknown).
  void wrote(bool committed, std::string why = {});
  // An adapter: `why_not` returns "" while it is connected, else the reason.
  void add(std::string name, std::function<std::string()> why_not);

  struct report {
    bool ready = false;
    std::map<std::string, std::string> not_ready;  // part -> why
  };
  report check() const;
  // {"ready":true} or {"ready":false,"not_ready":{"database":"...",...}}
  static std::string json(const report& r);

  // Seconds since the last committed write (a large number when there was none).
  double last_write_age() const;
  // Whether a probe write is due: nothing committed in the last `idle`.
  bool idle_for(std::chrono::milliseconds idle) const;

 private:
  clock_fn now_;
  bool migrated_ = false;
  std::chrono::steady_clock::time_point last_ok_{};
  bool any_ok_ = false;
  std::chrono::steady_clock::time_point last_failure_{};
  bool failed_since_ok_ = false;
  std::string failure_;
  std::vector<std::pair<std::string, std::function<std::string()>>> adapters_;
};

}  // namespace mlpath
