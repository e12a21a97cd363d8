#!/usr/bin/env python3
"""Djoser's side of the accounts checks: one Django 5.2 process with Djoser 2.3.5 answering
commands, one JSON object per line on stdin, one JSON answer per line on stdout, on the database
of INTEROP_DATABASE_URL (``djsite/accounts_settings.py``); with ``EMAIL_PORT`` set, its emails go by
SMTP to ``EMAIL_HOST``:``EMAIL_PORT`` instead of the outbox. Commands:

* ``{"cmd": "post", "path": p, "body": {...}, "token": key or null, "method": m}``: one JSON
  request (``POST`` unless ``method`` says otherwise) through DRF's ``APIClient``, for the host
  ``localhost:8000``; answers the status, the body (text) and the emails sent meanwhile
  (``[{"subject", "from", "to", "body"}]``, emptied from Django's outbox).
* ``{"cmd": "user", "username": u}``: ``is_active``, ``last_login`` (ISO) and the password hash.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.accounts_settings"

import django  # noqa: E402

django.setup()

from command_loop import serve  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core import mail  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

setup_test_environment()
if os.environ.get("EMAIL_PORT"):
    # setup_test_environment() swapped in the locmem backend; keep sending by SMTP.
    from django.conf import settings  # noqa: E402

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def post(command):
    client = APIClient()
    if command.get("token"):
        client.credentials(HTTP_AUTHORIZATION="Token " + command["token"])
    mail.outbox = []
    send = getattr(client, command.get("method", "post").lower())
    response = send(
        command["path"], command.get("body", {}), format="json", HTTP_HOST="localhost:8000"
    )
    sent = [
        {"subject": m.subject, "from": m.from_email, "to": m.to, "body": m.body}
        for m in mail.outbox
    ]
    mail.outbox = []
    return {
        "status": response.status_code,
        "body": response.content.decode(),
        "mail": sent,
    }


def user(command):
    found = get_user_model().objects.get(username=command["username"])
    return {
        "is_active": found.is_active,
        "last_login": found.last_login.isoformat() if found.last_login else None,
        "password": found.password,
    }


COMMANDS = {"post": post, "user": user}

serve(COMMANDS)
