"""What Django and DRF must be able to do with a users-and-tokens database.

Shared by ``make_fixture.py`` (which checks the fixture it just wrote) and ``check_ours.py`` (which
checks a database written by the Rust crates). Every check runs inside one transaction that is
rolled back, so Django's password upgrades and the probe rows it writes leave the database exactly
as it was.

A manifest is JSON: ``{"users": [entry, ...]}``, each entry with

* ``username`` (str), ``password`` (str, or null for an unusable password),
* ``is_active``, ``is_staff`` and optionally ``is_superuser`` (bool),
* optionally ``token`` (str or null): the user's DRF token key, null for "has none",
* optionally ``hasher`` (str): the algorithm of the stored hash, ``unusable`` for ``!...``,
* optionally ``date_joined`` and ``last_login`` (ISO 8601 without offset, UTC, or null),

and optionally ``"unknown_tokens": [key, ...]``, keys that must not resolve (revoked or replaced).
"""

import datetime
import uuid

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import check_password, is_password_usable
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

# Appended to a right password to make a wrong one.
WRONG = "-wrong"
# Keys nobody issues. Not case or trailing-space variants of real keys: MySQL's default
# collations match those (Django on MySQL finds "ABCD1234 " for "abcd1234").
UNKNOWN_KEYS = ["0" * 40, "f" * 39, "abcd12345"]


class Report:
    """Counts passed checks and collects the messages of failed ones."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, ok, message):
        """Record one check: ``message`` says what is wrong when ``ok`` is false."""
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
        return ok

    def fail(self, message):
        """Record a failed check."""
        self.check(False, message)


def verify(manifest, report):
    """Run every check for ``manifest`` against Django's default database."""
    with transaction.atomic():
        guarded(report, "schema", check_schema, report)
        for entry in manifest["users"]:
            guarded(report, f"user {entry['username']!r}", check_user, entry, report)
        unknown = UNKNOWN_KEYS + manifest.get("unknown_tokens", [])
        guarded(report, "unknown token keys", check_unknown_keys, unknown, report)
        guarded(report, "Django writing rows", check_django_writes, report)
        transaction.set_rollback(True)


def guarded(report, label, func, *args):
    """Run ``func`` in a savepoint; an error fails the check instead of ending the run."""
    try:
        with transaction.atomic():
            func(*args)
    except DatabaseError as error:
        report.fail(f"{label}: database error: {error}")
    except Exception as error:  # noqa: BLE001 - bad data must be reported, not crash the run
        report.fail(f"{label}: {type(error).__name__}: {error}")


def check_schema(report):
    """``auth_user`` and ``authtoken_token`` have the columns, keys and constraints Django expects."""
    introspection = connection.introspection
    with connection.cursor() as cursor:
        tables = set(introspection.table_names(cursor))
        for model in (get_user_model(), Token):
            table = model._meta.db_table
            if not report.check(table in tables, f"table {table}: missing"):
                continue
            columns = {c.name: c for c in introspection.get_table_description(cursor, table)}
            fields = {f.column: f for f in model._meta.concrete_fields}
            missing = sorted(set(fields) - set(columns))
            extra = sorted(set(columns) - set(fields))
            report.check(not missing, f"table {table}: columns {missing} are missing")
            report.check(not extra, f"table {table}: columns {extra} are unknown to Django")
            for name in sorted(set(fields) & set(columns)):
                report.check(
                    columns[name].null_ok == fields[name].null,
                    f"table {table}: column {name} is "
                    f"{'NULL' if columns[name].null_ok else 'NOT NULL'}, Django's model says "
                    f"{'NULL' if fields[name].null else 'NOT NULL'}",
                )
            pk = introspection.get_primary_key_column(cursor, table)
            report.check(
                pk == model._meta.pk.column,
                f"table {table}: primary key is {pk!r}, Django expects {model._meta.pk.column!r}",
            )
            constraints = introspection.get_constraints(cursor, table).values()
            for field in fields.values():
                if field.unique and not field.primary_key:
                    report.check(
                        any(c["unique"] and c["columns"] == [field.column] for c in constraints),
                        f"table {table}: no unique constraint on {field.column}",
                    )
                if field.remote_field is not None:
                    target = (field.related_model._meta.db_table, field.target_field.column)
                    report.check(
                        any(
                            c["foreign_key"] == target and c["columns"] == [field.column]
                            for c in constraints
                        ),
                        f"table {table}: {field.column} is not a foreign key to "
                        f"{target[0]}.{target[1]}",
                    )


def check_user(entry, report):
    """One manifest user: flags, stored hash, authenticate(), and token lookup."""
    User = get_user_model()
    name = entry["username"]
    label = f"user {name!r}"
    try:
        user = User.objects.get(username=name)
    except User.DoesNotExist:
        report.fail(f"{label}: no auth_user row with this username")
        return
    for flag in ("is_active", "is_staff", "is_superuser"):
        if flag in entry:
            value = getattr(user, flag)
            report.check(
                value == entry[flag],
                f"{label}: {flag} reads as {value!r}, the manifest says {entry[flag]!r}",
            )
    for field in ("date_joined", "last_login"):
        value = getattr(user, field)
        if value is not None:
            report.check(
                timezone.is_aware(value),
                f"{label}: {field} reads as the naive {value!r}; with USE_TZ Django expects a "
                "time-zone-aware column (timestamp with time zone on PostgreSQL)",
            )
        if field in entry:
            report.check(
                utc_iso(value) == entry[field],
                f"{label}: {field} reads as {utc_iso(value)}, the manifest says {entry[field]}",
            )

    raw = entry["password"]
    encoded = user.password
    algorithm = "unusable" if not is_password_usable(encoded) else encoded.split("$", 1)[0]
    if "hasher" in entry:
        report.check(
            algorithm == entry["hasher"],
            f"{label}: the stored hash is {algorithm!r}, the manifest says {entry['hasher']!r}",
        )
    if raw is None:
        report.check(algorithm == "unusable", f"{label}: the password should be unusable")
        for guess in ("", encoded):
            report.check(
                authenticate(username=name, password=guess) is None,
                f"{label}: authenticate() let a user with an unusable password in",
            )
    else:
        report.check(
            check_password(raw, encoded),
            f"{label}: check_password() rejects the right password (a {algorithm} hash)",
        )
        report.check(
            not check_password(raw + WRONG, encoded),
            f"{label}: check_password() accepts a wrong password",
        )
        got = authenticate(username=name, password=raw)
        if entry["is_active"]:
            if report.check(
                got is not None and got.pk == user.pk,
                f"{label}: authenticate() with the right password returned {got!r}",
            ):
                # Django may have upgraded the hash (another algorithm or iteration count)
                # and saved it into our table; the new hash must verify too.
                user.refresh_from_db()
                report.check(
                    check_password(raw, user.password),
                    f"{label}: the hash Django saved after authenticate() does not verify",
                )
            report.check(
                authenticate(username=name, password=raw + WRONG) is None,
                f"{label}: authenticate() accepts a wrong password",
            )
        else:
            report.check(got is None, f"{label}: authenticate() let an inactive user in")

    if "token" not in entry:
        return
    key = entry["token"]
    if key is None:
        report.check(
            not Token.objects.filter(user_id=user.pk).exists(),
            f"{label}: has a token the manifest does not list",
        )
        return
    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        report.fail(f"{label}: DRF finds no token with key {key!r}")
        return
    report.check(
        token.user.pk == user.pk and token.user.username == name,
        f"{label}: token {key!r} belongs to {token.user.username!r}",
    )
    report.check(
        token.user.is_active == user.is_active,
        f"{label}: the token's joined user has is_active={token.user.is_active!r}",
    )
    report.check(
        timezone.is_aware(token.created),
        f"{label}: the token's created reads as the naive {token.created!r}",
    )


def utc_iso(value):
    """``value`` as the manifest writes it: naive UTC ISO 8601 (``None`` stays ``None``)."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.isoformat()


def check_unknown_keys(keys, report):
    """Keys nobody issued, or that were revoked, miss."""
    for key in keys:
        report.check(
            not Token.objects.filter(key=key).exists(),
            f"token key {key!r}: DRF finds a token that should not exist",
        )


def check_django_writes(report):
    """Django can insert a user and DRF a token into these tables, and read them back."""
    User = get_user_model()
    name = f"django-probe-{uuid.uuid4().hex[:12]}"
    password = "probe pässword"
    user = User.objects.create_user(name, email="probe@example.com", password=password)
    report.check(user.pk is not None, "create_user(): the new row got no id")
    report.check(
        authenticate(username=name, password=password) == user,
        "a user created by Django does not authenticate",
    )
    token = Token.objects.create(user=user)
    found = Token.objects.select_related("user").get(key=token.key)
    report.check(found.user.pk == user.pk, "a token created by DRF does not resolve to its user")
    report.check(
        Token.objects.get_or_create(user=user) == (found, False),
        "DRF's get_or_create made a second token for one user",
    )
