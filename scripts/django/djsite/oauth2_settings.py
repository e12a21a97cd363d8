"""Settings for the OAuth 2.0 interoperability checks: the interop project plus Django OAuth Toolkit.

DOT's defaults except the scopes, which are ``drf_parity``'s: ``read``, ``write`` and
``introspection``. The database comes from ``INTEROP_DATABASE_URL``.
"""

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["django.contrib.sessions", "oauth2_provider"]

OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Reading scope",
        "write": "Writing scope",
        "introspection": "Introspect token scope",
    },
}

# Sessions and users for DOT's AuthorizationView (login required).
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "djsite.oauth2_urls"
LOGIN_URL = "/login/"

# The PBKDF2 iteration count both sides hash passwords and client secrets with (PBKDF2_ITERATIONS;
# the checks use a small one to stay fast).
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]
