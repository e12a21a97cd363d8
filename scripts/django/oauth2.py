#!/usr/bin/env python3
"""Django OAuth Toolkit's side of the OAuth 2.0 checks: one Django 5.2 + DOT 3.4.1 process answering
commands, one JSON object per line on stdin, one JSON answer per line on stdout, on the database of
INTEROP_DATABASE_URL (``djsite/oauth2_settings.py``). Commands:

* ``{"cmd": "migrate"}``: Django's ``migrate``; ``{"cmd": "migrate_check"}``: ``migrate --check``
  (``{"ok": false}`` when a migration is unapplied).
* ``{"cmd": "user", "username": u, "password": p}``: ``create_user``.
* ``{"cmd": "createapplication", "args": [...]}``: DOT's ``manage.py createapplication``;
  answers the new application's ``client_id`` and stored ``client_secret``.
* ``{"cmd": "token", "form": {...}, "authorization": a}``: ``POST /o/token/`` through DOT's
  ``TokenView``; answers the status and the body.
* ``{"cmd": "validate", "token": t}``: DOT's ``OAuth2Validator.validate_bearer_token``; answers
  ``valid`` and the token's ``user`` (``null`` for none).
* ``{"cmd": "revoke_refresh", "token": t}``: ``RefreshToken.revoke()`` of the live row with that
  token's checksum.
* ``{"cmd": "authorize", "username": u, "form": {...}}``: ``POST /o/authorize/`` through DOT's
  ``AuthorizationView`` as the logged-in user ``u``; answers the status and the ``Location``.
"""

import hashlib
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.oauth2_settings"

import django  # noqa: E402

django.setup()

import logging  # noqa: E402
import warnings  # noqa: E402

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from oauthlib.common import Request  # noqa: E402
from oauth2_provider.models import Application, RefreshToken  # noqa: E402
from oauth2_provider.oauth2_validators import OAuth2Validator  # noqa: E402


from command_loop import serve  # noqa: E402


def migrate(command):
    call_command("migrate", verbosity=0, interactive=False)
    return {"ok": True}


def migrate_check(command):
    try:
        call_command("migrate", check=True, verbosity=0, interactive=False)
    except SystemExit:
        return {"ok": False}
    return {"ok": True}


def create_user(command):
    get_user_model().objects.create_user(command["username"], password=command["password"])
    return {"ok": True}


def createapplication(command):
    call_command("createapplication", *command["args"], stdout=io.StringIO())
    app = Application.objects.order_by("-id").first()
    return {"client_id": app.client_id, "client_secret": app.client_secret}


def token(command):
    extra = {}
    if command.get("authorization"):
        extra["HTTP_AUTHORIZATION"] = command["authorization"]
    response = Client().post("/o/token/", command["form"], **extra)
    return {"status": response.status_code, "body": response.content.decode()}


def validate(command):
    request = Request("http://testserver/")
    valid = OAuth2Validator().validate_bearer_token(command["token"], [], request)
    user = getattr(request, "user", None)
    return {"valid": bool(valid), "user": user.username if valid and user else None}


def revoke_refresh(command):
    checksum = hashlib.sha256(command["token"].encode()).hexdigest()
    RefreshToken.objects.get(token_checksum=checksum, revoked=None).revoke()
    return {"ok": True}


def authorize(command):
    client = Client()
    client.force_login(get_user_model().objects.get(username=command["username"]))
    response = client.post("/o/authorize/", command["form"])
    return {"status": response.status_code, "location": response.get("Location")}


serve(
    {
        "migrate": migrate,
        "migrate_check": migrate_check,
        "user": create_user,
        "createapplication": createapplication,
        "token": token,
        "validate": validate,
        "revoke_refresh": revoke_refresh,
        "authorize": authorize,
    }
)
