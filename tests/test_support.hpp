#pragma once
// Shared helpers for the test binary: the built-in content, temporary directories and a
// child-process runner for end-to-end tests of the mlpath binary.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dialogs/content.hpp"
#include "dialogs/engine.hpp"

namespace mlpath::test {

// The built-in content, loaded once.
std::shared_ptr<const dialogs::content> builtin();
const dialogs::engine& builtin_engine();

// 2026-01-05T09:00:00Z plus an offset: a fixed clock for pure tests.
dialogs::timestamp t0(std::chrono::seconds offset = std::chrono::seconds(0));

// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& p);
void write_text(const std::filesystem::path& p, const std::string& text);

// A running child process with pipes to its stdin and from its stdout (stderr is kept
// separately). Lines are read with a deadline so a hung child fails the test instead of
// hanging it.
class child_process {
 public:
  // argv[0] is the program path. `env` entries ("NAME=value") are added to the environment.
  child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                bool drop_privileges = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void write_line(const std::string& line);
  void close_stdin();
  // The next stdout line, or nullopt at end of output or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until end of output; returns everything left.
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string read_stderr();
  void kill_hard();  // SIGKILL, as a crash would
  int wait();        // exit status (or 128 + signal)
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string buffer_;
  bool eof_ = false;
  std::optional<int> status_;
};

// Runs a program to completion with `input` on stdin.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};
run_result run(const std::vector<std::string>& argv, const std::string& input = {},
               const std::vector<std::string>& env = {}, bool drop_privileges = false);

// The base URL (http://127.0.0.1:PORT) `mlpath serve` announces on stdout once it
// accepts requests, in either log format; "" when it exits or stays silent.
std::string await_listening(child_process& serve, std::chrono::milliseconds timeout = std::chrono::seconds(20));

std::string mlpath_binary();

// A running `mlpath serve` with `env` added to the test's environment; the constructor
// waits until it listens.
class serve_process {
 public:
  explicit serve_process(const std::vector<std::string>& env);
  std::string url(const std::string& path) const { return base_ + path; }
  child_process& proc() { return *proc_; }
  // SIGTERM, then the exit status and how long the stop took.
  std::pair<int, std::chrono::milliseconds> terminate();

 private:
  std::unique_ptr<child_process> proc_;
  std::string base_;
};
std::string source_dir();

// The corpus of real platform payloads in ../shared/fixtures/<platform>.
std::filesystem::path shared_fixtures(const std::string& platform);
bool in_ci();  // CI=true

// The corpus lives outside the repository: without it a conformance test is skipped with
// a notice, except in CI, where it is required. (Use inside a TEST_CASE.)
#define MLPATH_REQUIRE_FIXTURES(platform)                                                       \
  do {                                                                                          \
    auto mlpath_fixtures_ = ::mlpath::test::shared_fixtures(platform);                          \
    if (!std::filesystem::is_directory(mlpath_fixtures_)) {                                     \
      if (::mlpath::test::in_ci())                                                              \
        FAIL("CI=true but the " << (platform) << " fixtures are missing: " << mlpath_fixtures_.string()); \
      WARN((platform) << " fixtures not found at " << mlpath_fixtures_.string()                 \
                      << "; skipping the conformance suite");                                   \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

}  // namespace mlpath::test
