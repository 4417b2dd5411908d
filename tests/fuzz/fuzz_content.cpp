// Content files (MLPATH_CONTENT_DIR): one of the built-in files replaced by the input,
// validated with the rest, as `mlpath flow check` and start-up do. Every problem must come
// back as a file:line diagnostic, never a crash.
#include <cstdint>
#include <string>
#include <vector>

#include "bot/content/content_loader.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  static const std::vector<loader::content_file> builtin = loader::gather_content_files("");
  fuzz::input in(data, size);
  std::vector<loader::content_file> files = builtin;
  auto& target = files[in.byte() % files.size()];
  target.text = std::string(in.rest());
  auto outcome = loader::load_content(files);
  for (const auto& d : outcome.errors) (void)d.to_string();
  return 0;
}
