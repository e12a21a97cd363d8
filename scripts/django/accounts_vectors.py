"""Test vectors for auth_core::password_validation and auth_core::reset_tokens, made by Django.

    DJANGO_PYTHON=$(scripts/django/setup_venv.sh)
    $DJANGO_PYTHON scripts/django/accounts_vectors.py     # rewrite the vectors

Writes auth-core/tests/fixtures/django_accounts_vectors.json, which `cargo test -p auth-core
--test integration accounts` replays without Python:

- `validators`: a password, a user's username/first_name/last_name/email, and the messages and
  codes of Django 5.2's four default validators (`validate_password` with the `startproject`
  list), in order; `[]` when the password passes. The passwords mix the cases that depend on
  Python's text rules (Unicode `str.lower()`, `\\W+`, `str.strip()`, `str.isdigit()`) with
  near-threshold similarities and entries of Django's common-password list.
- `tokens`: a user (pk, password hash, last_login as stored, email), `SECRET_KEY`,
  `TIME_ZONE`, an instant, and the token `PasswordResetTokenGenerator().make_token(user)`
  made at that instant (`datetime.now()` in `TIME_ZONE`, as Django runs it).
- `checks`: a token, the key and fallbacks, the timeout, an instant, and what `check_token`
  answered.
- `uids`: a `uid` string and `force_str(urlsafe_base64_decode(uid))`, or null where Django
  raises.

The random cases use a fixed seed: running it twice gives the same file.
"""

import datetime
import gzip
import json
import random
import zoneinfo
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "auth-core" / "tests" / "fixtures" / "django_accounts_vectors.json"

zoneinfo.reset_tzpath(to=[])

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    USE_TZ=True,
    TIME_ZONE="UTC",
    SECRET_KEY="vectors",
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()

from django.contrib.auth import password_validation  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.tokens import PasswordResetTokenGenerator  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils.encoding import force_str  # noqa: E402
from django.utils.http import urlsafe_base64_decode  # noqa: E402

VALIDATORS = password_validation.get_password_validators(
    [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
)

rng = random.Random(20261204)
common_path = Path(password_validation.__file__).parent / "common-passwords.txt.gz"
with gzip.open(common_path, "rt", encoding="utf-8") as f:
    COMMON = [line.strip() for line in f]

ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " ._-@+!#$%&*'\t\n"
    "éÉßİıΣσςǅﬀ٣٤²①½Ⅻ一二三ａＢｃ１\u00a0\u2003\u001c\u0085\u200b"
)


def random_text(low, high):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(low, high)))


def mutate(value):
    chars = list(value)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        if op < 0.4 and chars:
            chars[rng.randrange(len(chars))] = rng.choice(ALPHABET)
        elif op < 0.7:
            chars.insert(rng.randint(0, len(chars)), rng.choice(ALPHABET))
        elif chars:
            del chars[rng.randrange(len(chars))]
    out = "".join(chars)
    return out.upper() if rng.random() < 0.2 else out


def validate(password, user):
    try:
        password_validation.validate_password(password, user, VALIDATORS)
    except ValidationError as error:
        return [{"message": e.messages[0], "code": e.code} for e in error.error_list]
    return []


def validator_cases():
    fixed_users = [
        ("marguerite", "Marguerite", "Duras", "m.duras@example.com"),
        ("jean-luc", "Jean-Luc", "Picard", "jl_picard@starfleet.org"),
        ("ΣΊΣΥΦΟΣ", "Σίσυφος", "", "sisyphos@example.gr"),
        ("İstanbul", "", "", ""),
        ("ab", "", "", "a@b.c"),
        ("", "", "", ""),
    ]
    fixed_passwords = [
        "", "a", "1234567", "12345678", "password", " Password\t", "٣٤٥٦٧٨٩٠١", "²²²²²²²²",
        "①②③④⑤⑥⑦⑧", "½½½½½½½½", "marguerite", "Marguerite1", "duras2024", "m.duras@example.com",
        "examplecom", "picard", "jeanluc!", "jean_luc", "σίσυφος", "ΣΊΣΥΦΟΣ", "istanbul",
        "i̇stanbul", "correct horse battery staple", "qwertyuiop", "QWERTYUIOP", "ａｂｃｄｅｆｇｈ",
        "abababababababababababab",
    ]
    cases = []
    for user in fixed_users:
        for password in fixed_passwords:
            cases.append((password, user))
    for _ in range(1500):
        user = (
            random_text(1, 12) if rng.random() < 0.8 else "",
            random_text(0, 8),
            random_text(0, 10),
            random_text(0, 6) + "@" + random_text(0, 6) + ".com",
        )
        pick = rng.random()
        if pick < 0.3:
            password = mutate(rng.choice(user))
        elif pick < 0.5:
            password = mutate(rng.choice(COMMON))
        elif pick < 0.6:
            password = "".join(rng.choice("0123456789٣²①½ ") for _ in range(rng.randint(1, 10)))
        else:
            password = random_text(0, 24)
        cases.append((password, user))
    out = []
    for password, (username, first, last, email) in cases:
        user = User(username=username, first_name=first, last_name=last, email=email)
        out.append(
            {
                "password": password,
                "username": username,
                "first_name": first,
                "last_name": last,
                "email": email,
                "errors": validate(password, user),
            }
        )
    return out


def naive(value):
    return None if value is None else value.isoformat(sep=" ")


def make_token_at(generator, user, zone, instant):
    local = instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    with mock.patch.object(generator, "_now", return_value=local):
        return generator.make_token(user)


def check_token_at(generator, user, token, zone, instant):
    local = instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    with mock.patch.object(generator, "_now", return_value=local):
        return generator.check_token(user, token)


def random_user():
    last_login = None
    if rng.random() < 0.7:
        last_login = datetime.datetime(
            rng.randint(2001, 2030), rng.randint(1, 12), rng.randint(1, 28),
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
            rng.choice([0, rng.randint(1, 999999)]),
        )
    user = User(
        pk=rng.randint(1, 10**9),
        password=rng.choice(["", "!unusable", "pbkdf2_sha256$1000000$salt$" + random_text(4, 8)]),
        email=rng.choice(["", "ann@example.com", random_text(1, 8)]),
        last_login=last_login.replace(tzinfo=datetime.timezone.utc) if last_login else None,
    )
    return user, last_login


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]


def instant():
    return datetime.datetime(
        rng.randint(2001, 2068), rng.randint(1, 12), rng.randint(1, 28),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999),
        tzinfo=datetime.timezone.utc,
    )


def user_json(user, last_login):
    return {"pk": str(user.pk), "password": user.password, "last_login": naive(last_login), "email": user.email}


def token_cases():
    tokens, checks = [], []
    for _ in range(300):
        user, last_login = random_user()
        secret = random_text(1, 30)
        zone = rng.choice(ZONES)
        at = instant()
        generator = PasswordResetTokenGenerator()
        generator.secret = secret
        generator.secret_fallbacks = []
        token = make_token_at(generator, user, zone, at)
        tokens.append(
            {"user": user_json(user, last_login), "secret": secret, "time_zone": zone,
             "now": at.isoformat(), "token": token}
        )
        # checks: the same token later, with other keys, mangled
        timeout = rng.choice([1, 60, 3600, 259200])
        later = at + datetime.timedelta(seconds=rng.choice([0, timeout - 1, timeout, timeout + 1, 10**6]))
        main = rng.choice([secret, "other"])
        fallbacks = rng.choice([[], [secret], ["x", secret], ["x"]])
        candidate = rng.choice([token, token.upper(), token + "0", "0" + token, token.replace("-", "--")])
        checker = PasswordResetTokenGenerator()
        checker.secret = main
        checker.secret_fallbacks = fallbacks
        with override_settings(PASSWORD_RESET_TIMEOUT=timeout):
            ok = check_token_at(checker, user, candidate, zone, later)
        checks.append(
            {"user": user_json(user, last_login), "secret": main, "fallbacks": fallbacks,
             "time_zone": zone, "timeout": timeout, "now": later.isoformat(), "token": candidate,
             "valid": ok}
        )
    return tokens, checks


def uid_cases():
    raw = ["Nw", "MTIz", "MQ", "MQ=", "MQ==", "M", "", "N.w", "_w", "-w", "Zm9vYmFy", "Zm9vYmE",
           "Zm9vYg", "Zm9v YmFy", "MTIzNDU2Nzg5MA", "Zm9vYmFy===", "4pyT", "wqA"]
    raw += ["".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.")
                    for _ in range(rng.randint(0, 12))) for _ in range(300)]
    out = []
    for uid in raw:
        try:
            value = force_str(urlsafe_base64_decode(uid))
        except (ValueError, TypeError):
            value = None
        out.append({"uid": uid, "value": value})
    return out


tokens, checks = token_cases()
vectors = {
    "django": django.get_version(),
    "validators": validator_cases(),
    "tokens": tokens,
    "checks": checks,
    "uids": uid_cases(),
}
VECTORS.write_text(json.dumps(vectors, ensure_ascii=False, indent=0) + "\n")
print(f"{VECTORS.relative_to(ROOT)}: {len(vectors['validators'])} validator cases, "
      f"{len(tokens)} tokens, {len(checks)} checks, {len(vectors['uids'])} uids")
