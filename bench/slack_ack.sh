#!/usr/bin/env bash
# Slack ack benchmark: mlpath serve vs Slack's Bolt for JavaScript under identical load.
#
# Both servers get signed, unique-event_id DM `message` events on POST /slack/events over
# loopback from bench/slack_load (a native generator: autocannon tops out near 20k req/s here,
# which would cap the figure being measured). For each server and each connection count:
# acknowledged requests/s, ack latency percentiles, the server's CPU per acknowledged request
# (from /proc/PID/stat: it keeps its meaning when the shared 2 cores are the limit) and RSS;
# plus idle RSS measured before any load. For mlpath also end-to-end turns/s: replies
# accepted by a fake Slack Web API (bench/fake_slack_api.js) per second.
#
# Usage: bench/slack_ack.sh > result.json       (progress on stderr, one JSON doc on stdout)
# Environment:
#   DURATION=10  WARMUP=2  CONNECTIONS="10 50 100"   per-run measured seconds, warm-up, levels
#   MLPATH_BIN=build/mlpath     the mlpath binary; its half is skipped if absent or if it has
#                               no `serve` subcommand
#   SLACK_LOAD=build/slack_load built from bench/slack_load.cpp when missing or stale
#   SKIP_BOLT=1 / SKIP_MLPATH=1 run only one half
# Needs only bash, node and g++ (for slack_load). No curl, no Python: HTTP checks use /dev/tcp.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-10 50 100}"
MLPATH_BIN="${MLPATH_BIN:-build/mlpath}"
SLACK_LOAD="${SLACK_LOAD:-build/slack_load}"
BOLT_DIR="bench/peers/bolt"

source "$ROOT/bench/lib.sh"
bench_start slack_ack

command -v node >/dev/null || die "node is required (Debian: apt-get install nodejs npm)"

# A fresh random secret per run: nothing here is a credential, and nothing can be replayed.
SECRET="$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')"

# ------------------------------------------------------------------ helpers

build_generator() {
  if [[ ! -x "$SLACK_LOAD" || bench/slack_load.cpp -nt "$SLACK_LOAD" || bench/bench_support.hpp -nt "$SLACK_LOAD" ]]; then
    log "building $SLACK_LOAD"
    mkdir -p "$(dirname "$SLACK_LOAD")"
    g++ -O2 -std=c++20 bench/slack_load.cpp -lcrypto -o "$SLACK_LOAD"
  fi
  # Check the signer against Slack's documented test vector before trusting any figure.
  local vec="$ROOT/../shared/fixtures/slack/commands/signing_vector.json"
  if [[ -f "$vec" ]]; then
    local secret ts body expected got
    secret="$(sed -n 's/.*"signing_secret": *"\([^"]*\)".*/\1/p' "$vec")"
    ts="$(sed -n 's/.*"x_slack_request_timestamp": *"\([^"]*\)".*/\1/p' "$vec")"
    body="$(dirname "$vec")/$(sed -n 's/.*"body_file": *"\([^"]*\)".*/\1/p' "$vec")"
    expected="$(sed -n 's/.*"expected_x_slack_signature": *"\([^"]*\)".*/\1/p' "$vec")"
    got="$("$SLACK_LOAD" --secret "$secret" --sign "$ts" "$body")"
    [[ "$got" == "$expected" ]] || die "slack_load signs Slack's test vector as $got, expected $expected"
  fi
}

free_port() {
  # Bind port 0 and report what the kernel chose. Racy in theory, fine on a bench machine.
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# http_body PORT PATH: the body of GET PATH (small responses, Content-Length, Connection: close).
http_body() {
  local fd line
  exec {fd}<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&"$fd"
  while IFS= read -r -t 2 line <&"$fd" && [[ "$line" != $'\r' ]]; do :; done
  IFS= read -r -t 2 line <&"$fd" || true
  exec {fd}>&-
  printf '%s' "$line"
}

# wait_for_line FILE PID TEXT ERRFILE: until FILE has a line TEXT (the server's "ready").
wait_for_line() {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -qx "$3" "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || died_with "$4" "process $2 exited before printing '$3'"
    sleep 0.1
  done
  died_with "$4" "process $2 did not print '$3' within 20 s"
}

# wait_for_http PORT PATH PID ERRFILE: until GET PATH answers 200.
wait_for_http() {
  local i
  for ((i = 0; i < 200; i++)); do
    [[ "$(http_status "$1" "$2")" == 200 ]] && return 0
    kill -0 "$3" 2>/dev/null || died_with "$4" "process $3 exited before GET $2 answered 200"
    sleep 0.1
  done
  died_with "$4" "GET $2 on port $1 did not answer 200 within 20 s"
}

# load_levels NAME PORT PID: runs slack_load at every connection level, prints the JSON
# members "10":{...},"50":{...},... and warns about anything but clean 2xx.
load_levels() {
  local name="$1" port="$2" pid="$3" c out sep="" non2xx errors
  for c in $CONNECTIONS; do
    log "$name: $c connections, ${WARMUP}s warm-up + ${DURATION}s"
    out="$("$SLACK_LOAD" --url "http://127.0.0.1:$port/slack/events" --secret "$SECRET" \
      --connections "$c" --duration "$DURATION" --warmup "$WARMUP" \
      --cpu-pid "$pid" --rss-pid "$pid")"
    non2xx="$(json_field "$out" non_2xx)"
    errors="$(json_field "$out" errors)"
    if [[ "$non2xx" != 0 || "$errors" != 0 ]]; then
      log "WARNING: $name at $c connections: $non2xx non-2xx, $errors errors (401 = signing mismatch)"
    fi
    log "$name: $out"
    printf '%s"%s":%s' "$sep" "$c" "$out"
    sep=","
  done
}

# ------------------------------------------------------------------ Bolt

run_bolt() {
  if [[ ! -d "$BOLT_DIR/node_modules/@slack/bolt" ]]; then
    log "installing Bolt (npm ci in $BOLT_DIR)"
    (cd "$BOLT_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  local port pid
  port="$(free_port)"
  SLACK_SIGNING_SECRET="$SECRET" PORT="$port" node "$BOLT_DIR/server.js" \
    >"$TMP/bolt.out" 2>"$TMP/bolt.err" &
  pid=$!
  PIDS+=("$pid")
  wait_for_line "$TMP/bolt.out" "$pid" ready "$TMP/bolt.err"
  sleep 1  # let start-up garbage settle before reading idle RSS
  local idle
  idle="$(rss_kib "$pid")"
  log "bolt: listening on $port (pid $pid), idle RSS $idle KiB"
  local levels
  levels="$(load_levels bolt "$port" "$pid")"
  stop_process "$pid"
  [[ -s "$TMP/bolt.err" ]] && log "bolt stderr: $(sort "$TMP/bolt.err" | uniq -c | head -5 | tr '\n' ';')"
  printf '{%s,"idle_rss_kib":%s,"version":"%s"}' "$levels" "$idle" \
    "$(node -p "require('./$BOLT_DIR/node_modules/@slack/bolt/package.json').version")"
}

# ------------------------------------------------------------------ mlpath

# start_mlpath API_URL: starts `mlpath serve` on a free port against a Web API at API_URL
# (durable inbox on, the default); sets MLPATH_PORT and MLPATH_PID.
start_mlpath() {
  MLPATH_PORT="$(free_port)"
  rm -f "$TMP"/mlpath.db*
  MLPATH_LISTEN="127.0.0.1:$MLPATH_PORT" MLPATH_DB="$TMP/mlpath.db" MLPATH_LOG_LEVEL=error \
    SLACK_SIGNING_SECRET="$SECRET" SLACK_BOT_TOKEN=xoxb-bench SLACK_API_URL="$1" \
    "$MLPATH_BIN" serve >"$TMP/mlpath.out" 2>"$TMP/mlpath.err" &
  MLPATH_PID=$!
  PIDS+=("$MLPATH_PID")
  wait_for_http "$MLPATH_PORT" /healthz "$MLPATH_PID" "$TMP/mlpath.err"
}

# Three measurements:
#  full      acks while every event also runs its dialog turn and sends its replies to the
#            fake Web API on the same thread (what a deployment does);
#  ack_path  the same load while Slack's Web API is unreachable: events are verified,
#            stored durably and acknowledged, their turns wait (as during a Slack outage).
#            This is the figure comparable with Bolt's do-nothing handler;
#  end_to_end  TURNS events from distinct people (Slack's ~1 message/second per channel
#            would otherwise bound it), timed until the last reply reached the fake.
run_mlpath() {
  if [[ ! -x "$MLPATH_BIN" ]]; then
    printf '{"skipped":"%s not found (set MLPATH_BIN)"}' "$MLPATH_BIN"
    return
  fi
  local api_port api_pid
  api_port="$(free_port)"
  PORT="$api_port" node bench/fake_slack_api.js >"$TMP/api.out" 2>"$TMP/api.err" &
  api_pid=$!
  PIDS+=("$api_pid")
  wait_for_line "$TMP/api.out" "$api_pid" ready "$TMP/api.err"
  local api="http://127.0.0.1:$api_port/api/"

  start_mlpath "$api"
  wait_for_http "$MLPATH_PORT" /readyz "$MLPATH_PID" "$TMP/mlpath.err"
  sleep 1
  local idle
  idle="$(rss_kib "$MLPATH_PID")"
  log "mlpath: listening on $MLPATH_PORT (pid $MLPATH_PID), idle RSS $idle KiB"
  local full
  full="$(load_levels mlpath_full "$MLPATH_PORT" "$MLPATH_PID")"
  stop_process "$MLPATH_PID"

  # Nothing listens on this port: auth.test fails, so the service acknowledges and stores
  # but does not process.
  start_mlpath "http://127.0.0.1:$(free_port)/api/"
  local ack
  ack="$(load_levels mlpath_ack_path "$MLPATH_PORT" "$MLPATH_PID")"
  stop_process "$MLPATH_PID"

  start_mlpath "$api"
  wait_for_http "$MLPATH_PORT" /readyz "$MLPATH_PID" "$TMP/mlpath.err"
  local turns="${TURNS:-20000}" before start_ms load_out after last prev=-1 stable=0
  before="$(http_body "$api_port" /_stats)"
  start_ms="$(date +%s%3N)"
  load_out="$("$SLACK_LOAD" --url "http://127.0.0.1:$MLPATH_PORT/slack/events" --secret "$SECRET" \
    --connections 50 --requests "$turns" --warmup 0 --users "$turns" --cpu-pid "$MLPATH_PID")"
  log "mlpath end to end load: $load_out"
  # Until no new reply (chat.postMessage) for 2 s. Not any call: users.info for the new
  # people's time zones is paced at Slack's tier (~100 a minute) and goes on for minutes.
  while ((stable < 20)); do
    after="$(http_body "$api_port" /_stats)"
    last="$(json_field "$after" last_post_ms)"
    if [[ "$last" == "$prev" ]]; then ((stable += 1)); else stable=0; prev="$last"; fi
    sleep 0.1
  done
  local posts0 posts1 turns_json
  posts0="$(sed -n 's/.*"chat.postMessage":\([0-9]*\).*/\1/p' <<<"$before")"
  posts1="$(sed -n 's/.*"chat.postMessage":\([0-9]*\).*/\1/p' <<<"$after")"
  posts0="${posts0:-0}" posts1="${posts1:-0}"
  # A first message gets two posts (the greeting and the first question).
  turns_json="$(node -p "const n=$posts1-$posts0, s=($last-$start_ms)/1000;
    JSON.stringify({events:$turns, replies:n, seconds:+s.toFixed(3), turns_per_s:s>0?+($turns/s).toFixed(1):0})")"
  log "mlpath: end to end $turns_json"
  stop_process "$MLPATH_PID"
  stop_process "$api_pid"
  [[ -s "$TMP/mlpath.err" ]] && log "mlpath stderr (last lines): $(tail -3 "$TMP/mlpath.err" | tr '\n' ';')"
  printf '{"full":{%s},"ack_path":{%s},"idle_rss_kib":%s,"end_to_end":%s}' "$full" "$ack" "$idle" "$turns_json"
}

# ------------------------------------------------------------------ main

build_generator
# Each half writes its JSON to a file rather than through $(...): a subshell would not see
# the PIDS it starts, and the EXIT trap could not stop them on failure.
echo '{"skipped":"SKIP_BOLT set"}' >"$TMP/bolt.json"
echo '{"skipped":"SKIP_MLPATH set"}' >"$TMP/mlpath.json"
if [[ -z "${SKIP_BOLT:-}" ]]; then run_bolt >"$TMP/bolt.json"; fi
if [[ -z "${SKIP_MLPATH:-}" ]]; then run_mlpath >"$TMP/mlpath.json"; fi

printf '{"meta":{"date":"%s","nproc":%s,"node":"%s","duration_s":%s,"warmup_s":%s,"generator":"bench/slack_load"},"bolt":%s,"mlpath":%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(node --version)" "$DURATION" "$WARMUP" "$(<"$TMP/bolt.json")" "$(<"$TMP/mlpath.json")"
