"""Settings for the simplejwt interoperability checks: Django's auth, DRF and
djangorestframework-simplejwt with its blacklist app, configured as the
``drf_parity`` example configures ours (access and sliding tokens accepted,
refresh tokens rotated and the old ones blacklisted, HS256 with SECRET_KEY).

``SECRET_KEY`` and ``PBKDF2_ITERATIONS`` come from the environment, as the server under test
reads them, so that both sides sign with one key and hash alike.
"""

import os
from datetime import timedelta

from .settings import *  # noqa: F401,F403

SECRET_KEY = os.environ.get("SECRET_KEY", "interop-checks-only-not-a-secret")
ALLOWED_HOSTS = ["testserver"]
PASSWORD_HASHERS = ["djsite.hashers.ConfiguredPBKDF2PasswordHasher"]

INSTALLED_APPS = INSTALLED_APPS + [  # noqa: F405
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
]

SIMPLE_JWT = {
    "AUTH_TOKEN_CLASSES": (
        "rest_framework_simplejwt.tokens.AccessToken",
        "rest_framework_simplejwt.tokens.SlidingToken",
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
}

# The JWK_URL checks: tokens signed RS256 with JWT_SIGNING_KEY (a private PEM) and verified
# with the keys of the JWKS at JWT_JWK_URL, as a Django site trusting another issuer is set up.
if os.environ.get("JWT_JWK_URL"):
    SIMPLE_JWT.update(
        {
            "ALGORITHM": "RS256",
            "SIGNING_KEY": os.environ["JWT_SIGNING_KEY"],
            "JWK_URL": os.environ["JWT_JWK_URL"],
        }
    )

ROOT_URLCONF = "djsite.jwt_urls"
