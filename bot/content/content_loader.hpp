#pragma once
// Loads and validates the content files. Every problem is reported as `file:line:
// message`; content is only handed out when there are none.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialogs/content.hpp"

namespace mlpath::loader {

struct content_file {
  std::string name;  // shown in diagnostics
  std::string text;
};

struct diagnostic {
  std::string file;
  std::size_t line = 0;
  std::string message;
  std::string to_string() const;  // "file:line: message"
};

// The built-in files, each replaced by the same-named file from `override_path` when
// that is a directory, or by `override_path` itself when it is a file. An empty path
// means the built-in files only. Throws std::runtime_error when the path is unreadable.
std::vector<content_file> gather_content_files(const std::string& override_path);

struct load_outcome {
  std::shared_ptr<const dialogs::content> loaded;  // null when there are errors
  std::vector<diagnostic> errors;
};

load_outcome load_content(const std::vector<content_file>& files);

// Thrown by load_content_or_throw; what() holds every diagnostic, one per line.
class content_error : public std::runtime_error {
 public:
  explicit content_error(std::vector<diagnostic> errors);
  const std::vector<diagnostic>& errors() const { return errors_; }

 private:
  std::vector<diagnostic> errors_;
};

std::shared_ptr<const dialogs::content> load_content_or_throw(const std::string& override_path);

}  // namespace mlpath::loader
