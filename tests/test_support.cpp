#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "bot/content/content_loader.hpp"

extern char** environ;

namespace mlpath::test {

std::shared_ptr<const dialogs::content> builtin() {
  static std::shared_ptr<const dialogs::content> c = loader::load_content_or_throw("");
  return c;
}

const dialogs::engine& builtin_engine() {
  static dialogs::engine e(builtin());
  return e;
}

dialogs::timestamp t0(std::chrono::seconds offset) {
  return dialogs::timestamp(std::chrono::seconds(1767603600)) + offset;  // 2026-01-05T09:00:00Z
}

temp_dir::temp_dir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto p = base / ("mlpath-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::error_code ec;
    if (std::filesystem::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

child_process::child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                             bool drop_privileges) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  // Build everything the child needs before fork: only async-signal-safe calls after it.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : env) {
    auto name = e.substr(0, e.find('=') + 1);
    std::erase_if(env_strings, [&](const std::string& s) { return s.rfind(name, 0) == 0; });
    env_strings.push_back(e);
  }
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (drop_privileges && geteuid() == 0) {
      // Root ignores file permissions; run as nobody so a read-only file is read-only.
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
    }
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  in_ = in_pipe[1];
  out_ = out_pipe[0];
  err_ = err_pipe[0];
  signal(SIGPIPE, SIG_IGN);
}

child_process::~child_process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  for (int fd : {in_, out_, err_})
    if (fd >= 0) close(fd);
}

void child_process::write_line(const std::string& line) {
  std::string s = line + "\n";
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(in_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("writing to the child failed");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void child_process::close_stdin() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (eof_) {
      if (buffer_.empty()) return std::nullopt;
      std::string rest = std::move(buffer_);
      buffer_.clear();
      return rest;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) eof_ = true;
    else buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string child_process::read_all(std::chrono::milliseconds timeout) {
  std::string all;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (auto line = read_line(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())))
    all += *line + "\n";
  return all;
}

std::string child_process::read_stderr() {
  std::string all;
  char buf[4096];
  while (true) {
    pollfd p{err_, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    ssize_t n = ::read(err_, buf, sizeof buf);
    if (n <= 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  return all;
}

void child_process::kill_hard() {
  if (pid_ > 0 && !status_) ::kill(pid_, SIGKILL);
}

int child_process::wait() {
  if (status_) return *status_;
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return *status_;
}

run_result run(const std::vector<std::string>& argv, const std::string& input, const std::vector<std::string>& env,
               bool drop_privileges) {
  child_process p(argv, env, drop_privileges);
  if (!input.empty()) {
    // Small inputs fit in the pipe buffer; tests keep them small.
    std::string s = input;
    if (s.back() == '\n') s.pop_back();
    p.write_line(s);
  }
  p.close_stdin();
  run_result r;
  r.out = p.read_all();
  r.err = p.read_stderr();
  r.status = p.wait();
  return r;
}

serve_process::serve_process(const std::vector<std::string>& env) {
  proc_ = std::make_unique<child_process>(std::vector<std::string>{mlpath_binary(), "serve"}, env);
  base_ = await_listening(*proc_);
  if (base_.empty()) throw std::runtime_error("mlpath serve did not start listening: " + proc_->read_stderr());
}

std::pair<int, std::chrono::milliseconds> serve_process::terminate() {
  auto t = std::chrono::steady_clock::now();
  ::kill(proc_->pid(), SIGTERM);
  int status = proc_->wait();
  return {status, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)};
}

std::string await_listening(child_process& serve, std::chrono::milliseconds timeout) {
  static const std::regex announced(R"(listening on (http://[0-9.:\[\]a-f]+:[0-9]+))");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    auto line = serve.read_line(left);
    if (!line) return {};
    std::smatch m;
    if (std::regex_search(*line, m, announced)) return m[1];
  }
}

std::string mlpath_binary() { return MLPATH_BINARY; }
std::string source_dir() { return MLPATH_SOURCE_DIR; }

std::filesystem::path shared_fixtures(const std::string& platform) {
  return std::filesystem::path(source_dir()) / ".." / "shared" / "fixtures" / platform;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

}  // namespace mlpath::test
