#!/usr/bin/env python3
"""Django's side of the session checks: one Django 5.2 process answering commands, one JSON object
per line on stdin, one JSON answer per line on stdout, with Django's own session engine and auth on
the database of INTEROP_DATABASE_URL.

SECRET_KEY, SECRET_KEY_FALLBACKS (comma-separated) and SESSION_ENGINE (``db`` or
``signed_cookies``) come from the environment (``djsite/session_settings.py``). Commands:

* ``{"cmd": "login", "username": u, "password": p}``: Django's ``Client.login`` (``authenticate``
  then ``login``); answers ``{"ok": bool, "sessionid": cookie or null}``.
* ``{"cmd": "request", "method": m, "path": p, "sessionid": s}``: one request through Django's
  ``SessionMiddleware`` and ``AuthenticationMiddleware`` with that cookie; answers the status,
  the JSON body and the ``sessionid`` cookie the response sets (``""`` when it deletes it, null
  when it sets none).
* ``{"cmd": "set_password", "username": u, "password": p}``: ``set_password`` and ``save``.
* ``{"cmd": "clearsessions"}``: ``manage.py clearsessions``.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.session_settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from command_loop import serve  # noqa: E402


def login(command):
    client = Client()
    ok = client.login(username=command["username"], password=command["password"])
    cookie = client.cookies.get("sessionid")
    return {"ok": ok, "sessionid": cookie.value if cookie else None}


def request(command):
    client = Client()
    if command.get("sessionid") is not None:
        client.cookies["sessionid"] = command["sessionid"]
    response = client.generic(command["method"], command["path"])
    cookie = response.cookies.get("sessionid")
    return {
        "status": response.status_code,
        "body": json.loads(response.content) if response.content else None,
        "sessionid": cookie.value if cookie is not None else None,
        "max_age": cookie["max-age"] if cookie is not None else None,
    }


def set_password(command):
    user = get_user_model().objects.get(username=command["username"])
    user.set_password(command["password"])
    user.save()
    return {"ok": True}


def clearsessions(_command):
    call_command("clearsessions")
    return {"ok": True}


COMMANDS = {
    "login": login,
    "request": request,
    "set_password": set_password,
    "clearsessions": clearsessions,
}

serve(COMMANDS)
