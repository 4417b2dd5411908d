# The fuzz targets cannot be built here (no clang that links libFuzzer): a notice, except
# in CI (CI=true), where deploy/install-deps.sh has installed clang and fuzzing is required.
if("$ENV{CI}" STREQUAL "true")
  message(FATAL_ERROR "CI=true but no clang++ with libFuzzer was found; deploy/install-deps.sh installs clang and libclang-rt-14-dev")
endif()
message("notice: fuzzing skipped: no clang++ that links -fsanitize=fuzzer was found (deploy/install-deps.sh installs it)")
