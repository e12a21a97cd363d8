"""Test vectors for auth_core::render, made with DRF's own JSONRenderer and DateTimeField.

    DJANGO_PYTHON=$(scripts/django/setup_venv.sh)
    $DJANGO_PYTHON scripts/django/render_vectors.py     # rewrite the vectors

Writes auth-core/tests/fixtures/drf_render_vectors.json, which `cargo test -p auth-core --test
integration render` replays without Python:

- `json`: values (written by `json.dumps` with its defaults, so that a dict's order survives and
  the text reads back as the same value) and the text DRF 3.18's `JSONRenderer().render(value)`
  answered with the default settings (`COMPACT_JSON`, `UNICODE_JSON`, `STRICT_JSON`).
- `datetimes`: an aware instant (UTC, microseconds), `TIME_ZONE`, `USE_TZ`, and what
  `DateTimeField().to_representation(instant)` answered (`DATETIME_FORMAT = 'iso-8601'`), or
  DRF's error.

Time zones come from the `tzdata` package only (the system's are ignored), pinned in
requirements.txt to the tz release auth-core compiles in. Running it twice gives the same file.
"""

import datetime
import json
import random
import sys
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "auth-core" / "tests" / "fixtures" / "drf_render_vectors.json"

# Only the pinned tzdata package: the same rules on every machine.
zoneinfo.reset_tzpath(to=[])

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(USE_TZ=True, TIME_ZONE="UTC", INSTALLED_APPS=["rest_framework"])
django.setup()

from django.test.utils import override_settings  # noqa: E402
from rest_framework import VERSION, serializers  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

UTC = datetime.timezone.utc

ZONES = [
    "UTC",
    "Etc/UTC",
    "GMT",
    "Europe/Paris",
    "Europe/London",
    "Europe/Amsterdam",
    "Europe/Moscow",
    "America/New_York",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Chatham",
    "Africa/Monrovia",
    "US/Eastern",
    "Etc/GMT+12",
]


def json_cases():
    """Values DRF renders: text of every kind, numbers, containers, dict order."""
    rng = random.Random(20260101)
    values = [
        None,
        True,
        0,
        -1,
        2**64 - 1,
        -(2**63),
        0.0,
        -0.0,
        1.5,
        1e16,
        1e15,
        1e-5,
        0.0001,
        123456789.123456789,
        75577111253692.625,
        5e-324,
        1.7976931348623157e308,
        "",
        "plain",
        "é ü ß 日本 😀",
        "quote \" backslash \\ slash /",
        "\b\f\n\r\t\x00\x01\x1f\x7f\x80\x9f\xa0",
        "\u2028 line \u2029 paragraph",
        "\ufeff\ufffe\uffff",
        [],
        {},
        [1, "a", None, [], {}],
        {"z": 1, "a": 2, "m": {"y": [1.0, 2.5], "b": None}},
        {"refresh": "r", "access": "a"},
        {"expiry": "2026-01-02T03:04:05Z", "token": "t" * 64, "user": {"username": "é"}},
        {"non_field_errors": ["Unable to log in with provided credentials."]},
    ]
    for _ in range(200):
        values.append("".join(chr(rng.choice([rng.randrange(0, 0x80), rng.randrange(0x80, 0x800),
                                              rng.randrange(0x2000, 0x2100),
                                              rng.randrange(0x10000, 0x10400)]))
                              for _ in range(rng.randrange(0, 12))))
    for _ in range(300):
        bits = rng.getrandbits(64)
        x = float.fromhex(f"0x1.{bits & ((1 << 52) - 1):013x}p{rng.randrange(-1074, 1024)}")
        values.append(x if rng.random() < 0.5 else -x)
        values.append(round(rng.uniform(-1e6, 1e6), rng.randrange(0, 8)))
    renderer = JSONRenderer()
    return [
        {"value": json.dumps(value), "drf": renderer.render(value).decode("utf-8")}
        for value in values
    ]


def instants():
    """Instants around the edges: DST changes, local mean time, Python's date range."""
    rng = random.Random(20260102)
    fixed = [
        datetime.datetime(1, 1, 1, tzinfo=UTC),
        datetime.datetime(1, 1, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime.datetime(1850, 6, 1, 12, tzinfo=UTC),
        datetime.datetime(1900, 1, 1, tzinfo=UTC),
        datetime.datetime(1937, 6, 30, 22, 40, tzinfo=UTC),
        datetime.datetime(1970, 1, 1, tzinfo=UTC),
        datetime.datetime(1971, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2000, 2, 29, 12, 30, 15, 500000, tzinfo=UTC),
        datetime.datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC),
        datetime.datetime(2024, 3, 10, 7, 0, 0, tzinfo=UTC),
        datetime.datetime(2024, 3, 31, 0, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2024, 3, 31, 1, 0, 0, tzinfo=UTC),
        datetime.datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        datetime.datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
        datetime.datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
        datetime.datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
        datetime.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
        datetime.datetime(2100, 7, 1, tzinfo=UTC),
        datetime.datetime(9999, 12, 31, 10, tzinfo=UTC),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    start = datetime.datetime(1800, 1, 1, tzinfo=UTC)
    span = int((datetime.datetime(2200, 1, 1, tzinfo=UTC) - start).total_seconds())
    randoms = [
        start + datetime.timedelta(seconds=rng.randrange(span),
                                   microseconds=rng.choice([0, rng.randrange(1_000_000)]))
        for _ in range(40)
    ]
    return fixed + randoms


def datetime_cases():
    field = serializers.DateTimeField()
    cases = []
    for zone in ZONES:
        for use_tz in (True, False):
            with override_settings(TIME_ZONE=zone, USE_TZ=use_tz):
                for instant in instants():
                    case = {
                        "instant": instant.isoformat(),
                        "time_zone": zone,
                        "use_tz": use_tz,
                    }
                    try:
                        case["drf"] = field.to_representation(instant)
                    except serializers.ValidationError as exc:
                        case["error"] = str(exc.detail[0])
                    cases.append(case)
    return cases


def main():
    vectors = {
        "made_with": f"Django {django.get_version()}, DRF {VERSION}, "
                     f"Python {sys.version.split()[0]}, tzdata {_tzdata()}",
        "json": json_cases(),
        "datetimes": datetime_cases(),
    }
    VECTORS.write_text(json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {VECTORS.relative_to(ROOT)}: {len(vectors['json'])} JSON and "
          f"{len(vectors['datetimes'])} datetime cases")


def _tzdata():
    import tzdata

    return tzdata.IANA_VERSION


if __name__ == "__main__":
    main()
