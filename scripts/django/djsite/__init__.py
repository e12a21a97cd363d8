"""A minimal Django project used to check interoperability with the Rust crates."""

import os


def setup(database_url):
    """Point the project at ``database_url`` and start Django (no migrations run)."""
    os.environ["INTEROP_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.settings"
    import django

    django.setup()
