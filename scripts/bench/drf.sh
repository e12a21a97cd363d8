# The Django REST framework side of scripts/bench/load.sh (sourced by it with --drf): DRF 3.18 on
# Django 5.2 under gunicorn (sync workers, as many as ours), SQLite, startproject's middleware.
# Installs its own virtualenv (.venv-bench, from scripts/bench/requirements.txt) from PyPI.
# Defines drf_start <work dir> and drf_rss; drf_start sets URL, SERVER_PID, DRF_TOKEN,
# DRF_BASIC and DRF_ITERATIONS.

drf_python() {
    local venv="$root/.venv-bench" requirements="$root/scripts/bench/requirements.txt" want
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
        echo "load.sh: installing $requirements into $venv" >&2
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
        echo "$want" >"$venv/.requirements.sha256"
    fi
    echo "$venv/bin/python"
}

drf_start() {
    local work=$1 python port setup
    python=$(drf_python)
    export PYTHONPATH="$root/scripts/bench" DJANGO_SETTINGS_MODULE=benchsite.settings
    export BENCH_DATABASE="$work/drf.sqlite3"
    setup=$("$python" -m benchsite.setup "$USERNAME" "$PASSWORD")
    DRF_TOKEN=${setup% *}
    DRF_ITERATIONS=${setup#* }
    DRF_BASIC=$BASIC
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "== DRF $("$python" -c 'import rest_framework; print(rest_framework.VERSION)') on Django $("$python" -m django --version) under gunicorn, $WORKERS workers, SQLite" >&2
    "$(dirname "$python")/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$port" \
        --log-level warning benchsite.wsgi >"$work/drf.out" 2>"$work/drf.err" &
    SERVER_PID=$!
    URL="http://127.0.0.1:$port"
    for ((i = 0; i < 120; i++)); do
        curl -s -o /dev/null "$URL/bare/" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.5
    done
    cat "$work/drf.err" >&2
    echo "load.sh: gunicorn did not start" >&2
    exit 1
}

# The master's and its workers' peak resident sets, summed, in MiB.
drf_rss() {
    local pid total=0 kb
    for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID"); do
        kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
        total=$((total + kb))
    done
    awk -v kb="$total" 'BEGIN { printf "%.1f", kb / 1024 }'
}
