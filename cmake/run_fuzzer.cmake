# Runs one libFuzzer target for a bounded time (make test). Invoked as
#   cmake -DFUZZER=<binary> -DSEEDS=<tests/fuzz/corpus/x> -DWORK=<dir> -DSECONDS=<n> -P run_fuzzer.cmake
# New inputs go to WORK/corpus (kept between runs, so coverage grows); the seed corpus in
# the source tree is only read. A crash fails the test and names the input that caused it.
file(MAKE_DIRECTORY "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          "-artifact_prefix=${WORK}/" "${WORK}/corpus" "${SEEDS}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${err}")
if(NOT rc EQUAL 0)
  file(GLOB found "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
  message("${err}")
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); reproduce with: ${FUZZER} ${found}")
endif()
message("${FUZZER}: no crash in ${SECONDS} s (${runs})")
