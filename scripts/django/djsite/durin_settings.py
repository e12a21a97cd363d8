"""The interoperability project with Django-Rest-Durin 1.1.0, for the Durin checks
(``scripts/django/durin.py``, ``tests/tests/durin.rs``).

Durin's settings are its defaults, as in ``drf_parity``; its views are mounted at ``/durin/``
(``djsite/durin_urls.py``), authenticated by its ``TokenAuthentication``.
"""

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["durin"]

ROOT_URLCONF = "djsite.durin_urls"
# The test client's host.
ALLOWED_HOSTS = ["testserver"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["durin.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# Durin's migration 0002 makes both ids BigAutoField but its models name no primary key type:
# without this, Django would want a migration of its own for Durin (`makemigrations --check`).
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cheap logins: both sides hash with this count (PBKDF2_ITERATIONS, as for the session checks).
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]
