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
