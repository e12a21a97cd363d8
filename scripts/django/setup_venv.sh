#!/usr/bin/env bash
# Create (or reuse) the Django virtualenv for the interoperability checks and print its python.
#
#   DJANGO_PYTHON=$(scripts/django/setup_venv.sh)
#
# The venv lives in .venv at the repository root (git-ignored). It is rebuilt only when
# requirements.txt changed or the venv is broken, so a second run takes about a second.
# Needs python3 with venv, and for mysqlclient a C compiler, pkg-config and libmariadb-dev.
# Progress goes to stderr; stdout is only the python path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.venv"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python=${PYTHON:-python3}

want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c 'import django, rest_framework, argon2, bcrypt, psycopg, MySQLdb' 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi

echo "setup_venv: installing $requirements into $venv" >&2
rm -f "$stamp"
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/python" -c 'import django, rest_framework, argon2, bcrypt, psycopg, MySQLdb' >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
