#!/usr/bin/env bash
# Instructions per request, endpoint by endpoint, counted by callgrind: the same binary, inputs
# and environment give the same counts whatever else the machine is doing, so two endpoints are
# compared exactly, and a profile says where the difference goes.
#
#   scripts/bench/instructions.sh                    # every endpoint below
#   scripts/bench/instructions.sh /knox/ /token/     # only these
#
# drf_parity (the `profiling` profile: release with line tables) runs on a fresh SQLite database
# with one worker under `valgrind --tool=callgrind`; each endpoint gets WARMUP requests, then the
# counters are zeroed, REQUESTS requests are made on one keep-alive connection, and the counts are
# dumped. The report gives instructions per request (the server's threads, the blocking pool's
# included) and each endpoint against /token/ and /bare/; the dumps stay in OUT_DIR for
# `callgrind_annotate` (default target/bench/callgrind).
#
# Environment: REQUESTS (default 1000), WARMUP (default 50), OUT_DIR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
REQUESTS=${REQUESTS:-1000}
WARMUP=${WARMUP:-50}
ENDPOINTS=("$@")
((${#ENDPOINTS[@]})) || ENDPOINTS=(/bare/ /open/ /token/ /knox/ /jwt/ /jwt-stateless/ /oauth/)

for tool in valgrind callgrind_control curl python3; do
    command -v "$tool" >/dev/null || { echo "instructions.sh: needs $tool" >&2; exit 2; }
done
cargo build --profile profiling -q -p examples --bin drf_parity
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/profiling/drf_parity"
OUT_DIR=${OUT_DIR:-$target/bench/callgrind}
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
# shellcheck source=scripts/bench/servers.sh
source "$root/scripts/bench/servers.sh"


export DATABASE_URL="$work/bench.sqlite3" SECRET_KEY="instructions-$RANDOM-$RANDOM" \
    JWT_ACCESS_TOKEN_LIFETIME=86400
USERNAME=bench PASSWORD="bench-password-$RANDOM"
"$bin" migrate >/dev/null
printf '%s\n' "$PASSWORD" | "$bin" createuser "$USERNAME" --password-stdin >/dev/null
TOKEN=$("$bin" create-token "$USERNAME" | sed -n 's/^Generated token \([0-9a-f]*\) for user .*/\1/p')
BASIC=$(printf '%s:%s' "$USERNAME" "$PASSWORD" | base64 -w0)
"$bin" createapplication confidential client-credentials --name bench --client-id bench-client \
    --client-secret bench-secret >/dev/null

# The credentials that need a password check (PBKDF2 is slow under valgrind) come from the
# same binary run natively on the same database.
BIND_ADDR=127.0.0.1:0 WORKERS=1 RUST_LOG=warn start native "$bin"
KNOX=$(curl -s -X POST -H "Authorization: Basic $BASIC" "$URL/knox/login/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
JWT=$(curl -s -H 'Content-Type: application/json' \
    -d "{\"username\": \"$USERNAME\", \"password\": \"$PASSWORD\"}" "$URL/api/token/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')
OAUTH=$(curl -s -u bench-client:bench-secret -d grant_type=client_credentials -d 'scope=read write' \
    "$URL/o/token/" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true

header_for() {
    case $1 in
    /token/ | /throttle/user/) echo "Token $TOKEN" ;;
    /knox/* | /knox/tokens/) echo "Token $KNOX" ;;
    /jwt/ | /jwt-stateless/) echo "Bearer $JWT" ;;
    /oauth/ | /oauth-rw/) echo "Bearer $OAUTH" ;;
    /basic/) echo "Basic $BASIC" ;;
    *) echo "" ;;
    esac
}

BIND_ADDR=127.0.0.1:0 WORKERS=1 RUST_LOG=warn START_SECONDS=600 \
    start callgrind valgrind --tool=callgrind --callgrind-out-file="$OUT_DIR/callgrind.out" "$bin"
CG_PID=$SERVER_PID
# requests <count> <path> <authorization>: keep-alive GETs, each of which must answer 200.
requests() {
    python3 - "$URL" "$@" <<'PY'
import http.client, sys, urllib.parse
url, count, path, authorization = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
parts = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
headers = {"Authorization": authorization} if authorization else {}
for _ in range(count):
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"{path}: {response.status} {body[:200]!r}")
PY
}

results="$work/results"
: >"$results"
for path in "${ENDPOINTS[@]}"; do
    authorization=$(header_for "$path")
    requests "$WARMUP" "$path" "$authorization"
    callgrind_control -z "$CG_PID" >/dev/null 2>&1
    requests "$REQUESTS" "$path" "$authorization"
    label=$(tr -c 'a-z0-9\n' '_' <<<"${path#/}" | sed 's/_*$//')
    before=$(ls "$OUT_DIR")
    callgrind_control -d "$label" "$CG_PID" >/dev/null 2>&1
    dump=""
    for ((i = 0; i < 100; i++)); do
        dump=$(comm -13 <(echo "$before") <(ls "$OUT_DIR") | head -n1)
        [[ -n "$dump" ]] && break
        sleep 0.2
    done
    [[ -n "$dump" ]] || { echo "instructions.sh: no dump for $path" >&2; exit 1; }
    mv "$OUT_DIR/$dump" "$OUT_DIR/$label.out"
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$OUT_DIR/$label.out")
    echo "$path $((total / REQUESTS))" >>"$results"
    printf '  %-16s %12d instructions per request\n' "$path" "$((total / REQUESTS))" >&2
done

python3 - "$results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
counts = {path: int(n) for path, n in rows}
print("| endpoint | instructions per request | ÷ /token/ | ÷ /bare/ |")
print("|---|---:|---:|---:|")
for path, n in counts.items():
    vs = lambda other: f"{n / counts[other]:.2f}" if other in counts else "–"
    print(f"| `{path}` | {n:,} | {vs('/token/')} | {vs('/bare/')} |")
PY
