#!/usr/bin/env bash
# Slack Socket Mode: mlpath serve vs Slack's Bolt for JavaScript (socketMode: true), each on the
# identical stream of events_api envelopes from one fake Slack.
#
# bench/socket_mode_feed is both the fake Web API (apps.connections.open hands out its own
# ws:// URL; auth.test, chat.postMessage, users.info, ... answer ok at once) and the fake Socket
# Mode server: hello, then real-shaped DM `message` envelopes (unique envelope_id and event_id,
# --users rotating people) with at most WINDOW unacknowledged, for DURATION seconds after WARMUP
# seconds. It reports acknowledgements per second, the send-to-acknowledgement latency
# (p50/p90/p99), and the client's CPU per acknowledgement (utime+stime from /proc/PID/stat over
# the measured window: it keeps its meaning when the two shared cores are the limit), its RSS
# at the end and its idle RSS before the stream. This script also reads the client's
# /proc/PID/stat before it connects and after the feed is done, and its VmRSS/VmHWM then, and
# adds them as "driver" (whole run: start-up, warm-up and window).
#
# Runs, for every WINDOW:
#   bolt             bench/peers/bolt/socket_mode.js: @slack/bolt (the version the peer pins),
#                    an app.event('message') handler that does nothing; Bolt acknowledges
#                    events_api envelopes itself before the listeners run
#   mlpath_ack_path  `mlpath serve` with SLACK_APP_TOKEN, the Web API unreachable except
#                    apps.connections.open (the feed resets every other call): auth.test never
#                    passes, so each envelope is parsed, stored durably in the inbox and
#                    acknowledged, and its turn waits (as in a Slack Web API outage). The figure
#                    comparable with Bolt's do-nothing handler (bench/slack_ack.sh's "ack path")
#   mlpath_full      the same with the Web API answering: every event also runs its dialog turn
#                    (SQLite), and its replies go to the fake as chat.postMessage calls, all on
#                    the one event-loop thread
#
# Usage: bench/socket_mode.sh > result.json     (progress on stderr, one JSON doc on stdout)
# Environment:
#   DURATION=10  WARMUP=2  IDLE=1   measured seconds, warm-up seconds, idle seconds before the
#                                   stream (idle RSS is read at its end)
#   WINDOWS="16 64"                 unacknowledged envelopes allowed in flight, one set of runs each
#   USERS=100000                    distinct senders (and DM channels) the envelopes rotate over: many,
#                                   so that mlpath_full sends every reply during the run (Slack allows
#                                   about one post per second per channel, and mlpath keeps to that)
#   BUILD_DIR=build                 CMake build directory (configured here if it is not yet)
#   BUILD_JOBS=1                    parallel jobs for the bench target
#   MLPATH_BIN=$BUILD_DIR/mlpath    built (target mlpath) only when missing
#   SKIP_BOLT=1 / SKIP_MLPATH=1 / SKIP_FULL=1   leave runs out
# Needs cmake + a C++ toolchain, and node + npm for the Bolt peer (installed with `npm ci` in
# bench/peers/bolt when its node_modules are missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
IDLE="${IDLE:-1}"
WINDOWS="${WINDOWS:-16 64}"
USERS="${USERS:-100000}"
BUILD_DIR="${BUILD_DIR:-build}"
BUILD_JOBS="${BUILD_JOBS:-1}"
MLPATH_BIN="${MLPATH_BIN:-$BUILD_DIR/mlpath}"
FEED="$BUILD_DIR/socket_mode_feed"
BOLT_DIR="bench/peers/bolt"

source "$ROOT/bench/lib.sh"
bench_start socket_mode

# ------------------------------------------------------------------ helpers

build() {
  local targets=(socket_mode_feed)
  if [[ -z "${SKIP_MLPATH:-}" && ! -x "$MLPATH_BIN" && "$MLPATH_BIN" == "$BUILD_DIR/mlpath" ]]; then
    targets+=(mlpath)
  fi
  cmake_build "${targets[@]}"
}

install_bolt() {
  command -v node >/dev/null || return 1
  if [[ ! -d "$BOLT_DIR/node_modules/@slack/bolt" ]]; then
    log "installing Bolt (npm ci in $BOLT_DIR)"
    (cd "$BOLT_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
}

# /proc readers for the driver's own whole-run figures.
cpu_ticks() {
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  s="${s##*) }"  # fields from 3 on (comm may hold spaces)
  awk '{ print $12 + $13 }' <<<"$s"  # utime (14) + stime (15)
}

# start_feed NAME WINDOW [FEED ARGS...]: starts the feed; sets FEED_PID, API_URL.
start_feed() {
  local name="$1" window="$2"
  shift 2
  rm -f "$TMP/$name.urls" "$TMP/$name.pid"
  "$FEED" --duration "$DURATION" --warmup "$WARMUP" --idle "$IDLE" --window "$window" --users "$USERS" "$@" \
    --url-file "$TMP/$name.urls" --pid-file "$TMP/$name.pid" \
    >"$TMP/$name.feed.json" 2>"$TMP/$name.feed.err" &
  FEED_PID=$!
  PIDS+=("$FEED_PID")
  wait_for_file "$TMP/$name.urls" "$FEED_PID" "$TMP/$name.feed.err"
  local socket_url
  read -r API_URL socket_url <"$TMP/$name.urls"
}

# finish_run NAME CLIENT_PID [EXTRA]: hands the client's pid to the feed, waits for the feed's
# JSON, reads the client's /proc figures, stops the client, prints the JSON with a "driver"
# member (and EXTRA members). Not to be called in $(...): `wait` only works on this shell's
# own children.
finish_run() {
  local name="$1" pid="$2" extra="${3:-}" rc=0 t0 t1 cpu0 cpu1 rss hwm
  t0="$(date +%s.%N)"
  cpu0="$(cpu_ticks "$pid")"
  echo "$pid" >"$TMP/$name.pid.tmp" && mv "$TMP/$name.pid.tmp" "$TMP/$name.pid"
  wait "$FEED_PID" || rc=$?
  t1="$(date +%s.%N)"
  cpu1="$(cpu_ticks "$pid")"
  rss="$(status_kib "$pid" VmRSS)"
  hwm="$(status_kib "$pid" VmHWM)"
  stop_process "$pid"
  local out
  out="$(<"$TMP/$name.feed.json")"
  if [[ $rc -ne 0 || -z "$out" ]]; then
    log "$name: feed failed (exit $rc); its stderr:"
    cat "$TMP/$name.feed.err" >&2
    log "$name: client stderr (last lines):"
    tail -n 5 "$TMP/$name.client.err" >&2 || true
    [[ -n "$out" ]] || out='{"error":"the feed printed nothing"}'
  fi
  local driver
  driver="$(awk -v c0="${cpu0:-}" -v c1="${cpu1:-}" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    -v rss="${rss:-null}" -v hwm="${hwm:-null}" 'BEGIN {
      cpu = (c0 == "" || c1 == "") ? "null" : sprintf("%.2f", (c1 - c0) / hz)
      printf "\"driver\":{\"seconds\":%.2f,\"client_cpu_s\":%s,\"client_rss_kib\":%s,\"client_rss_hwm_kib\":%s}", t1 - t0, cpu, rss, hwm
    }')"
  out="${out%\}},$driver${extra:+,$extra}}"
  log "$name: $out"
  local other
  other="$(json_field "$out" other_cpu_s)"
  if [[ -n "$other" ]] && awk -v o="$other" -v d="$DURATION" 'BEGIN { exit !(o > 0.1 * d) }'; then
    log "WARNING: $name: other processes used ${other} CPU-seconds during the ${DURATION}s window; rates are disturbed (CPU per acknowledgement less so)"
  fi
  if [[ -s "$TMP/$name.client.err" ]]; then
    log "$name client stderr ($(wc -l <"$TMP/$name.client.err") lines), last: $(tail -n 2 "$TMP/$name.client.err" | tr '\n' ';')"
  fi
  printf '%s' "$out"
}

# ------------------------------------------------------------------ the clients

run_bolt() {
  local window="$1" name="bolt_w$1"
  install_bolt || { printf '{"skipped":"node not found"}'; return 0; }
  start_feed "$name" "$window"
  SLACK_API_URL="$API_URL" SLACK_APP_TOKEN=xapp-1-ABENCH0001-1-bench SLACK_BOT_TOKEN=xoxb-bench \
    node "$BOLT_DIR/socket_mode.js" >"$TMP/$name.client.out" 2>"$TMP/$name.client.err" &
  local pid=$!
  PIDS+=("$pid")
  log "$name: node pid $pid, SLACK_API_URL=$API_URL, window $window"
  local version
  version="$(node -p "require('./$BOLT_DIR/node_modules/@slack/bolt/package.json').version")"
  finish_run "$name" "$pid" "$(printf '"version":"%s","socket_mode_version":"%s","node":"%s"' "$version" \
    "$(node -p "require('./$BOLT_DIR/node_modules/@slack/socket-mode/package.json').version")" "$(node --version)")"
}

mlpath_usable() {
  [[ -x "$MLPATH_BIN" ]] || { printf '{"skipped":"%s not found (set MLPATH_BIN)"}' "$MLPATH_BIN"; return 1; }
}

# run_mlpath NAME WINDOW [FEED ARGS...]
run_mlpath() {
  local name="$1_w$2" window="$2"
  shift 2
  mlpath_usable || return 0
  start_feed "$name" "$window" "$@"
  rm -f "$TMP/$name.db"*
  # Durable inbox on (the default, synchronous=NORMAL): every envelope is stored before it is
  # acknowledged. No signing secret: Socket Mode only.
  SLACK_APP_TOKEN=xapp-1-ABENCH0001-1-bench SLACK_BOT_TOKEN=xoxb-bench SLACK_API_URL="$API_URL" \
    MLPATH_DB="$TMP/$name.db" MLPATH_LISTEN=127.0.0.1:0 MLPATH_LOG_LEVEL=warn \
    "$MLPATH_BIN" serve >"$TMP/$name.client.out" 2>"$TMP/$name.client.err" &
  local pid=$!
  PIDS+=("$pid")
  log "$name: mlpath pid $pid, SLACK_API_URL=$API_URL, window $window${*:+ ($*)}"
  finish_run "$name" "$pid"
}

# ------------------------------------------------------------------ main

build
[[ -x "$FEED" ]] || die "$FEED was not built"

results=""
for w in $WINDOWS; do
  for run in bolt mlpath_ack_path mlpath_full; do echo '{"skipped":"SKIP set"}' >"$TMP/$run.json"; done
  [[ -z "${SKIP_BOLT:-}" ]] && run_bolt "$w" >"$TMP/bolt.json"
  [[ -z "${SKIP_MLPATH:-}" ]] && run_mlpath mlpath_ack_path "$w" --api-down >"$TMP/mlpath_ack_path.json"
  [[ -z "${SKIP_MLPATH:-}${SKIP_FULL:-}" ]] && run_mlpath mlpath_full "$w" >"$TMP/mlpath_full.json"
  bolt="$(<"$TMP/bolt.json")"
  ack="$(<"$TMP/mlpath_ack_path.json")"
  full="$(<"$TMP/mlpath_full.json")"
  # Ratios: > 1 means mlpath is better (faster, sooner, cheaper, smaller).
  ratios="$(printf '"ack_path_acks_per_s_vs_bolt":%s,"bolt_cpu_per_ack_vs_ack_path":%s,"bolt_p50_vs_ack_path":%s,"bolt_p99_vs_ack_path":%s,"full_acks_per_s_vs_bolt":%s,"bolt_cpu_per_ack_vs_full":%s,"bolt_rss_hwm_vs_ack_path":%s,"bolt_idle_rss_vs_mlpath":%s' \
    "$(ratio "$(json_field "$ack" acks_per_s)" "$(json_field "$bolt" acks_per_s)")" \
    "$(ratio "$(json_field "$bolt" client_cpu_us_per_ack)" "$(json_field "$ack" client_cpu_us_per_ack)")" \
    "$(ratio "$(json_field "$bolt" latency_p50_us)" "$(json_field "$ack" latency_p50_us)")" \
    "$(ratio "$(json_field "$bolt" latency_p99_us)" "$(json_field "$ack" latency_p99_us)")" \
    "$(ratio "$(json_field "$full" acks_per_s)" "$(json_field "$bolt" acks_per_s)")" \
    "$(ratio "$(json_field "$bolt" client_cpu_us_per_ack)" "$(json_field "$full" client_cpu_us_per_ack)")" \
    "$(ratio "$(json_field "$bolt" client_rss_hwm_kib)" "$(json_field "$ack" client_rss_hwm_kib)")" \
    "$(ratio "$(json_field "$bolt" client_idle_rss_kib)" "$(json_field "$ack" client_idle_rss_kib)")")"
  results+="${results:+,}$(printf '"%s":{"bolt":%s,"mlpath_ack_path":%s,"mlpath_full":%s,"ratios":{%s}}' \
    "$w" "$bolt" "$ack" "$full" "$ratios")"
done

cxx_flags="$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:STRING=//p' "$BUILD_DIR/CMakeCache.txt") $(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$BUILD_DIR/CMakeCache.txt")"
printf '{"meta":{"date":"%s","nproc":%s,"duration_s":%s,"warmup_s":%s,"idle_s":%s,"users":%s,"generator":"bench/socket_mode_feed","cxx_flags":"%s",%s},"windows":{%s}}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$DURATION" "$WARMUP" "$IDLE" "$USERS" "${cxx_flags% }" "$(build_info)" "$results"
