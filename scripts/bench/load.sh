#!/usr/bin/env bash
# Load benchmark: drf_parity on a fresh SQLite database, loaded with wrk.
#
#   scripts/bench/load.sh                 # ours only
#   scripts/bench/load.sh --drf           # and Django REST framework under gunicorn, same run
#
# Environment: DURATION (seconds per measurement, default 10), ROUNDS (default 3; the median of
# the rounds is reported), CONNECTIONS (default 32), WORKERS (server workers, default 2; gunicorn
# gets the same number), BASIC_DURATION (default 10), OUT (markdown report file, default
# target/bench/load.md).
#
# /bare/ is a handler with no authentication at all; /open/ goes through the pipeline anonymously
# (AllowAny); /token/ is TokenAuthentication + IsAuthenticated with a valid key; /basic/ is
# BasicAuthentication + IsAuthenticated with a valid password (PBKDF2 at its default iteration
# count, so it measures the hash). /token/ is measured twice: with the default configuration and
# with the opt-in token cache (TOKEN_CACHE_TTL=5). The rounds interleave the endpoints, and every
# ratio is between medians of the same run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-2}
BASIC_DURATION=${BASIC_DURATION:-10}
WITH_DRF=0
for arg in "$@"; do
    case "$arg" in
    --drf) WITH_DRF=1 ;;
    -h | --help)
        sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "load.sh: unknown argument $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

if ! command -v wrk >/dev/null; then
    echo "load.sh: installing wrk" >&2
    if [[ $(id -u) == 0 ]]; then apt-get install -y -qq wrk >&2; else sudo apt-get install -y -qq wrk >&2; fi
fi

cargo build --release -q -p examples --bin drf_parity
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/release/drf_parity"
work=$(mktemp -d)
mkdir -p "$target/bench"
OUT=${OUT:-$target/bench/load.md}
SERVER_PID=
cleanup() {
    [[ -z "$SERVER_PID" ]] || kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

USERNAME=bench
PASSWORD=bench-password-$RANDOM
export DATABASE_URL="$work/bench.sqlite3"
"$bin" migrate >/dev/null
"$bin" createuser "$USERNAME" --password "$PASSWORD" >/dev/null
TOKEN=$("$bin" create-token "$USERNAME" | sed -n 's/^Generated token \([0-9a-f]*\) for user .*/\1/p')
[[ ${#TOKEN} == 40 ]] || { echo "load.sh: no token from create-token" >&2; exit 1; }
BASIC=$(printf '%s:%s' "$USERNAME" "$PASSWORD" | base64 -w0)

# start <name> <command...>: run a server in the background, wait for "listening on http://…".
start() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    SERVER_PID=$!
    for ((i = 0; i < 240; i++)); do
        URL=$(grep -o -m1 'listening on http://[^ ]*' "$work/$name.out" 2>/dev/null | cut -d' ' -f3 || true)
        [[ -n "$URL" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.25
    done
    cat "$work/$name.out" "$work/$name.err" >&2
    echo "load.sh: $name did not start" >&2
    exit 1
}

stop() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# The peak resident set of the running server (VmHWM), in MiB.
peak_rss() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# expect <path> <header-or-empty>: the endpoint must answer 200 before it is loaded.
expect_ok() {
    local path=$1 header=$2 code
    if [[ -n "$header" ]]; then
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$header" "$URL$path")
    else
        code=$(curl -s -o /dev/null -w '%{http_code}' "$URL$path")
    fi
    [[ $code == 200 ]] || { echo "load.sh: $URL$path answered $code, not 200" >&2; exit 1; }
}

# load <label> <path> <duration> <connections> <header-or-empty>: one wrk run; appends
# "<label> <req/s> <p99 ms>" to $work/results.
load() {
    local label=$1 path=$2 duration=$3 connections=$4 header=$5 args=() report rps p99 bad
    [[ -z "$header" ]] || args=(-H "$header")
    report=$(wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s --latency "${args[@]}" "$URL$path")
    if bad=$(grep -E 'Non-2xx|Socket errors' <<<"$report"); then
        echo "$report" >&2
        echo "load.sh: $label: $bad" >&2
        exit 1
    fi
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$report")
    p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' <<<"$report")
    echo "$label $rps $p99" >>"$work/results"
    printf '  %-14s %10.0f req/s   p99 %8s ms\n' "$label" "$rps" "$p99" >&2
}

# Warm up, then ROUNDS interleaved rounds of the cheap endpoints, then /basic/ once.
measure() {
    local prefix=$1 basic_header=$2 token_header=$3 cheap_paths=$4 i
    load warmup /bare/ 2 "$CONNECTIONS" ""
    for ((i = 1; i <= ROUNDS; i++)); do
        echo "round $i/$ROUNDS" >&2
        for entry in $cheap_paths; do
            case "$entry" in
            bare) load "$prefix/bare" /bare/ "$DURATION" "$CONNECTIONS" "" ;;
            open) load "$prefix/open" /open/ "$DURATION" "$CONNECTIONS" "" ;;
            token) load "$prefix/token" /token/ "$DURATION" "$CONNECTIONS" "$token_header" ;;
            esac
        done
    done
    # PBKDF2 takes every core: as many connections as workers keeps the queue short. Then four
    # times as many, so that concurrent checks can share a core (DRF's sync workers just queue).
    load "$prefix/basic" /basic/ "$BASIC_DURATION" "$WORKERS" "$basic_header"
    load "$prefix/basic-busy" /basic/ "$BASIC_DURATION" "$((4 * WORKERS))" "$basic_header"
}

echo "== drf_parity (default settings), $WORKERS workers, SQLite" >&2
BIND_ADDR=127.0.0.1:0 WORKERS=$WORKERS RUST_LOG=warn SECRET_KEY=$(head -c 32 /dev/urandom | base64 -w0) \
    start ours "$bin"
for path in /bare/ /open/; do expect_ok "$path" ""; done
expect_ok /token/ "Authorization: Token $TOKEN"
expect_ok /basic/ "Authorization: Basic $BASIC"
measure ours "Authorization: Basic $BASIC" "Authorization: Token $TOKEN" "bare open token"
OURS_RSS=$(peak_rss)
stop

echo "== drf_parity with TOKEN_CACHE_TTL=5" >&2
BIND_ADDR=127.0.0.1:0 WORKERS=$WORKERS RUST_LOG=warn TOKEN_CACHE_TTL=5 SECRET_KEY=$(head -c 32 /dev/urandom | base64 -w0) \
    start cached "$bin"
expect_ok /token/ "Authorization: Token $TOKEN"
load warmup /bare/ 2 "$CONNECTIONS" ""
for ((i = 1; i <= ROUNDS; i++)); do
    echo "round $i/$ROUNDS" >&2
    load cached/bare /bare/ "$DURATION" "$CONNECTIONS" ""
    load cached/token /token/ "$DURATION" "$CONNECTIONS" "Authorization: Token $TOKEN"
done
CACHED_RSS=$(peak_rss)
stop

if ((WITH_DRF)); then
    # shellcheck source=scripts/bench/drf.sh
    source "$root/scripts/bench/drf.sh"
    drf_start "$work"
    expect_ok /bare/ ""
    expect_ok /open/ ""
    expect_ok /token/ "Authorization: Token $DRF_TOKEN"
    expect_ok /basic/ "Authorization: Basic $DRF_BASIC"
    measure drf "Authorization: Basic $DRF_BASIC" "Authorization: Token $DRF_TOKEN" "bare open token"
    DRF_RSS=$(drf_rss)
    drf_stop
fi

python3 - "$work/results" "$OUT" "$WORKERS" "$CONNECTIONS" "$DURATION" "$ROUNDS" "$OURS_RSS" "$CACHED_RSS" "${DRF_RSS:-}" "${DRF_ITERATIONS:-}" <<'PY'
import statistics, sys
from collections import defaultdict

results, out, workers, conns, duration, rounds, ours_rss, cached_rss, drf_rss, drf_iters = sys.argv[1:]
rps, p99 = defaultdict(list), defaultdict(list)
for line in open(results):
    label, r, p = line.split()
    if label != "warmup":
        rps[label].append(float(r))
        p99[label].append(float(p))
med = {k: statistics.median(v) for k, v in rps.items()}
lat = {k: statistics.median(v) for k, v in p99.items()}
OUR_ITERATIONS = 1_500_000

lines = [
    f"Load benchmark: {workers} server workers, wrk -t1 -c{conns}, {duration} s per run, "
    f"median of {rounds} interleaved rounds (/basic/: one run, -c{workers}; "
    f"/basic-busy/: one run, -c{4 * int(workers)}).",
    "",
    "| endpoint | req/s | p99 (ms) | × /bare/ (same server) |" + (" × DRF |" if "drf/bare" in med else ""),
    "|---|---:|---:|---:|" + ("---:|" if "drf/bare" in med else ""),
]
def row(label, base):
    ratio = med[label] / med[base] if base in med else float("nan")
    text = f"| {label} | {med[label]:.0f} | {lat[label]:.2f} | {ratio:.3f} |"
    if "drf/bare" in med:
        name = label.split("/", 1)[1]
        drf = med.get(f"drf/{name}")
        text += f" {med[label] / drf:.1f} |" if drf and not label.startswith("drf/") else " |"
    return text
for label in ["ours/bare", "ours/open", "ours/token", "ours/basic", "ours/basic-busy", "cached/bare", "cached/token"]:
    if label in med:
        lines.append(row(label, label.split("/")[0] + "/bare"))
for label in ["drf/bare", "drf/open", "drf/token", "drf/basic", "drf/basic-busy"]:
    if label in med:
        lines.append(row(label, "drf/bare"))
lines.append("")
lines.append(f"Peak RSS of drf_parity (VmHWM): {ours_rss} MiB default, {cached_rss} MiB with the token cache.")
if drf_rss:
    lines.append(f"Peak RSS of the DRF gunicorn workers (sum of VmHWM): {drf_rss} MiB.")
for name, conns_used in [("basic", int(workers)), ("basic-busy", 4 * int(workers))]:
    if med.get(f"drf/{name}") and drf_iters:
        ours = med[f"ours/{name}"] * OUR_ITERATIONS
        theirs = med[f"drf/{name}"] * int(drf_iters)
        lines.append(
            f"PBKDF2 iterations per second through /basic/ at -c{conns_used}: ours {ours / 1e6:.1f} M "
            f"({OUR_ITERATIONS} per request), DRF {theirs / 1e6:.1f} M ({drf_iters} per request): "
            f"{ours / theirs:.2f}×."
        )
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
echo "(written to $OUT)" >&2
