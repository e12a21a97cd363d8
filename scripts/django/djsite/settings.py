"""Settings for the interoperability project: Django's auth and DRF's authtoken, nothing else.

The database comes from ``INTEROP_DATABASE_URL`` (see ``dburl.py``); the default is a SQLite file
next to this project.
"""

import os
from pathlib import Path

from .dburl import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

# Only signs things this project never issues (sessions, password reset tokens).
SECRET_KEY = "interop-checks-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework.authtoken",
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("INTEROP_DATABASE_URL", str(BASE_DIR / "db.sqlite3"))
    )
}

# Django's default list, spelled out: every hash below must verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

USE_TZ = True
TIME_ZONE = "UTC"
