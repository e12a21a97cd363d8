#!/usr/bin/env python3
"""Write a SQLite database made by Django and DRF, and a manifest of what is in it.

    python scripts/django/make_fixture.py [--out-dir tests/fixtures]
    python scripts/django/make_fixture.py --check


Writes ``django52.sqlite3`` (Django's ``migrate`` on a fresh file, then users with every default
hasher, an inactive, a staff, a superuser, an unusable password, a non-ASCII name, and DRF tokens)
and ``django52.json`` (username, plaintext password, flags, token key, hasher), which the Rust
interoperability test reads. Salts, keys and timestamps are fixed, so a rerun gives the same rows.
Before writing the manifest the script checks the database with Django itself (djsite/checks.py).
``--check`` builds into a temporary directory instead and fails unless the users, tokens and table
definitions equal those of the committed fixture.
"""

import argparse
import base64
import datetime
import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

import djsite

REPO = Path(__file__).resolve().parents[2]
NAME = "django52"
EPOCH = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)

# (username, password, hasher, flags, token); token "hex" means a fixed 40-hex key.
USERS = [
    ("alice", "correct horse battery staple", "pbkdf2_sha256", {}, "hex"),
    ("ian.inactive", "inactive-but-right", "pbkdf2_sha256", {"is_active": False}, "hex"),
    ("stella.staff", "  spaces at both ends  ", "pbkdf2_sha256", {"is_staff": True}, "abcd1234"),
    (
        "root",
        "super:user:password",
        "pbkdf2_sha256",
        {"is_staff": True, "is_superuser": True},
        "hex",
    ),
    ("argon", "argon2 password", "argon2", {}, None),
    ("bcrypt", "bcrypt_sha256 password", "bcrypt_sha256", {}, None),
    ("scrypt", "scrypt password", "scrypt", {}, None),
    ("sha1", "pbkdf2_sha1 password", "pbkdf2_sha1", {}, None),
    # Django 3.2's iteration count and a 12-character salt, as older databases hold.
    ("legacy", "an old hash", "pbkdf2_sha256/260000", {}, None),
    ("nopass", None, "unusable", {}, None),
    ("zoë.ñandú", "pässwörd ✓ 日本語", "pbkdf2_sha256", {}, "hex"),
]


def fixed(label, length, alphabet="0123456789abcdef"):
    """A deterministic pseudo-random string (salts, keys): sha256 of ``label`` over ``alphabet``."""
    digest = b""
    counter = 0
    while len(digest) < length:
        digest += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def bcrypt_salt(label, rounds):
    """A bcrypt salt (``$2b$NN$`` + 22 characters of bcrypt's base64) derived from ``label``."""
    raw = hashlib.sha256(label.encode()).digest()[:16]
    std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bcrypt64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    encoded = base64.b64encode(raw).decode().rstrip("=").translate(str.maketrans(std, bcrypt64))
    return f"$2b${rounds:02d}${encoded}".encode()


def encode_password(username, password, hasher):
    """Hash ``password`` with Django's own hasher, with a salt fixed by ``username``."""
    from django.contrib.auth.hashers import (
        UNUSABLE_PASSWORD_PREFIX,
        UNUSABLE_PASSWORD_SUFFIX_LENGTH,
        BCryptSHA256PasswordHasher,
        PBKDF2PasswordHasher,
        make_password,
    )
    from django.utils.crypto import RANDOM_STRING_CHARS

    if password is None:
        suffix = fixed(f"unusable:{username}", UNUSABLE_PASSWORD_SUFFIX_LENGTH, RANDOM_STRING_CHARS)
        return UNUSABLE_PASSWORD_PREFIX + suffix
    if hasher == "bcrypt_sha256":
        salt = bcrypt_salt(f"salt:{username}", BCryptSHA256PasswordHasher.rounds)
        return make_password(password, salt, hasher)
    if "/" in hasher:
        algorithm, iterations = hasher.split("/")
        assert algorithm == PBKDF2PasswordHasher.algorithm
        salt = fixed(f"salt:{username}", 12, RANDOM_STRING_CHARS)
        return PBKDF2PasswordHasher().encode(password, salt, int(iterations))
    return make_password(password, fixed(f"salt:{username}", 22, RANDOM_STRING_CHARS), hasher)


def build(db_path):
    """Migrate a fresh database at ``db_path`` and fill it; return the manifest."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from djsite.checks import utc_iso

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    entries = []
    for index, (username, password, hasher, flags, token) in enumerate(USERS):
        joined = EPOCH + datetime.timedelta(minutes=index)
        user = User(
            username=username,
            password=encode_password(username, password, hasher),
            email=f"user{index}@example.com",
            first_name=username.split(".")[0].capitalize(),
            date_joined=joined,
            last_login=joined + datetime.timedelta(days=1) if index % 2 == 0 else None,
            **flags,
        )
        user.save()
        key = None
        if token is not None:
            key = fixed(f"token:{username}", 40) if token == "hex" else token
            Token.objects.create(user=user, key=key)
            Token.objects.filter(key=key).update(created=joined + datetime.timedelta(hours=1))
        entries.append(
            {
                "username": username,
                "password": password,
                "hasher": hasher.split("/")[0],
                "is_active": user.is_active,
                "is_staff": user.is_staff,
                "is_superuser": user.is_superuser,
                "token": key,
                "date_joined": utc_iso(user.date_joined),
                "last_login": utc_iso(user.last_login),
            }
        )
    with connection.cursor() as cursor:
        # migrate stamps each migration with the time it ran; fix it so reruns match.
        cursor.execute("UPDATE django_migrations SET applied = %s", [EPOCH])
    connection.close()
    return {"django": django_version(), "djangorestframework": drf_version(), "users": entries}


def django_version():
    import django

    return django.get_version()


def drf_version():
    import rest_framework

    return rest_framework.VERSION


def contents(out_dir):
    """What must not change between runs: the manifest's users, the rows and the tables' SQL."""
    manifest = json.loads((out_dir / f"{NAME}.json").read_text())
    db = sqlite3.connect(f"file:{out_dir / f'{NAME}.sqlite3'}?mode=ro", uri=True)
    try:
        tables = {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("auth_user", "authtoken_token")
        }
        schema = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        db.close()
    return {"users": manifest["users"], "rows": tables, "schema": schema}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPO / "tests" / "fixtures")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in a temporary directory and compare"
    )
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp))
            fresh, committed = contents(Path(tmp)), contents(args.out_dir)
        differ = [part for part in fresh if fresh[part] != committed[part]]
        if differ:
            sys.exit(
                f"make_fixture: the committed fixture in {args.out_dir} differs from a fresh one "
                f"in {', '.join(differ)}: rerun scripts/django/make_fixture.py and commit it"
            )
        print(f"make_fixture: the committed fixture in {args.out_dir} is up to date")
    else:
        write(args.out_dir)


def write(out_dir):
    """Build the fixture and its manifest into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / f"{NAME}.sqlite3"
    manifest_path = out_dir / f"{NAME}.json"
    for stale in (db_path, manifest_path):
        stale.unlink(missing_ok=True)

    djsite.setup(str(db_path))
    manifest = build(db_path)

    from djsite.checks import Report, verify

    report = Report()
    verify(manifest, report)
    if report.failures:
        print("\n".join(f"FAIL: {failure}" for failure in report.failures), file=sys.stderr)
        sys.exit(f"make_fixture: Django rejects the fixture it just wrote ({db_path})")

    from django.db import connection

    connection.close()
    db = sqlite3.connect(db_path)
    db.execute("VACUUM")
    db.close()
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {db_path} and {manifest_path} ({len(manifest['users'])} users, "
          f"{report.passed} checks passed)")


if __name__ == "__main__":
    main()
