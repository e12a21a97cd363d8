"""The interoperability project with Djoser 2.3.5 and dj-rest-auth 7.2.0, for the accounts checks.

Djoser as ``drf_parity`` mounts it (``SEND_ACTIVATION_EMAIL``, the same link templates,
``DOMAIN = "localhost:8000"``, Django's four password validators), and dj-rest-auth with its
defaults (token mode, ``SESSION_LOGIN``; signed-cookie sessions, which need no table), its reset
email Django's admin template linking to ``password-reset/confirm/<uid>/<token>/``. Emails are kept
in Django's ``locmem`` outbox, or go to ``EMAIL_HOST``:``EMAIL_PORT`` by SMTP when ``EMAIL_PORT``
is set. ``SECRET_KEY`` and ``PBKDF2_ITERATIONS`` come from the environment.
"""

import os

import django

from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = INSTALLED_APPS + ["django.contrib.sessions", "djoser", "dj_rest_auth"]

SECRET_KEY = os.environ.get("SECRET_KEY", "interop-checks-only-not-a-secret")
ROOT_URLCONF = "djsite.accounts_urls"
ALLOWED_HOSTS = ["testserver", "localhost"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# Django's password reset email is the admin's template; its directory is enough.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "DIRS": [os.path.join(os.path.dirname(django.__file__), "contrib", "admin", "templates")],
    },
]
if os.environ.get("EMAIL_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
    EMAIL_PORT = int(os.environ["EMAIL_PORT"])
else:
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
