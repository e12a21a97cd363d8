"""The interoperability project with Djoser 2.3.5, for the accounts checks.

Djoser as ``drf_parity`` mounts it (``SEND_ACTIVATION_EMAIL``, the same link templates,
``DOMAIN = "localhost:8000"``, Django's four password validators), emails kept in Django's
``locmem`` outbox. ``SECRET_KEY`` and ``PBKDF2_ITERATIONS`` come from the environment.
"""

import os

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["djoser"]

SECRET_KEY = os.environ.get("SECRET_KEY", "interop-checks-only-not-a-secret")
ROOT_URLCONF = "djsite.accounts_urls"
ALLOWED_HOSTS = ["testserver"]
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True},
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DOMAIN = "localhost:8000"
SITE_NAME = "localhost:8000"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation." + name}
    for name in [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}
DJOSER = {
    "SEND_ACTIVATION_EMAIL": True,
    "ACTIVATION_URL": "activate/{uid}/{token}",
    "PASSWORD_RESET_CONFIRM_URL": "password/reset/confirm/{uid}/{token}",
    "USERNAME_RESET_CONFIRM_URL": "username/reset/confirm/{uid}/{token}",
}
# The PBKDF2 iteration count both sides hash with.
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]
