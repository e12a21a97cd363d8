"""A minimal Django project used to check interoperability with the Rust crates."""

import json
import os
import sys

from .dburl import database_from_url


def setup(database_url):
    """Point the project at ``database_url`` and start Django (no migrations run)."""
    os.environ["INTEROP_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.settings"
    import django

    django.setup()


def load_manifest(program, url, manifest_path):
    """The JSON manifest at ``manifest_path``, once ``url`` is known to name a database Django can
    open as it is; ``None`` after printing why not on stderr as ``program`` (a usage error)."""
    try:
        database = database_from_url(url)
        if database["ENGINE"].endswith("sqlite3") and not os.path.isfile(database["NAME"]):
            # Django would create an empty file; a missing database is a usage error.
            raise OSError(f"no SQLite database at {database['NAME']}")
        with open(manifest_path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        print(f"{program}: {error}", file=sys.stderr)
        return None


def serve_commands(commands):
    """The command loop of the long-running check scripts: one JSON command per line on stdin
    (``{"cmd": name, ...}``), ``commands[name](command)``'s answer as one JSON line on stdout;
    an exception is answered ``{"error": "<type>: <message>"}`` (the test shows it)."""
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            answer = commands[command["cmd"]](command)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
