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
"""

import hashlib
import io
import json
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


def run(command):
    cmd = command["cmd"]
    if cmd == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
        return {"ok": True}
    if cmd == "migrate_check":
        try:
            call_command("migrate", check=True, verbosity=0, interactive=False)
        except SystemExit:
            return {"ok": False}
        return {"ok": True}
    if cmd == "user":
        get_user_model().objects.create_user(command["username"], password=command["password"])
        return {"ok": True}
    if cmd == "createapplication":
        call_command("createapplication", *command["args"], stdout=io.StringIO())
        app = Application.objects.order_by("-id").first()
        return {"client_id": app.client_id, "client_secret": app.client_secret}
    if cmd == "token":
        extra = {}
        if command.get("authorization"):
            extra["HTTP_AUTHORIZATION"] = command["authorization"]
        response = Client().post("/o/token/", command["form"], **extra)
        return {"status": response.status_code, "body": response.content.decode()}
    if cmd == "validate":
        request = Request("http://testserver/")
        valid = OAuth2Validator().validate_bearer_token(command["token"], [], request)
        user = getattr(request, "user", None)
        return {"valid": bool(valid), "user": user.username if valid and user else None}
    if cmd == "revoke_refresh":
        checksum = hashlib.sha256(command["token"].encode()).hexdigest()
        RefreshToken.objects.get(token_checksum=checksum, revoked=None).revoke()
        return {"ok": True}
    return {"error": f"unknown command {cmd!r}"}


for line in sys.stdin:
    try:
        answer = run(json.loads(line))
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        answer = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(answer), flush=True)
