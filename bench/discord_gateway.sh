#!/usr/bin/env bash
# Discord gateway dispatch cost: mlpath's gateway path vs a minimal Beast + simdjson client vs
# discord.js's gateway layer (@discordjs/ws 2.x), each on the identical stream.
#
# bench/gateway_feed is a fake Discord (REST + gateway) on loopback. For each client it serves
# GET /gateway/bot, Hello, READY and heartbeat ACKs, then streams real-shaped DM
# MESSAGE_CREATE dispatches as fast as the client's socket drains (at most a small window
# queued; see the feed's header) and reports dispatches per second, the client's CPU
# microseconds per dispatch (utime+stime from /proc/PID/stat, all threads, over the measured
# window: it keeps its meaning when the two shared cores are the limit), its RSS at the end of
# the run and its idle RSS (after READY, before the stream). The feed's own CPU is reported
# too: when feed_cpu_s + client_cpu_s is near 2 x duration, the cores, not the client, capped
# the rate.
#
# Runs (all DURATION seconds after WARMUP seconds of streaming):
#   minimal        bench/minimal_gateway_client (Beast + simdjson On-Demand, counts only)
#   mlpath_ignore  `mlpath serve` with DISCORD_BOT_TOKEN, every frame the echo of the bot's
#                  own message (--own-fraction 1): parse, route, ignore
#   discordjs      bench/peers/discordjs/client.js (WebSocketManager, a listener that counts)
#   mlpath_dialog  `mlpath serve`, every frame a person's typed DM (--own-fraction 0): each one
#                  a dialog turn (SQLite) and a reply queued for POST /channels/{id}/messages.
#                  The replies/s figure is capped by mlpath's REST client at Discord's global
#                  limit (50 requests/s, spaced 21 ms apart): the outbox grows during the run.
#
# Usage: bench/discord_gateway.sh > result.json     (progress on stderr, one JSON doc on stdout)
# Environment:
#   DURATION=10  WARMUP=2  IDLE=1   measured seconds, warm-up seconds, idle seconds before the
#                                   stream (idle RSS is read at its end)
#   BUILD_DIR=build                 CMake build directory (configured here if it is not yet)
#   BUILD_JOBS=1                    parallel jobs for the bench targets
#   MLPATH_BIN=$BUILD_DIR/mlpath    built (target mlpath) only when missing
#   SKIP_MINIMAL=1 / SKIP_MLPATH=1 / SKIP_DISCORDJS=1 / SKIP_DIALOG=1   leave a run out
# Needs cmake + a C++ toolchain, and node + npm for the discord.js peer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
IDLE="${IDLE:-1}"
BUILD_DIR="${BUILD_DIR:-build}"
BUILD_JOBS="${BUILD_JOBS:-1}"
MLPATH_BIN="${MLPATH_BIN:-$BUILD_DIR/mlpath}"
FEED="$BUILD_DIR/gateway_feed"
MINIMAL="$BUILD_DIR/minimal_gateway_client"
DJS_DIR="bench/peers/discordjs"

source "$ROOT/bench/lib.sh"
bench_start discord_gateway

# ------------------------------------------------------------------ helpers

build() {
  local targets=(gateway_feed)
  [[ -z "${SKIP_MINIMAL:-}" ]] && targets+=(minimal_gateway_client)
  if [[ -z "${SKIP_MLPATH:-}" && ! -x "$MLPATH_BIN" && "$MLPATH_BIN" == "$BUILD_DIR/mlpath" ]]; then
    targets+=(mlpath)
  fi
  cmake_build "${targets[@]}"
}

# start_feed NAME OWN_FRACTION: starts the feed in the background; sets FEED_PID, REST_URL,
# GATEWAY_URL. The client's pid goes to $TMP/NAME.pid once the caller has started it.
start_feed() {
  local name="$1" own="$2"
  rm -f "$TMP/$name.urls" "$TMP/$name.pid"
  "$FEED" --duration "$DURATION" --warmup "$WARMUP" --idle "$IDLE" --own-fraction "$own" \
    --url-file "$TMP/$name.urls" --pid-file "$TMP/$name.pid" \
    >"$TMP/$name.feed.json" 2>"$TMP/$name.feed.err" &
  FEED_PID=$!
  PIDS+=("$FEED_PID")
  wait_for_file "$TMP/$name.urls" "$FEED_PID" "$TMP/$name.feed.err"
  read -r REST_URL GATEWAY_URL <"$TMP/$name.urls"
}

# finish_run NAME CLIENT_PID [EXTRA]: hands the client's pid to the feed, waits for the
# feed's JSON, stops the client, prints the JSON (with EXTRA members appended). Not to be
# called in $(...): `wait` only works on this shell's own children.
finish_run() {
  local name="$1" pid="$2" extra="${3:-}" rc=0
  echo "$pid" >"$TMP/$name.pid.tmp" && mv "$TMP/$name.pid.tmp" "$TMP/$name.pid"
  wait "$FEED_PID" || rc=$?
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
  [[ -n "$extra" ]] && out="${out%\}},$extra}"
  log "$name: $out"
  # The two cores are shared: say so when something else ran during the window. (A client
  # that writes files also shows up here a little: the kernel's writeback threads.)
  local other
  other="$(json_field "$out" other_cpu_s)"
  if [[ -n "$other" ]] && awk -v o="$other" -v d="$DURATION" 'BEGIN { exit !(o > 0.1 * d) }'; then
    log "WARNING: $name: other processes used ${other} CPU-seconds during the ${DURATION}s window; rates are disturbed (CPU per dispatch less so)"
  fi
  if [[ -s "$TMP/$name.client.err" ]]; then
    log "$name client stderr: $(tail -n 3 "$TMP/$name.client.err" | tr '\n' ';')"
  fi
  printf '%s' "$out"
}

# ------------------------------------------------------------------ the clients

run_minimal() {
  start_feed minimal 1
  "$MINIMAL" --url "$GATEWAY_URL" >"$TMP/minimal.client.out" 2>"$TMP/minimal.client.err" &
  local pid=$!
  PIDS+=("$pid")
  log "minimal: pid $pid against $GATEWAY_URL"
  finish_run minimal "$pid"
}

mlpath_usable() {
  [[ -x "$MLPATH_BIN" ]] || { printf '{"skipped":"%s not found (set MLPATH_BIN)"}' "$MLPATH_BIN"; return 1; }
  local help
  help="$("$MLPATH_BIN" --help 2>/dev/null || true)"
  grep -qE '^[[:space:]]+serve([[:space:]]|$)' <<<"$help" ||
    { printf '{"skipped":"%s has no serve subcommand"}' "$MLPATH_BIN"; return 1; }
}

# run_mlpath NAME OWN_FRACTION
run_mlpath() {
  local name="$1" own="$2"
  mlpath_usable || return 0
  start_feed "$name" "$own"
  # The bot's application id is the feed's; the token is a dummy the feed accepts. Durable
  # inbox on (the default): the target is with it, not without.
  DISCORD_BOT_TOKEN=bench DISCORD_APPLICATION_ID=1045812384758349824 DISCORD_API_URL="$REST_URL" \
    MLPATH_DB="$TMP/$name.db" MLPATH_LISTEN=127.0.0.1:0 MLPATH_LOG_LEVEL=warn \
    "$MLPATH_BIN" serve >"$TMP/$name.client.out" 2>"$TMP/$name.client.err" &
  local pid=$!
  PIDS+=("$pid")
  log "$name: mlpath pid $pid, DISCORD_API_URL=$REST_URL, own fraction $own"
  finish_run "$name" "$pid"
}

run_discordjs() {
  command -v node >/dev/null || { printf '{"skipped":"node not found"}'; return 0; }
  if [[ ! -d "$DJS_DIR/node_modules/@discordjs/ws" ]]; then
    log "installing @discordjs/ws (npm ci in $DJS_DIR)"
    (cd "$DJS_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  start_feed discordjs 1
  GATEWAY_URL="$GATEWAY_URL" node "$DJS_DIR/client.js" >"$TMP/discordjs.client.out" 2>"$TMP/discordjs.client.err" &
  local pid=$!
  PIDS+=("$pid")
  log "discordjs: node pid $pid against $GATEWAY_URL"
  local version
  version="$(node -p "require('./$DJS_DIR/node_modules/@discordjs/ws/package.json').version")"
  finish_run discordjs "$pid" "$(printf '"version":"%s","node":"%s"' "$version" "$(node --version)")"
}

# ------------------------------------------------------------------ main

build
[[ -x "$FEED" ]] || die "$FEED was not built"

# Each run writes its JSON to a file rather than through $(...): a subshell would not see the
# PIDS it starts, and the EXIT trap could not stop them on failure.
for run in minimal mlpath_ignore discordjs mlpath_dialog; do echo '{"skipped":"SKIP set"}' >"$TMP/$run.json"; done
[[ -z "${SKIP_MINIMAL:-}" ]] && run_minimal >"$TMP/minimal.json"
[[ -z "${SKIP_MLPATH:-}" ]] && run_mlpath mlpath_ignore 1 >"$TMP/mlpath_ignore.json"
[[ -z "${SKIP_DISCORDJS:-}" ]] && run_discordjs >"$TMP/discordjs.json"
[[ -z "${SKIP_MLPATH:-}${SKIP_DIALOG:-}" ]] && run_mlpath mlpath_dialog 0 >"$TMP/mlpath_dialog.json"

minimal="$(<"$TMP/minimal.json")"
ignore="$(<"$TMP/mlpath_ignore.json")"
djs="$(<"$TMP/discordjs.json")"
dialog="$(<"$TMP/mlpath_dialog.json")"

c_min="$(json_field "$minimal" client_cpu_us_per_dispatch)"
c_ml="$(json_field "$ignore" client_cpu_us_per_dispatch)"
c_djs="$(json_field "$djs" client_cpu_us_per_dispatch)"
r_ml_min="$(ratio "$c_ml" "$c_min")"
r_djs_ml="$(ratio "$c_djs" "$c_ml")"
rss_ml="$(json_field "$ignore" client_rss_hwm_kib)"
met() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "null" || v == "") print "null"; else if (op == "le") print (v <= t ? "true" : "false"); else print (v >= t ? "true" : "false") }'; }

idle_json="$(printf '{"minimal":%s,"mlpath":%s,"discordjs":%s}' \
  "$(json_field "$minimal" client_idle_rss_kib | grep . || echo null)" \
  "$(json_field "$ignore" client_idle_rss_kib | grep . || echo null)" \
  "$(json_field "$djs" client_idle_rss_kib | grep . || echo null)")"

simd_kernel="$(sed -n 's/.*On-Demand kernel "\([^"]*\)".*/\1/p' "$TMP/minimal.client.err" 2>/dev/null || true)"
cxx_flags="$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:STRING=//p' "$BUILD_DIR/CMakeCache.txt") $(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$BUILD_DIR/CMakeCache.txt")"

printf '{"meta":{"date":"%s","nproc":%s,"duration_s":%s,"warmup_s":%s,"idle_s":%s,"generator":"bench/gateway_feed","cxx_flags":"%s","simdjson_kernel":"%s",%s},' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$DURATION" "$WARMUP" "$IDLE" "${cxx_flags% }" "${simd_kernel:-unknown}" "$(build_info)"
printf '"minimal":%s,"mlpath_ignore":%s,"mlpath_dialog":%s,"discordjs":%s,"idle_rss_kib":%s,' \
  "$minimal" "$ignore" "$dialog" "$djs" "$idle_json"
printf '"ratios":{"mlpath_ignore_cpu_per_minimal_cpu":%s,"discordjs_cpu_per_mlpath_ignore_cpu":%s},' "$r_ml_min" "$r_djs_ml"
printf '"targets":{"mlpath_within_25pct_of_minimal":%s,"mlpath_1_5x_cheaper_than_discordjs":%s,"mlpath_rss_under_20_mib":%s}}\n' \
  "$(met "$r_ml_min" le 1.25)" "$(met "$r_djs_ml" ge 1.5)" "$(met "${rss_ml:-}" le 20480)"
