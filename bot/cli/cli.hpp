#pragma once

namespace mlpath {

// The `mlpath` command line. Returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace mlpath
