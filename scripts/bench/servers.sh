# Sourced by the benchmark scripts: a scratch directory `$work` and the servers they start,
# both removed on exit.
work=$(mktemp -d)
SERVER_PIDS=()
cleanup() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start <name> <command...>: run a server in the background with its output in $work/<name>.out
# and .err, wait (up to START_SECONDS, default 60) for "listening on http://…"; sets SERVER_PID
# and URL, and adds the server to SERVER_PIDS.
start() {
    local name=$1 tries
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    tries=$((${START_SECONDS:-60} * 4))
    for ((i = 0; i < tries; i++)); do
        URL=$(grep -o -m1 'listening on http://[^ ]*' "$work/$name.out" 2>/dev/null | cut -d' ' -f3 || true)
        [[ -n "$URL" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.25
    done
    cat "$work/$name.out" "$work/$name.err" >&2
    echo "$(basename "$0"): $name did not start" >&2
    exit 1
}
