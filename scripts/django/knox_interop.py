#!/usr/bin/env python3
"""knox's side of the knox checks (tests/tests/knox.rs): one Django 5.2 process with
django-rest-knox 5.1.0 (``djsite/knox_settings.py``) on the database of INTEROP_DATABASE_URL,
answering commands over ``command_loop``. Commands:

* ``{"cmd": "migrate", "args": [...]}``: ``manage.py migrate <args>``; answers its output.
* ``{"cmd": "showmigrations"}``: ``manage.py showmigrations knox``'s lines.
* ``{"cmd": "schema"}``: ``knox_authtoken`` as Django's introspection sees it: its columns
  (name, type, nullability) and constraints (columns, primary key, unique, foreign key, index).
* ``{"cmd": "request", "method": m, "path": p, "authorization": a}``: one request through
  knox's views (``djsite/knox_urls.py``: ``knox/login/``, ``knox/logout/``, ``knox/logoutall/``,
  ``knox/``) with that ``Authorization`` header; answers the status and the JSON body.
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.knox_settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from command_loop import serve  # noqa: E402


def migrate(command):
    out = io.StringIO()
    call_command("migrate", *command.get("args", []), stdout=out, verbosity=1)
    return {"output": out.getvalue()}


def showmigrations(_command):
    out = io.StringIO()
    call_command("showmigrations", "knox", stdout=out)
    return {"lines": out.getvalue().splitlines()}


def schema(_command):
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, "knox_authtoken")
        constraints = connection.introspection.get_constraints(cursor, "knox_authtoken")
    columns = [
        {
            "name": column.name,
            "type": connection.introspection.get_field_type(column.type_code, column),
            "null": bool(column.null_ok),
            "type_code": str(column.type_code),
            "size": column.internal_size,
        }
        for column in description
    ]
    named = {}
    for name, constraint in constraints.items():
        # SQLite's primary key and foreign keys carry no name of their own.
        key = name if connection.vendor != "sqlite" or not name.startswith("__") else (
            "pk" if constraint["primary_key"] else "fk:" + ",".join(constraint["columns"])
        )
        named[key] = {
            "columns": constraint["columns"],
            "primary_key": constraint["primary_key"],
            "unique": constraint["unique"],
            "foreign_key": list(constraint["foreign_key"]) if constraint["foreign_key"] else None,
            "index": constraint["index"],
        }
    return {"columns": columns, "constraints": named}


def request(command):
    client = Client()
    headers = {}
    if command.get("authorization") is not None:
        headers["HTTP_AUTHORIZATION"] = command["authorization"]
    response = client.generic(command["method"], command["path"], **headers)
    return {
        "status": response.status_code,
        "body": json.loads(response.content) if response.content else None,
    }


serve(
    {
        "migrate": migrate,
        "showmigrations": showmigrations,
        "schema": schema,
        "request": request,
    }
)
