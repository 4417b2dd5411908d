# Sourced by the benchmark scripts: what they all need. Not run on its own.
# bench_start NAME sets up log/die (prefixed with NAME), a scratch directory $TMP removed at
# exit, and $PIDS: processes started there are stopped at exit (and on Ctrl-C).

bench_start() {
  BENCH_NAME="$1"
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}

log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# What was measured: the commit (+dirty when the tree has changes) and the mlpath binary's age.
build_info() {
  local rev mtime="null"
  rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]] && rev+="+dirty"
  [[ -e "$MLPATH_BIN" ]] && mtime="\"$(date -u -r "$MLPATH_BIN" +%Y-%m-%dT%H:%M:%SZ)\""
  printf '"git":"%s","mlpath_binary_mtime":%s' "$rev" "$mtime"
}

# cmake_build TARGET...: configures $BUILD_DIR (Release) when needed, then builds the targets
# with $BUILD_JOBS jobs.
cmake_build() {
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    log "configuring $BUILD_DIR (Release)"
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >&2
  fi
  log "building $* in $BUILD_DIR (-j${BUILD_JOBS:-1})"
  cmake --build "$BUILD_DIR" --target "$@" -j"${BUILD_JOBS:-1}" >&2
}

# http_status PORT PATH: the status code of GET PATH, or nothing if unreachable.
http_status() {
  local fd line
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&"$fd"
  IFS= read -r -t 2 line <&"$fd" || true
  exec {fd}>&-
  line="${line#HTTP/1.? }"
  printf '%s' "${line%% *}"
}

died_with() {
  log "last lines of $1:"
  tail -n 5 "$1" >&2 || true
  die "$2"
}

# wait_for_file FILE PID LOG: until FILE has content; dies if PID exits first (showing LOG).
wait_for_file() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$1" ]] && return 0
    kill -0 "$2" 2>/dev/null || { tail -n 5 "$3" >&2 || true; die "process $2 exited before writing $1"; }
    sleep 0.1
  done
  die "$1 did not appear within 10 s"
}

stop_process() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# status_kib PID KEY: a kB figure of /proc/PID/status (VmRSS, VmHWM, ...); rss_kib PID.
status_kib() { sed -n "s/^$2:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$1/status" 2>/dev/null || true; }
rss_kib() { status_kib "$1" VmRSS; }
# json_field JSON KEY: a number field of a one-line JSON object.
json_field() { sed -n "s/.*\"$2\":\\([0-9.]*\\).*/\\1/p" <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "null"; else printf "%.2f", a / b }'; }
