#!/usr/bin/env python3
"""simplejwt 5.5.1's side of the JWT checks: one Django 5.2 process answering commands, one JSON
object per line on stdin, one JSON answer per line on stdout, with djangorestframework-simplejwt
and its blacklist app on the database of INTEROP_DATABASE_URL (``djsite/jwt_settings.py``:
SECRET_KEY and PBKDF2_ITERATIONS from the environment). Commands:

* ``{"cmd": "request", "method": m, "path": p, "data": {...}, "token": t}``: one request through
  Django's test client (JSON body; ``Authorization: Bearer t`` when ``token`` is given); answers
  ``{"status", "body", "www_authenticate"}``.
* ``{"cmd": "rows", "username": u}``: the user's ``OutstandingToken`` rows, oldest first, as
  ``[{"jti", "token", "expires_at", "blacklisted"}]``.
* ``{"cmd": "flushexpiredtokens"}``: ``manage.py flushexpiredtokens``.
* ``{"cmd": "sign", "username": u, "kid": k, "private_pem": p}``: ``AccessToken.for_user``'s
  claims signed by PyJWT as simplejwt's ``TokenBackend`` signs them, with ``SIGNING_KEY`` (or
  ``private_pem``) and a ``kid`` header when ``kid`` is given (simplejwt itself never writes one,
  so its own tokens never match a JWKS key); answers ``{"token"}``.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.jwt_settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from command_loop import serve  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken  # noqa: E402


def request(command):
    client = Client()
    headers = {}
    if command.get("token") is not None:
        headers["HTTP_AUTHORIZATION"] = "Bearer " + command["token"]
    response = client.generic(
        command.get("method", "POST"),
        command["path"],
        json.dumps(command.get("data", {})),
        content_type="application/json",
        **headers,
    )
    return {
        "status": response.status_code,
        "body": json.loads(response.content) if response.content else None,
        "www_authenticate": response.get("WWW-Authenticate"),
    }


def rows(command):
    found = OutstandingToken.objects.filter(user__username=command["username"]).order_by("id")
    return [
        {
            "jti": row.jti,
            "token": row.token,
            "expires_at": int(row.expires_at.timestamp()),
            "blacklisted": hasattr(row, "blacklistedtoken"),
        }
        for row in found
    ]


def flushexpiredtokens(_command):
    call_command("flushexpiredtokens")
    return {"ok": True}


def sign(command):
    import jwt
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.state import token_backend
    from rest_framework_simplejwt.tokens import AccessToken

    user = get_user_model().objects.get(username=command["username"])
    payload = AccessToken.for_user(user).payload
    key = command.get("private_pem") or token_backend.prepared_signing_key
    headers = {"kid": command["kid"]} if command.get("kid") else None
    token = jwt.encode(payload, key, algorithm=token_backend.algorithm, headers=headers)
    return {"token": token}


COMMANDS = {
    "request": request,
    "rows": rows,
    "flushexpiredtokens": flushexpiredtokens,
    "sign": sign,
}

serve(COMMANDS)
