"""Django 5.2 and DRF 3.18's own answers to the requests of the outside audit.

Prints a JSON list on stdout: one entry per case, in the order of CASES, with Django's status,
body and the headers that matter (Content-Type, WWW-Authenticate, Vary). tests/tests/
drf_parity_django.rs sends the same requests to drf_parity and compares.

The project is configured here (not djsite): an in-memory SQLite database with alice/alice-pw,
Django's session, common and authentication middleware, ALLOWED_HOSTS as drf_parity's default
(Django's debug list), JSON rendering only, and views shaped like drf_parity's. A header a client
sends twice reaches Django joined with "," (what WSGI servers do), so a case's `headers` may list a
name twice and this script joins them.
"""

import json
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="audit-answers-only-not-a-secret",
    ALLOWED_HOSTS=[".localhost", "127.0.0.1", "[::1]"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "rest_framework",
        "rest_framework.authtoken",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]},
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.authentication import (  # noqa: E402
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.authtoken.views import obtain_auth_token  # noqa: E402
from rest_framework.decorators import (  # noqa: E402
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402


def caller_view(*classes):
    @api_view(["GET", "POST", "PUT", "PATCH"])
    @authentication_classes(classes)
    @permission_classes([IsAuthenticated])
    def view(request):
        return Response({"user": str(request.user),
                         "auth": None if request.auth is None else str(request.auth)})
    return view


urlpatterns = [
    path("session/", caller_view(SessionAuthentication)),
    path("basic/", caller_view(BasicAuthentication)),
    path("token/", caller_view(TokenAuthentication)),
    path("default/", caller_view(SessionAuthentication, BasicAuthentication)),
    path("api-token-auth/", obtain_auth_token),
]


def meta_name(header):
    name = header.upper().replace("-", "_")
    return name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name


def answer(case):
    client = Client(raise_request_exception=False)
    extra = {}
    for name, value in case.get("headers", []):
        key = meta_name(name)
        extra[key] = extra[key] + "," + value if key in extra else value
    extra["HTTP_HOST"] = case.get("host", "localhost")
    body = case.get("body", "").encode("latin-1")
    if case["method"] == "GET":
        response = client.get(case["path"], **extra)
    else:
        response = client.generic(case["method"], case["path"], body,
                                  content_type=case.get("content_type", ""), **extra)
    return {
        "name": case["name"],
        "status": response.status_code,
        "body": response.content.decode("utf-8", "replace"),
        "content_type": response.get("Content-Type"),
        "www_authenticate": response.get("WWW-Authenticate"),
        "vary": response.get("Vary"),
    }


def main():
    cases = json.load(sys.stdin)
    call_command("migrate", verbosity=0)
    User.objects.create_user("alice", password="alice-pw")
    json.dump([answer(case) for case in cases], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
