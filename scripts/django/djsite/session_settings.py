"""The interoperability project with Django's sessions, for the session checks.

``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` (comma-separated) and ``SESSION_ENGINE`` (``db`` or
``signed_cookies``) come from the environment, as the server under test reads them.
"""

import os

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["django.contrib.sessions"]

SECRET_KEY = os.environ.get("SECRET_KEY", "interop-checks-only-not-a-secret")
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
SESSION_ENGINE = "django.contrib.sessions.backends." + os.environ.get("SESSION_ENGINE", "db")

ROOT_URLCONF = "djsite.session_urls"
# The test client's host.
ALLOWED_HOSTS = ["testserver"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# The PBKDF2 iteration count both sides hash with (the API's must match, or each side re-hashes
# the password at every login and so ends the other side's sessions): PBKDF2_ITERATIONS, Django
# 5.2's 1,000,000 when unset.
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]
