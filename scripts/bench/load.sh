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
# with the opt-in token cache (TOKEN_CACHE_TTL=5), on a second server. /throttle/user/ is /token/'s
# work plus UserRateThrottle (Basic tried first, then Token) with a budget too large to trip
# (THROTTLE_RATES=user=1000000/s), on the in-process store; /knox/ is django-rest-knox's token
# (KnoxTokenAuthentication + IsAuthenticated, one indexed query and one SHA-512) with a token from
# /knox/login/, beside /token/; /oauth/ is Django OAuth Toolkit's (OAuth2Authentication +
# TokenHasScope, one query) with a client-credentials token; with REDIS_URL set, a third server keeps
# the histories in Redis (CACHE_URL) and its /throttle/user/ and /token/ are loaded too. All servers
# (ours, ours with the cache, ours on Redis, DRF) run at once, each round loads every endpoint of every server in turn, and every
# ratio is between medians of the same run; the report also gives the main ratios round by round.
# Beside requests per second, each of our runs records the server's CPU time per request: on a
# machine busy with other work it still tells how the endpoints compare.
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
        sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
mkdir -p "$target/bench"
OUT=${OUT:-$target/bench/load.md}
# shellcheck source=scripts/bench/servers.sh
source "$root/scripts/bench/servers.sh"

USERNAME=bench
PASSWORD=bench-password-$RANDOM
export DATABASE_URL="$work/bench.sqlite3"
"$bin" migrate >/dev/null
printf '%s\n' "$PASSWORD" | "$bin" createuser "$USERNAME" --password-stdin >/dev/null
TOKEN=$("$bin" create-token "$USERNAME" | sed -n 's/^Generated token \([0-9a-f]*\) for user .*/\1/p')
[[ ${#TOKEN} == 40 ]] || { echo "load.sh: no token from create-token" >&2; exit 1; }
BASIC=$(printf '%s:%s' "$USERNAME" "$PASSWORD" | base64 -w0)
# A client-credentials application for /oauth/ (DOT's OAuth2Authentication + TokenHasScope).
"$bin" createapplication confidential client-credentials --name bench --client-id bench-client \
    --client-secret "$PASSWORD" >/dev/null


# The peak resident set (VmHWM) of process <pid>, in MiB.
peak_rss() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# expect <url> <header-or-empty>: the endpoint must answer 200 before it is loaded.
expect_ok() {
    local url=$1 header=$2 code
    if [[ -n "$header" ]]; then
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$header" "$url")
    else
        code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
    fi
    [[ $code == 200 ]] || { echo "load.sh: $url answered $code, not 200" >&2; exit 1; }
}

# cpu_ticks <pid>: the user and system CPU time of process <pid> so far, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
CLK_TCK=$(getconf CLK_TCK)

# load <label> <url> <duration> <connections> <header-or-empty>: one wrk run; appends
# "<round> <label> <req/s> <p99 ms> <server CPU µs per request, or ->" to $work/results (round 0:
# not a measured round). The CPU time is the server's own (ours and the cached one), which other
# work on the machine barely moves, where it takes requests per second down with it.
ROUND=0
load() {
    local label=$1 url=$2 duration=$3 connections=$4 header=$5 args=() report rps p99 bad pid=
    local before=0 requests cpu=-
    [[ -z "$header" ]] || args=(-H "$header")
    case $label in
    ours/*) pid=$OURS_PID ;;
    cached/*) pid=$CACHED_PID ;;
    esac
    [[ -z "$pid" ]] || before=$(cpu_ticks "$pid")
    report=$(wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s --latency "${args[@]}" "$url")
    if bad=$(grep -E 'Non-2xx|Socket errors' <<<"$report"); then
        echo "$report" >&2
        echo "load.sh: $label: $bad" >&2
        exit 1
    fi
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$report")
    p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' <<<"$report")
    if [[ -n "$pid" ]]; then
        requests=$(awk '/ requests in / { print $1 }' <<<"$report")
        cpu=$(awk -v t="$(($(cpu_ticks "$pid") - before))" -v hz="$CLK_TCK" -v n="$requests" \
            'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    fi
    echo "$ROUND $label $rps $p99 $cpu" >>"$work/results"
    printf '  %-18s %10.0f req/s   p99 %8s ms   server CPU %6s µs/request\n' "$label" "$rps" "$p99" "$cpu" >&2
}

# Every server runs for the whole benchmark, and each round loads every endpoint of every server
# in turn: a slow minute on a shared machine then slows both sides of a ratio alike.
TOKEN_HEADER="Authorization: Token $TOKEN"
BASIC_HEADER="Authorization: Basic $BASIC"
SECRET=$(head -c 32 /dev/urandom | base64 -w0)
RATES=user=1000000/s
echo "== drf_parity (default settings), $WORKERS workers, SQLite" >&2
# Access tokens that outlive the benchmark (simplejwt's default is 5 minutes).
BIND_ADDR=127.0.0.1:0 WORKERS=$WORKERS RUST_LOG=warn SECRET_KEY=$SECRET THROTTLE_RATES=$RATES \
    JWT_ACCESS_TOKEN_LIFETIME=86400 start ours "$bin"
OURS_PID=$SERVER_PID OURS_URL=$URL
# A simplejwt access token for /jwt/ (JWTAuthentication, one query) and /jwt-stateless/ (none).
JWT=$(curl -s -H 'Content-Type: application/json' \
    -d "{\"username\": \"$USERNAME\", \"password\": \"$PASSWORD\"}" "$OURS_URL/api/token/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')
JWT_HEADER="Authorization: Bearer $JWT"
if [[ -n "${REDIS_URL:-}" ]]; then
    echo "== drf_parity with CACHE_URL=\$REDIS_URL" >&2
    BIND_ADDR=127.0.0.1:0 WORKERS=$WORKERS RUST_LOG=warn SECRET_KEY=$SECRET THROTTLE_RATES=$RATES \
        CACHE_URL=$REDIS_URL CACHE_KEY_PREFIX="load-bench-$$-$RANDOM:" start redis "$bin"
    REDIS_SERVER_URL=$URL
    expect_ok "$REDIS_SERVER_URL/throttle/user/" "Authorization: Token $TOKEN"
fi
echo "== drf_parity with TOKEN_CACHE_TTL=5" >&2
BIND_ADDR=127.0.0.1:0 WORKERS=$WORKERS RUST_LOG=warn TOKEN_CACHE_TTL=5 SECRET_KEY=$SECRET \
    start cached "$bin"
CACHED_PID=$SERVER_PID CACHED_URL=$URL
for path in /bare/ /open/; do expect_ok "$OURS_URL$path" ""; done
expect_ok "$OURS_URL/token/" "$TOKEN_HEADER"
expect_ok "$OURS_URL/jwt/" "$JWT_HEADER"
expect_ok "$OURS_URL/jwt-stateless/" "$JWT_HEADER"
expect_ok "$OURS_URL/throttle/user/" "$TOKEN_HEADER"
expect_ok "$OURS_URL/basic/" "$BASIC_HEADER"
KNOX_TOKEN=$(curl -s -X POST -H "$BASIC_HEADER" "$OURS_URL/knox/login/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
KNOX_HEADER="Authorization: Token $KNOX_TOKEN"
expect_ok "$OURS_URL/knox/" "$KNOX_HEADER"
OAUTH_TOKEN=$(curl -s -u "bench-client:$PASSWORD" -d grant_type=client_credentials -d 'scope=read write' \
    "$OURS_URL/o/token/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
OAUTH_HEADER="Authorization: Bearer $OAUTH_TOKEN"
expect_ok "$OURS_URL/oauth/" "$OAUTH_HEADER"
expect_ok "$CACHED_URL/token/" "$TOKEN_HEADER"
if ((WITH_DRF)); then
    # shellcheck source=scripts/bench/drf.sh
    source "$root/scripts/bench/drf.sh"
    drf_start "$work"
    SERVER_PIDS+=("$SERVER_PID")
    DRF_PID=$SERVER_PID DRF_URL=$URL
    expect_ok "$DRF_URL/bare/" ""
    expect_ok "$DRF_URL/open/" ""
    expect_ok "$DRF_URL/token/" "Authorization: Token $DRF_TOKEN"
    expect_ok "$DRF_URL/basic/" "Authorization: Basic $DRF_BASIC"
fi

# The cheap endpoints: "<label> <url> <header>" per line.
cheap="ours/bare $OURS_URL/bare/ -
ours/open $OURS_URL/open/ -
ours/token $OURS_URL/token/ $TOKEN_HEADER
ours/knox $OURS_URL/knox/ $KNOX_HEADER
ours/oauth $OURS_URL/oauth/ $OAUTH_HEADER
ours/jwt $OURS_URL/jwt/ $JWT_HEADER
ours/jwt-stateless $OURS_URL/jwt-stateless/ $JWT_HEADER
ours/throttle-user $OURS_URL/throttle/user/ $TOKEN_HEADER
cached/bare $CACHED_URL/bare/ -
cached/token $CACHED_URL/token/ $TOKEN_HEADER"
if [[ -n "${REDIS_SERVER_URL:-}" ]]; then
    cheap+="
redis/token $REDIS_SERVER_URL/token/ $TOKEN_HEADER
redis/throttle-user $REDIS_SERVER_URL/throttle/user/ $TOKEN_HEADER"
fi
if ((WITH_DRF)); then
    cheap+="
drf/bare $DRF_URL/bare/ -
drf/open $DRF_URL/open/ -
drf/token $DRF_URL/token/ Authorization: Token $DRF_TOKEN"
fi
for url in "$OURS_URL" "$CACHED_URL" ${DRF_URL:+"$DRF_URL"}; do
    load warmup "$url/bare/" 2 "$CONNECTIONS" ""
done
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    echo "round $ROUND/$ROUNDS" >&2
    while read -r -u 3 label url header; do
        [[ "$header" != - ]] || header=
        load "$label" "$url" "$DURATION" "$CONNECTIONS" "$header"
    done 3<<<"$cheap"
done
ROUND=0
# PBKDF2 takes every core: as many connections as workers keeps the queue short. Then four times
# as many, so that concurrent checks can share a core (DRF's sync workers just queue).
load ours/basic "$OURS_URL/basic/" "$BASIC_DURATION" "$WORKERS" "$BASIC_HEADER"
load ours/basic-busy "$OURS_URL/basic/" "$BASIC_DURATION" "$((4 * WORKERS))" "$BASIC_HEADER"
if ((WITH_DRF)); then
    load drf/basic "$DRF_URL/basic/" "$BASIC_DURATION" "$WORKERS" "Authorization: Basic $DRF_BASIC"
    load drf/basic-busy "$DRF_URL/basic/" "$BASIC_DURATION" "$((4 * WORKERS))" "Authorization: Basic $DRF_BASIC"
fi
OURS_RSS=$(peak_rss "$OURS_PID")
CACHED_RSS=$(peak_rss "$CACHED_PID")
if ((WITH_DRF)); then
    SERVER_PID=$DRF_PID
    DRF_RSS=$(drf_rss)
fi

python3 - "$work/results" "$OUT" "$WORKERS" "$CONNECTIONS" "$DURATION" "$ROUNDS" "$OURS_RSS" "$CACHED_RSS" "${DRF_RSS:-}" "${DRF_ITERATIONS:-}" <<'PY'
import statistics, sys
from collections import defaultdict

results, out, workers, conns, duration, rounds, ours_rss, cached_rss, drf_rss, drf_iters = sys.argv[1:]
rps, p99, cpu = defaultdict(list), defaultdict(list), defaultdict(list)
by_round = defaultdict(dict)  # round -> label -> req/s
for line in open(results):
    rnd, label, r, p, c = line.split()
    if label != "warmup":
        rps[label].append(float(r))
        p99[label].append(float(p))
        if c != "-":
            cpu[label].append(float(c))
        if rnd != "0":
            by_round[int(rnd)][label] = float(r)
med = {k: statistics.median(v) for k, v in rps.items()}
lat = {k: statistics.median(v) for k, v in p99.items()}
cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
OUR_ITERATIONS = 1_500_000

lines = [
    f"Load benchmark: {workers} server workers, wrk -t1 -c{conns}, {duration} s per run, "
    f"median of {rounds} rounds, each loading every endpoint of every server in turn "
    f"(/basic/: one run, -c{workers}; "
    f"/basic-busy/: one run, -c{4 * int(workers)}).",
    "",
    "| endpoint | req/s | p99 (ms) | × /bare/ (same server) | server CPU (µs/request) |" + (" × DRF |" if "drf/bare" in med else ""),
    "|---|---:|---:|---:|---:|" + ("---:|" if "drf/bare" in med else ""),
]
def row(label, base):
    ratio = med[label] / med[base] if base in med else float("nan")
    used = f"{cpu_med[label]:.1f}" if label in cpu_med else "–"
    text = f"| {label} | {med[label]:.0f} | {lat[label]:.2f} | {ratio:.3f} | {used} |"
    if "drf/bare" in med:
        name = label.split("/", 1)[1]
        drf = med.get(f"drf/{name}")
        text += f" {med[label] / drf:.1f} |" if drf and not label.startswith("drf/") else " |"
    return text
for label in ["ours/bare", "ours/open", "ours/token", "ours/knox", "ours/oauth", "ours/jwt", "ours/jwt-stateless", "ours/throttle-user", "ours/basic", "ours/basic-busy", "cached/bare", "cached/token"]:
    if label in med:
        lines.append(row(label, label.split("/")[0] + "/bare"))
for label in ["redis/token", "redis/throttle-user"]:
    if label in med:
        lines.append(row(label, "ours/bare"))
for label in ["drf/bare", "drf/open", "drf/token", "drf/basic", "drf/basic-busy"]:
    if label in med:
        lines.append(row(label, "drf/bare"))
lines.append("")
# The same ratios within each round (its runs minutes apart at most), to show their spread.
spread = [
    ("/open/ ÷ /bare/", "ours/open", "ours/bare"),
    ("/token/ ÷ /bare/", "ours/token", "ours/bare"),
    ("/knox/ ÷ /token/ (target ≥ 1)", "ours/knox", "ours/token"),
    ("/oauth/ ÷ /token/ (target ≥ 1)", "ours/oauth", "ours/token"),
    ("/jwt-stateless/ ÷ /bare/ (target ≥ 0.9)", "ours/jwt-stateless", "ours/bare"),
    ("/jwt/ ÷ /token/ (target ≥ 1)", "ours/jwt", "ours/token"),
    ("cached /token/ ÷ /bare/", "cached/token", "cached/bare"),
    ("/token/ ÷ DRF /token/", "ours/token", "drf/token"),
    ("/throttle/user/ ÷ /token/", "ours/throttle-user", "ours/token"),
    ("Redis /throttle/user/ ÷ Redis server's /token/", "redis/throttle-user", "redis/token"),
]
for name, a, b in spread:
    ratios = [r[a] / r[b] for _, r in sorted(by_round.items()) if a in r and r.get(b)]
    if len(ratios) > 1:
        lines.append(
            f"Per round, {name}: " + ", ".join(f"{x:.2f}" for x in ratios)
            + f" (median {statistics.median(ratios):.2f}, min {min(ratios):.2f})."
        )
for name, a, b in spread[2:6] + spread[-2:]:
    if a in med and b in med:
        line = f"Medians, {name}: {med[a] / med[b]:.3f}"
        if a in cpu_med and b in cpu_med:
            # Throughput goes as the inverse of the CPU a request takes.
            line += f"; by server CPU per request, {cpu_med[b] / cpu_med[a]:.3f}"
        lines.append(line + ".")
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
