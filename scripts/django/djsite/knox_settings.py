"""The interoperability project with django-rest-knox 5.1.0, for the knox checks (tests/tests/knox.rs).

``KNOX_TOKEN_LIMIT_PER_USER`` (unset: knox's default, no limit), ``KNOX_AUTO_REFRESH`` (``1``) and
``KNOX_TOKEN_TTL_SECONDS`` (unset: knox's ten hours) come from the environment, as the server under
test is configured.
"""

import os
from datetime import timedelta

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["knox"]

ROOT_URLCONF = "djsite.knox_urls"
ALLOWED_HOSTS = ["testserver"]
MIDDLEWARE = []

# Fast logins: the checks create users on both sides.
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
}

_limit = os.environ.get("KNOX_TOKEN_LIMIT_PER_USER")
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=int(os.environ.get("KNOX_TOKEN_TTL_SECONDS", "36000"))),
    "TOKEN_LIMIT_PER_USER": int(_limit) if _limit else None,
    "AUTO_REFRESH": os.environ.get("KNOX_AUTO_REFRESH") == "1",
}
