#!/usr/bin/env python3
"""Django's side of the Durin checks (``tests/tests/durin.rs``): one Django 5.2 process with
Django-Rest-Durin 1.1.0 (``djsite/durin_settings.py``) on the database of INTEROP_DATABASE_URL,
answering commands, one JSON object per line on stdin, one JSON answer per line on stdout.

PBKDF2_ITERATIONS is the iteration count both sides hash with. Commands:

* ``{"cmd": "migrate", "fake": bool}``: ``manage.py migrate`` (``--fake`` when asked); answers
  ``{"output": <what it printed>}``.
* ``{"cmd": "makemigrations_check"}``: ``manage.py makemigrations --check --dry-run``; answers
  ``{"changes": bool, "output": ...}``.
* ``{"cmd": "schema"}``: Durin's two tables as Django's introspection sees them (columns with
  their types and nullability, constraints with their columns, kinds and targets).
* ``{"cmd": "create_client", "name": n, "token_ttl": text or null, "throttle_rate": text}``:
  Durin's ``create_client`` command; answers ``{"ok": bool, "output": ...}``.
* ``{"cmd": "client", "name": n}``: the client's ``token_ttl`` (seconds, a float) and
  ``throttle_rate``, or ``{"missing": true}``.
* ``{"cmd": "request", "method": m, "path": p, "token": t or null, "json": body or null}``: one
  request through Django's test client; answers the status, the JSON body (or null) and the
  headers Durin sets (``WWW-Authenticate``, ``Retry-After``).
* ``{"cmd": "expire", "token": t}``: sets the token's expiry one second in the past.
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.durin_settings"

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from durin.models import AuthToken  # noqa: E402
from durin.models import Client as DurinClient  # noqa: E402

from command_loop import serve  # noqa: E402


def captured(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


def migrate(command):
    args = ["--fake"] if command.get("fake") else []
    return {"output": captured("migrate", *args, verbosity=1, interactive=False)}


def makemigrations_check(_command):
    try:
        output = captured("makemigrations", "--check", "--dry-run", verbosity=1)
        return {"changes": False, "output": output}
    except SystemExit:
        return {"changes": True, "output": ""}


def schema(_command):
    tables = {}
    with connection.cursor() as cursor:
        introspection = connection.introspection
        for table in ("durin_client", "durin_authtoken"):
            columns = [
                {
                    "name": c.name,
                    "type": introspection.get_field_type(c.type_code, c),
                    "null": bool(c.null_ok),
                }
                for c in introspection.get_table_description(cursor, table)
            ]
            constraints = sorted(
                [
                    {
                        "name": name,
                        "columns": info["columns"],
                        "primary_key": info["primary_key"],
                        "unique": info["unique"],
                        "foreign_key": info["foreign_key"],
                        "index": info["index"],
                    }
                    for name, info in introspection.get_constraints(cursor, table).items()
                ],
                key=json.dumps,
            )
            tables[table] = {"columns": columns, "constraints": constraints}
    return tables


def create_client(command):
    args = [command["name"]]
    if command.get("token_ttl") is not None:
        args += ["--token-ttl", command["token_ttl"]]
    args += ["--throttle-rate", command.get("throttle_rate", "")]
    try:
        return {"ok": True, "output": captured("create_client", *args)}
    except Exception as exc:  # CommandError: its message
        return {"ok": False, "output": str(exc)}


def client(command):
    found = DurinClient.objects.filter(name=command["name"]).first()
    if found is None:
        return {"missing": True}
    return {
        "token_ttl": found.token_ttl.total_seconds(),
        "throttle_rate": found.throttle_rate,
    }


def request(command):
    headers = {}
    if command.get("token") is not None:
        headers["HTTP_AUTHORIZATION"] = "Token " + command["token"]
    kwargs = {}
    if command.get("json") is not None:
        kwargs = {"data": json.dumps(command["json"]), "content_type": "application/json"}
    response = Client().generic(command["method"], command["path"], **kwargs, **headers)
    body = None
    if response.content:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = response.content.decode("utf-8", "replace")
    return {
        "status": response.status_code,
        "body": body,
        "www_authenticate": response.headers.get("WWW-Authenticate"),
        "retry_after": response.headers.get("Retry-After"),
    }


def expire(command):
    updated = AuthToken.objects.filter(token=command["token"]).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    return {"updated": updated}


COMMANDS = {
    "migrate": migrate,
    "makemigrations_check": makemigrations_check,
    "schema": schema,
    "create_client": create_client,
    "client": client,
    "request": request,
    "expire": expire,
}


if __name__ == "__main__":
    serve(COMMANDS)
