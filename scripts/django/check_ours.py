#!/usr/bin/env python3
"""Check, with Django and DRF themselves, a database written by the Rust crates.

    python scripts/django/check_ours.py <database path or URL> <manifest.json>

The database is used as it is (Django's ``migrate`` never runs): a SQLite path or ``sqlite://``,
``postgres://`` or ``mysql://`` URL. For every user in the manifest (see djsite/checks.py for its
format), Django's ``check_password`` and ``authenticate()`` must accept the right password exactly
when Django would (active users only), reject a wrong one, and DRF's
``Token.objects.select_related('user').get(key=...)`` must find the user's token. The checks run in
a transaction that is rolled back, so the database is left as it was.

Exit status: 0 when every check passes, 1 on any mismatch (each one printed), 2 on bad arguments.
"""

import sys

import djsite
from djsite.dburl import redact


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    url, manifest_path = argv[1], argv[2]
    manifest = djsite.load_manifest("check_ours", url, manifest_path)
    if manifest is None:
        return 2

    djsite.setup(url)
    from djsite.checks import Report, verify

    report = Report()
    try:
        verify(manifest, report)
    except Exception as error:  # noqa: BLE001 - e.g. the database cannot be reached
        report.fail(f"{type(error).__name__}: {error}")
    where = redact(url)
    if report.failures:
        for failure in report.failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        print(
            f"check_ours: Django disagrees with {where}: {len(report.failures)} of "
            f"{report.passed + len(report.failures)} checks failed",
            file=sys.stderr,
        )
        return 1
    print(f"check_ours: Django {django_version()} agrees with {where} ({report.passed} checks)")
    return 0


def django_version():
    import django

    return django.get_version()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
