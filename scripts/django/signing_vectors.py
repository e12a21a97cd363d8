"""Test vectors for auth_core::signing, made with Django's own django.core.signing.

    DJANGO_PYTHON=$(scripts/django/setup_venv.sh)
    $DJANGO_PYTHON scripts/django/signing_vectors.py            # rewrite the vectors
    $DJANGO_PYTHON scripts/django/signing_vectors.py --check    # Django loads what Rust signed

The first form writes auth-core/tests/fixtures/django_signing_vectors.json, which the Rust unit
tests (`cargo test -p auth-core --lib signing`) read without Python: every signed output there
must be reproduced byte for byte, and every failure with Django's exception class and message.
Running it twice gives the same file (the clock is patched, nothing is random).

zlib output is not byte-exact between Python's zlib and the pure-Rust deflate auth-core uses, so
compressed values are checked the other way round as well: the Rust tests keep
auth-core/tests/fixtures/rust_signing_samples.json equal to what Rust signs (regenerate it with
`UPDATE_SIGNING_SAMPLES=1 cargo test -p auth-core --lib signing`), and `--check [FILE]` loads
each of its values with Django's signing.loads and fails unless Django reads the same JSON.
"""

import argparse
import base64
import json
import math
import random
import struct
import sys
import zlib
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "auth-core" / "tests" / "fixtures"
VECTORS = FIXTURES / "django_signing_vectors.json"
SAMPLES = FIXTURES / "rust_signing_samples.json"

KEY = "django-insecure-vector-key-!@#$%^&*(-_=+)"
FALLBACKS = ["old-key-one", "old-key-two"]
OTHER_KEY = "a-different-key"

import django
from django.conf import settings

settings.configure(SECRET_KEY=KEY, SECRET_KEY_FALLBACKS=FALLBACKS)
django.setup()

from django.core import signing  # noqa: E402


def at(now):
    """Django's clock (signing.time.time) fixed at `now`."""
    return mock.patch("django.core.signing.time.time", return_value=now)


def outcome(call):
    """The value `call()` returns, or the exception it raises, as the fixture records it."""
    try:
        return {"ok": call()}
    except signing.SignatureExpired as exc:
        return {"error": "SignatureExpired", "message": str(exc)}
    except signing.BadSignature as exc:
        return {"error": "BadSignature", "message": str(exc)}
    except Exception as exc:  # Django lets these through: ValueError, binascii.Error, ...
        return {"error": "Other", "message": f"{type(exc).__name__}: {exc}"}


def to_json(obj):
    return signing.JSONSerializer().dumps(obj).decode("latin-1")


def b62_cases():
    numbers = [0, 1, -1, 61, 62, -62, 3843, 3844, 1700000000, -1700000000, 2**31, 2**63 - 1,
               -(2**63), 2**64, 2**100]
    encode = [{"n": str(n), "s": signing.b62_encode(n)} for n in numbers]
    strings = ["0", "00", "-", "-0", "z", "-z", "10", "1uWxje", "zzzzzzzzzz", "", "!", "1 2", "é",
               "--1", "0-1"]
    decode = []
    for s in strings:
        result = outcome(lambda: str(signing.b62_decode(s)))
        decode.append({"s": s, **result})
    return encode, decode


def b64_cases():
    rng = random.Random(62)
    raw = [b"", b"a", b"ab", b"abc", b"\xff\xfe\xfd", bytes(range(256))]
    raw += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) for _ in range(10)]
    encode = [{"hex": r.hex(), "s": signing.b64_encode(r).decode()} for r in raw]
    inputs = ["", "YQ", "YQ=", "YQ==", "YQ!", "Y", "YWJ", "YWJj", "Y+Q/", "Y-Q_", "YQ==YQ",
              "  YWJj", "YW\nJj", "=YWJj", "YW=Jj", "Y=", "YQ===", "Y\xe9Q", "AB==CD==", "a", "ab",
              "abc", "abcde", "_-_-", "////", "YWJjZA", "YWJjZA=", "YWJjZA=x", "Y.Q"]
    decode = []
    for s in inputs:
        data = s.encode("utf-8")
        decode.append({"s": s, **outcome(lambda: signing.b64_decode(data).hex())})
    return encode, decode


def float_cases():
    rng = random.Random(1)
    floats = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e16, 1e15, 9999999999999998.0, 1e-5, 1e-4,
              0.0001234, 123456789.125, 5e-324, 1.7976931348623157e308, 2.5e-7, 1e22, 1e21, 100.0]
    for _ in range(200):
        floats.append(rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30))
    for _ in range(50):
        floats.append(struct.unpack("<d", rng.randbytes(8))[0])
    return [{"bits": struct.unpack("<Q", struct.pack("<d", f))[0], "repr": repr(f)}
            for f in floats if math.isfinite(f)]


OBJECTS = [
    "hello",
    "",
    None,
    True,
    [1, 2, 3],
    {"z": 1, "a": [None, False, 2.5], "m": {"y": "é", "b": "日本語", "emoji": "😀"}},
    {"_auth_user_id": "42", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
     "_auth_user_hash": "3f4e5a1c" * 8, "cart": [{"sku": "A-1", "qty": 2}]},
    {"control": "\x00\x01\x1f\x7f\t\n\r\b\f\"\\/", "big": 2**63 - 1, "neg": -(2**63),
     "floats": [1e16, 1e-05, 0.1, -0.0, 100.0, 1e300]},
    list(range(1, 20)),
    ["a" * 200],
    "x" * 30,
    {"nested": {"deeper": {"deepest": [{"k": "v"}] * 5}}},
]


def incompressible():
    # Deterministic noise: compress=True must leave it uncompressed (zlib makes it longer).
    return base64.b64encode(random.Random(7).randbytes(60)).decode()


def signer_cases():
    configs = [
        {"salt": None, "sep": ":", "algorithm": None},
        {"salt": "", "sep": ":", "algorithm": None},
        {"salt": "my.salt", "sep": ":", "algorithm": None},
        {"salt": "my.salt", "sep": ":", "algorithm": "sha1"},
        {"salt": "other", "sep": "/", "algorithm": "sha256"},
        {"salt": "other", "sep": "~~", "algorithm": None},
        {"salt": "unicode-é", "sep": "!", "algorithm": None},
    ]
    values = ["", "hello", "a:b:c", "ünïcødé 日本", "value with spaces", "x" * 100]
    sign, timestamped = [], []
    for config in configs:
        kwargs = {k: v for k, v in config.items() if v is not None}
        for key in [KEY, OTHER_KEY]:
            for value in values:
                signer = signing.Signer(key=key, **kwargs)
                sign.append({**config, "key": key, "value": value, "signed": signer.sign(value)})
                with at(1700000000.75):
                    ts = signing.TimestampSigner(key=key, **kwargs)
                    timestamped.append({**config, "key": key, "value": value, "now": 1700000000.75,
                                        "signed": ts.sign(value)})
    return sign, timestamped


def separator_cases():
    seps = [chr(i) for i in range(128)] + ["", "\n", "a\n", ":\n", "a\n\n", "ab", "a:", "é", "::",
                                           "\u00e0", "A-z", "=="]
    cases = []
    for sep in seps:
        result = outcome(lambda: signing.Signer(key=KEY, sep=sep) and "ok")
        cases.append({"sep": sep, **result})
    return cases


def unsign_cases():
    """Signer.unsign and TimestampSigner.unsign, succeeding and failing."""
    cases = []
    plain = signing.Signer(key=KEY, salt="s")
    good = plain.sign("value")
    for signed in [good, good + "x", good[:-1], "value", "", ":", "value:", good.replace("v", "V"),
                   plain.sign("a:b"), plain.sign(""), "é:é", good + ":"]:
        cases.append({"kind": "Signer", "key": KEY, "fallback_keys": FALLBACKS, "salt": "s",
                      "sep": ":", "signed": signed, "now": None, "max_age": None,
                      **outcome(lambda: plain.unsign(signed))})
    # Fallback keys: a value signed with an old key verifies; one signed with an unknown key not.
    for key in FALLBACKS + [OTHER_KEY]:
        signed = signing.Signer(key=key, salt="s").sign("value")
        cases.append({"kind": "Signer", "key": KEY, "fallback_keys": FALLBACKS, "salt": "s",
                      "sep": ":", "signed": signed, "now": None, "max_age": None,
                      **outcome(lambda: plain.unsign(signed))})
    # Timestamps: ages below, at and above max_age, ints and floats, a future timestamp.
    with at(1700000000.25):
        ts = signing.TimestampSigner(key=KEY, salt="t")
        signed_ts = ts.sign("value")
        no_ts = signing.Signer(key=KEY, salt="t").sign("no-timestamp")
        empty_ts = signing.Signer(key=KEY, salt="t").sign("value:")
        bad_ts = signing.Signer(key=KEY, salt="t").sign("value:!!")
        neg_ts = signing.Signer(key=KEY, salt="t").sign("value:-1")
    for now, max_age in [(1700000000.25, None), (1700000100.25, 100), (1700000100.5, 100),
                         (1700000100.5, 100.25), (1700000100.5, 100.5), (1600000000.0, 0),
                         (1700000000.25, 0), (1700000001.0, 0), (1700003600.0, 3599.999),
                         (1800000000.123, 60)]:
        for signed in [signed_ts, signed_ts[:-2] + "xx"]:
            with at(now):
                result = outcome(lambda: ts.unsign(signed, max_age=max_age))
            cases.append({"kind": "TimestampSigner", "key": KEY, "fallback_keys": [], "salt": "t",
                          "sep": ":", "signed": signed, "now": now, "max_age": max_age, **result})
    for signed in [no_ts, empty_ts, bad_ts, neg_ts]:
        for max_age in [None, 10]:
            with at(1700000000.25):
                result = outcome(lambda: ts.unsign(signed, max_age=max_age))
            cases.append({"kind": "TimestampSigner", "key": KEY, "fallback_keys": [], "salt": "t",
                          "sep": ":", "signed": signed, "now": 1700000000.25, "max_age": max_age,
                          **result})
    return cases


def dumps_cases():
    cases = []
    objects = OBJECTS + [incompressible()]
    for i, obj in enumerate(objects):
        for compress in [False, True]:
            salt = "django.core.signing" if i % 2 == 0 else "django.contrib.sessions.SessionStore"
            now = 1700000000.0 + i
            with at(now):
                signed = signing.dumps(obj, key=KEY, salt=salt, compress=compress)
            cases.append({"key": KEY, "salt": salt, "compress": compress, "now": now,
                          "json": to_json(obj), "signed": signed,
                          "compressed": signed.startswith(".")})
    return cases


def loads_cases():
    """signing.loads: fallback keys, salts, expiry, tampering, payloads Django cannot read."""
    cases = []
    now = 1700000000.0
    obj = {"b": 1, "a": "é"}

    def case(signed, salt="django.core.signing", max_age=None, at_time=now, fallback_keys=None):
        with at(at_time):
            result = outcome(lambda: to_json(signing.loads(signed, key=KEY, salt=salt,
                                                           max_age=max_age,
                                                           fallback_keys=fallback_keys)))
        cases.append({"key": KEY, "salt": salt, "max_age": max_age, "now": at_time,
                      "fallback_keys": FALLBACKS if fallback_keys is None else fallback_keys,
                      "signed": signed, **result})

    with at(now):
        good = signing.dumps(obj, key=KEY)
        good_z = signing.dumps(list(range(50)), key=KEY, compress=True)
        old = signing.dumps(obj, key=FALLBACKS[1])
        other = signing.dumps(obj, key=OTHER_KEY)
        session = signing.dumps(obj, key=KEY, salt="django.contrib.sessions.SessionStore")
        ts = signing.TimestampSigner(key=KEY, salt="django.core.signing")
        raw = {
            "bad_base64": ts.sign("e30x!"),
            "bad_b64_length": ts.sign("e"),
            "bad_json": ts.sign(signing.b64_encode(b"{nope").decode()),
            "nan": ts.sign(signing.b64_encode(b"[NaN]").decode()),
            "latin1": ts.sign(signing.b64_encode('"caf\xc3\xa9"'.encode("latin-1")).decode()),
            "bad_zlib": ts.sign("." + signing.b64_encode(b"not zlib").decode()),
            "truncated_zlib": ts.sign(
                "." + signing.b64_encode(zlib.compress(b'"' + b"a" * 100 + b'"')[:-6]).decode()),
            "bad_adler": ts.sign(
                "." + signing.b64_encode(zlib.compress(b'"' + b"a" * 100 + b'"')[:-1] + b"\0")
                .decode()),
            "trailing_zlib": ts.sign(
                "." + signing.b64_encode(zlib.compress(b'"' + b"a" * 100 + b'"') + b"junk")
                .decode()),
            "whitespace_json": ts.sign(signing.b64_encode(b' {"a" : [1 , 2]} ').decode()),
            "duplicate_keys": ts.sign(signing.b64_encode(b'{"a":1,"b":2,"a":3}').decode()),
            "dot_only": ts.sign("."),
            "empty": ts.sign(""),
        }
    case(good)
    case(good_z)
    case(old)
    case(old, fallback_keys=[])
    case(other)
    case(good, salt="another.salt")
    case(session, salt="django.contrib.sessions.SessionStore")
    case(session)
    case(good, max_age=60, at_time=now + 60)
    case(good, max_age=60, at_time=now + 60.5)
    case(good[:-1] + ("A" if good[-1] != "A" else "B"))
    case(good.replace(":", "", 1))
    case("")
    case("garbage")
    for signed in raw.values():
        case(signed)
    return cases


def json_cases():
    texts = ['{"b":1,"a":2}', '[1,-0.0,1E2,1e16,0.1,1.5e-7]', '[-0]', '"\\u00e9\\ud83d\\ude00"',
             '{"a":{"z":[{"y":1,"x":2}],"b":null}}', '{"a":1,"b":2,"a":3}', '  [ 1 , 2 ]  ',
             '"\\/"', '12345678901234567890', '-9223372036854775808', '{"":""}']
    return [{"in": t, "out": to_json(json.loads(t))} for t in texts]


def generate():
    b62_encode, b62_decode = b62_cases()
    b64_encode, b64_decode = b64_cases()
    sign, timestamped = signer_cases()
    vectors = {
        "django": django.get_version(),
        "fallback_keys": FALLBACKS,
        "b62_encode": b62_encode,
        "b62_decode": b62_decode,
        "b64_encode": b64_encode,
        "b64_decode": b64_decode,
        "floats": float_cases(),
        "json": json_cases(),
        "separators": separator_cases(),
        "sign": sign,
        "timestamp_sign": timestamped,
        "unsign": unsign_cases(),
        "dumps": dumps_cases(),
        "loads": loads_cases(),
    }
    VECTORS.write_text(json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {VECTORS.relative_to(ROOT)}")


def check(path):
    """Django must load every value Rust signed, to the same JSON."""
    samples = json.loads(Path(path).read_text(encoding="utf-8"))["samples"]
    failures = 0
    for sample in samples:
        with at(sample["now"]):
            result = outcome(lambda: to_json(signing.loads(sample["signed"], key=sample["key"],
                                                           salt=sample["salt"], max_age=60)))
        if result.get("ok") != sample["json"]:
            failures += 1
            print(f"FAIL {sample['signed'][:60]}...: {result}", file=sys.stderr)
    print(f"{len(samples) - failures}/{len(samples)} Rust-signed values load in Django "
          f"{django.get_version()}")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", nargs="?", const=str(SAMPLES), metavar="FILE",
                        help="load the Rust-signed samples with Django instead of generating")
    args = parser.parse_args()
    sys.exit(check(args.check) if args.check else generate())
