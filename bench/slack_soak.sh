#!/usr/bin/env bash
# Slack soak: 50 connections of signed events for 30 s against `mlpath serve`, then proof
# that nothing was lost: every event the load generator saw acknowledged is in mlpath's
# inbox, processed, and its replies were accepted by the (fake) Web API; no request failed;
# resident memory stays flat after the warm-up. A benchmark, not a timed test.
#
# Usage: bench/slack_soak.sh > soak.json      (progress on stderr, one JSON object on stdout)
# Environment: DURATION=30 CONNECTIONS=50 WARMUP=5 USERS=20000 BUILD=build
# Needs: the build directory (cmake configured), sqlite3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-30}"
CONNECTIONS="${CONNECTIONS:-50}"
WARMUP="${WARMUP:-5}"
USERS="${USERS:-20000}"
BUILD="${BUILD:-build}"
MLPATH_BIN="${MLPATH_BIN:-$BUILD/mlpath}"

source "$ROOT/bench/lib.sh"
bench_start slack_soak
command -v sqlite3 >/dev/null || die "sqlite3 is required (deploy/install-deps.sh installs it)"

cmake --build "$BUILD" --target mlpath slack_load fake_web_api >&2

SECRET="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# HTTP GET over bash's /dev/tcp: the body of http://127.0.0.1:PORT/PATH.
http_get() {
  local port="$1" path="$2"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

"$BUILD/fake_web_api" >"$TMP/api.out" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^port ' "$TMP/api.out" 2>/dev/null && break; sleep 0.05; done
API_PORT="$(awk '/^port / {print $2}' "$TMP/api.out")"
[ -n "$API_PORT" ] || die "fake_web_api did not start"

DB="$TMP/soak.db"
MLPATH_DB="$DB" MLPATH_LISTEN=127.0.0.1:0 MLPATH_LOG_LEVEL=warn MLPATH_LOG_FORMAT=json \
  SLACK_SIGNING_SECRET="$SECRET" SLACK_BOT_TOKEN=xoxb-soak SLACK_API_URL="http://127.0.0.1:$API_PORT/api/" \
  "$MLPATH_BIN" serve >"$TMP/mlpath.out" 2>"$TMP/mlpath.err" &
MLPATH_PID=$!
PIDS+=($MLPATH_PID)
for _ in $(seq 200); do grep -q 'listening on' "$TMP/mlpath.out" 2>/dev/null && break; sleep 0.05; done
PORT="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$TMP/mlpath.out" | head -1 | sed 's/.*://')"
[ -n "$PORT" ] || die "mlpath did not start: $(cat "$TMP/mlpath.err")"
for _ in $(seq 100); do http_get "$PORT" /readyz | grep -q '"ready":true' && break; sleep 0.1; done
IDLE_RSS="$(rss_kib "$MLPATH_PID")"
log "mlpath on port $PORT (pid $MLPATH_PID), idle RSS $IDLE_RSS KiB; $CONNECTIONS connections for ${WARMUP}+${DURATION} s"

# Resident memory once a second while the load runs.
( t=0; while kill -0 "$MLPATH_PID" 2>/dev/null; do echo "$t $(rss_kib "$MLPATH_PID")"; sleep 1; t=$((t+1)); done ) \
  >"$TMP/rss.txt" 2>/dev/null &
SAMPLER=$!
PIDS+=($SAMPLER)

"$BUILD/slack_load" --url "http://127.0.0.1:$PORT/slack/events" --secret "$SECRET" --connections "$CONNECTIONS" \
  --duration "$DURATION" --warmup "$WARMUP" --users "$USERS" --cpu-pid "$MLPATH_PID" --rss-pid "$MLPATH_PID" \
  --acked-file "$TMP/acked.txt" >"$TMP/load.json"
kill "$SAMPLER" 2>/dev/null || true
log "load done: $(cat "$TMP/load.json")"

# Wait until every stored event is processed and every reply sent (the outbox drains).
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN {printf "%.2f", b - a}'; }
DRAIN_START=$(now_s)
for _ in $(seq 600); do
  metrics="$(http_get "$PORT" /metrics)"
  depth="$(printf '%s\n' "$metrics" | awk '$1 == "mlpath_outbox_depth" {print $2}')"
  pending="$(sqlite3 "file:$DB?mode=ro" 'SELECT count(*) FROM inbox WHERE processed_at IS NULL' 2>/dev/null || echo 1)"
  [ "$depth" = "0" ] && [ "$pending" = "0" ] && break
  sleep 0.5
done
DRAIN_S="$(elapsed "$DRAIN_START")"

# Every acknowledged event in the inbox, processed.
sqlite3 "$TMP/acked.db" "CREATE TABLE acked (event_id TEXT PRIMARY KEY);" 
sqlite3 "$TMP/acked.db" ".import $TMP/acked.txt acked"
ACKED="$(sqlite3 "$TMP/acked.db" 'SELECT count(*) FROM acked')"
read -r MISSING UNPROCESSED < <(sqlite3 -separator ' ' "$TMP/acked.db" \
  "ATTACH 'file:$DB?mode=ro' AS m;
   SELECT (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM m.inbox i WHERE i.source = 'slack' AND i.event_id = a.event_id)),
          (SELECT count(*) FROM acked a JOIN m.inbox i ON i.source = 'slack' AND i.event_id = a.event_id WHERE i.processed_at IS NULL);")
read -r SENT UNSENT FAILED < <(sqlite3 -separator ' ' "file:$DB?mode=ro" \
  "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL),
          count(*) FILTER (WHERE failed_at IS NOT NULL) FROM outbox;")
POSTS="$(http_get "$API_PORT" /stats)"

# Memory: after the warm-up against the end of the run.
read -r RSS_WARM RSS_END RSS_MAX < <(awk -v w="$WARMUP" '$1 >= w && first == "" {first = $2} {last = $2; if ($2 > max) max = $2}
                                       END {print first, last, max}' "$TMP/rss.txt")
GROWTH="$(awk -v a="$RSS_WARM" -v b="$RSS_END" 'BEGIN {printf "%.1f", (a > 0 ? (b - a) * 100 / a : 0)}')"
FLAT="$(awk -v g="$GROWTH" 'BEGIN {print (g <= 10 ? "true" : "false")}')"

# A graceful stop to finish.
STOP_START=$(now_s)
kill -TERM "$MLPATH_PID"
set +e
wait "$MLPATH_PID"
EXIT=$?
set -e
STOP_S="$(elapsed "$STOP_START")"

ERRORS="$(sed 's/.*"errors":\([0-9]*\).*/\1/' "$TMP/load.json")"
NON2XX="$(sed 's/.*"non_2xx":\([0-9]*\).*/\1/' "$TMP/load.json")"
OK="$( [ "$ERRORS" = 0 ] && [ "$NON2XX" = 0 ] && [ "$MISSING" = 0 ] && [ "$UNPROCESSED" = 0 ] && [ "$UNSENT" = 0 ] \
       && [ "$FAILED" = 0 ] && [ "$FLAT" = true ] && [ "$EXIT" = 0 ] && echo true || echo false)"
cat <<JSON
{"benchmark":"slack_soak","connections":$CONNECTIONS,"warmup_s":$WARMUP,"duration_s":$DURATION,
 "load":$(cat "$TMP/load.json"),
 "acknowledged_events":$ACKED,"missing_from_inbox":$MISSING,"unprocessed":$UNPROCESSED,
 "replies":{"sent":$SENT,"unsent":$UNSENT,"failed":$FAILED},"web_api_calls":$POSTS,"drain_s":$DRAIN_S,
 "rss_kib":{"idle":$IDLE_RSS,"after_warmup":$RSS_WARM,"end":$RSS_END,"max":$RSS_MAX,"growth_pct":$GROWTH},
 "memory_flat":$FLAT,"sigterm_exit":$EXIT,"stop_s":$STOP_S,"pass":$OK}
JSON
