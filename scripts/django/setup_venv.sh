#!/usr/bin/env bash
# Create (or reuse) a Django virtualenv for the interoperability checks and print its python.
#
#   DJANGO_PYTHON=$(scripts/django/setup_venv.sh)        # Django + DRF: .venv
#   KNOX_PYTHON=$(scripts/django/setup_venv.sh knox)     # plus a package family: .venv-knox
#
# A family's venv holds requirements.txt plus requirements-<family>.txt: some packages cannot be
# installed side by side (knox and Durin both ship a `TokenAuthentication`-style app with clashing
# settings and migrations), so each family gets its own venv, as a Django project would.
# Each venv lives at the repository root (git-ignored) and is rebuilt only when its requirements
# changed or it is broken, so a second run takes about a second.
# Needs python3 with venv, and for mysqlclient a C compiler, pkg-config and libmariadb-dev.
# Progress goes to stderr; stdout is only the python path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
family=${1:-}
python=${PYTHON:-python3}
check='import django, rest_framework, argon2, bcrypt, psycopg, MySQLdb'
files=("$here/requirements.txt")
venv="$root/.venv"
if [[ -n "$family" ]]; then
    extra="$here/requirements-$family.txt"
    [[ -f "$extra" ]] || { echo "setup_venv: no $extra" >&2; exit 2; }
    files+=("$extra")
    venv="$root/.venv-$family"
    # each family file names, on its first line, the module that proves it installed: `# import: knox`
    module=$(sed -n '1s/^# import: *//p' "$extra")
    [[ -n "$module" ]] && check="$check, $module"
fi
stamp="$venv/.requirements.sha256"

want=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c "$check" 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi

echo "setup_venv: installing ${files[*]} into $venv" >&2
rm -f "$stamp"
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
for file in "${files[@]}"; do
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$file" >&2
done
"$venv/bin/python" -c "$check" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
