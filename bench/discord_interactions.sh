#!/usr/bin/env bash
# Discord interactions endpoint benchmark: signed button presses against `mlpath serve`.
#
# bench/interaction_load (built from bench/interaction_load.cpp) POSTs MESSAGE_COMPONENT
# interactions (type 3) to /discord/interactions over keep-alive loopback connections, one in
# flight per connection, each freshly Ed25519-signed with a key pair made for this run (mlpath
# gets the public half as DISCORD_PUBLIC_KEY) and carrying a unique interaction id. The press
# is the Start button (custom_id "cmd:start") of a mentor's share card in a server channel,
# from --users rotating members: each is a dialog turn in mlpath (verify, parse, SQLite turn,
# render, the ephemeral callback inline in the 200). For each connection count: answered
# presses per second, latency percentiles (send -> full response), mlpath's CPU per press
# (from /proc/PID/stat) and RSS; plus idle RSS before any load.
#
# Before the load the generator checks its signer against RFC 8032's test vector, and the
# endpoint once with a bad signature (must be 401) and once with a signed PING (200 {"type":1}).
#
# By default mlpath runs with DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID only (the
# interactions endpoint needs no bot token, see bot/config.cpp). WITH_GATEWAY=1 also gives it
# DISCORD_BOT_TOKEN and bench/gateway_feed (--no-stream) as Discord's REST API and an idle
# gateway, as in production; the feed's REST call counts are then reported under "api".
#
# Usage: bench/discord_interactions.sh > result.json   (progress on stderr, one JSON doc on stdout)
# Environment:
#   DURATION=10  WARMUP=2  CONNECTIONS="10 50"  USERS=1000
#   BUILD_DIR=build  BUILD_JOBS=1  MLPATH_BIN=$BUILD_DIR/mlpath (built only when missing)
#   WITH_GATEWAY=1   see above
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-10 50}"
USERS="${USERS:-1000}"
BUILD_DIR="${BUILD_DIR:-build}"
BUILD_JOBS="${BUILD_JOBS:-1}"
MLPATH_BIN="${MLPATH_BIN:-$BUILD_DIR/mlpath}"
LOAD="$BUILD_DIR/interaction_load"
FEED="$BUILD_DIR/gateway_feed"
APP_ID=1045812384758349824

source "$ROOT/bench/lib.sh"
bench_start discord_interactions

# ------------------------------------------------------------------ helpers

build() {
  local targets=(interaction_load)
  [[ -n "${WITH_GATEWAY:-}" ]] && targets+=(gateway_feed)
  if [[ ! -x "$MLPATH_BIN" && "$MLPATH_BIN" == "$BUILD_DIR/mlpath" ]]; then targets+=(mlpath); fi
  cmake_build "${targets[@]}"
  [[ -x "$MLPATH_BIN" ]] || die "$MLPATH_BIN not found (set MLPATH_BIN)"
  "$LOAD" --self-test || die "interaction_load's Ed25519 signer fails RFC 8032's test vector"
}

# ------------------------------------------------------------------ main

build
read -r PRIVATE_KEY PUBLIC_KEY < <("$LOAD" --keygen)
[[ ${#PUBLIC_KEY} -eq 64 ]] || die "key generation failed"

env_extra=()
feed_pid=""
mode="endpoint only: DISCORD_PUBLIC_KEY + DISCORD_APPLICATION_ID, no bot token"
if [[ -n "${WITH_GATEWAY:-}" ]]; then
  "$FEED" --no-stream --url-file "$TMP/feed.urls" >"$TMP/feed.json" 2>"$TMP/feed.err" &
  feed_pid=$!
  PIDS+=("$feed_pid")
  for ((i = 0; i < 100; i++)); do [[ -s "$TMP/feed.urls" ]] && break; sleep 0.1; done
  [[ -s "$TMP/feed.urls" ]] || died_with "$TMP/feed.err" "gateway_feed did not start"
  read -r REST_URL _ <"$TMP/feed.urls"
  env_extra=(DISCORD_BOT_TOKEN=bench DISCORD_API_URL="$REST_URL")
  mode="with DISCORD_BOT_TOKEN, REST and an idle gateway from bench/gateway_feed"
fi

env "${env_extra[@]}" DISCORD_PUBLIC_KEY="$PUBLIC_KEY" DISCORD_APPLICATION_ID="$APP_ID" \
  MLPATH_DB="$TMP/mlpath.db" MLPATH_LISTEN=127.0.0.1:0 MLPATH_LOG_LEVEL=warn \
  "$MLPATH_BIN" serve >"$TMP/mlpath.out" 2>"$TMP/mlpath.err" &
pid=$!
PIDS+=("$pid")
port=""
for ((i = 0; i < 200; i++)); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/mlpath.out" | head -1)"
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || died_with "$TMP/mlpath.err" "mlpath exited before listening"
  sleep 0.1
done
[[ -n "$port" ]] || died_with "$TMP/mlpath.err" "mlpath did not print its port within 20 s"
for ((i = 0; i < 200; i++)); do
  [[ "$(http_status "$port" /readyz)" == 200 ]] && break
  kill -0 "$pid" 2>/dev/null || died_with "$TMP/mlpath.err" "mlpath exited before /readyz answered 200"
  sleep 0.1
done
[[ "$(http_status "$port" /readyz)" == 200 ]] || died_with "$TMP/mlpath.err" "/readyz did not answer 200 within 20 s"
sleep 1
idle="$(rss_kib "$pid")"
log "mlpath: listening on $port (pid $pid, $mode), idle RSS $idle KiB"

levels="" sep=""
preflight=()
for c in $CONNECTIONS; do
  log "mlpath: $c connections, ${WARMUP}s warm-up + ${DURATION}s"
  out="$("$LOAD" --url "http://127.0.0.1:$port/discord/interactions" --private-key "$PRIVATE_KEY" \
    --connections "$c" --duration "$DURATION" --warmup "$WARMUP" --users "$USERS" \
    --cpu-pid "$pid" --rss-pid "$pid" "${preflight[@]}" 2>"$TMP/load.err")" || { cat "$TMP/load.err" >&2; die "interaction_load failed"; }
  grep -v '^interaction_load: first answer' "$TMP/load.err" >&2 || true
  preflight=(--no-preflight)  # once is enough
  non2xx="$(json_field "$out" non_2xx)"
  errors="$(json_field "$out" errors)"
  if [[ "$non2xx" != 0 || "$errors" != 0 ]]; then
    log "WARNING: $c connections: $non2xx non-2xx, $errors errors (401 = signature mismatch)"
  fi
  other="$(json_field "$out" other_cpu_s)"
  if [[ -n "$other" ]] && awk -v o="$other" -v d="$DURATION" 'BEGIN { exit !(o > 0.1 * d) }'; then
    log "WARNING: $c connections: other processes used ${other} CPU-seconds during the ${DURATION}s window; figures are disturbed"
  fi
  log "mlpath: $out"
  levels+="$sep\"$c\":$out"
  sep=","
done
sleep 1
rss_after="$(rss_kib "$pid")"
stop_process "$pid"
if [[ -s "$TMP/mlpath.err" ]]; then
  log "mlpath stderr ($(wc -l <"$TMP/mlpath.err") lines), last: $(tail -n 3 "$TMP/mlpath.err" | tr '\n' ';')"
fi

api='null'
if [[ -n "$feed_pid" ]]; then
  stop_process "$feed_pid"
  api="$(<"$TMP/feed.json")"
  [[ -n "$api" ]] || api='null'
fi

printf '{"meta":{"date":"%s","nproc":%s,"duration_s":%s,"warmup_s":%s,"users":%s,"generator":"bench/interaction_load","press":"MESSAGE_COMPONENT cmd:start on a share card in a server channel","mode":"%s",%s},"mlpath":{%s,"idle_rss_kib":%s,"rss_after_kib":%s},"api":%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$DURATION" "$WARMUP" "$USERS" "$mode" "$(build_info)" "$levels" "$idle" "${rss_after:-null}" "$api"
