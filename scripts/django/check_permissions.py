#!/usr/bin/env python3
"""Permissions and groups, both ways, with Django itself, on a database the Rust crates migrated.

    python scripts/django/check_permissions.py <database path or URL> <manifest.json> <out.json>

The database is used as it is (Django's ``migrate`` never runs): after our ``migrate`` alone,

1. Django's ORM finds every default permission of the ``auth`` and ``contenttypes`` apps
   (``Permission.objects.get(content_type__app_label=..., codename=...)``), named as Django names
   them;
2. every user of the manifest (granted permissions and groups by the Rust commands) has, by
   Django's ``ModelBackend``, exactly the permissions the manifest lists: ``user.has_perm(p)`` for
   each, ``user.get_all_permissions()`` equal to them;
3. then Django grants permissions the way its admin does (``Group.objects.create``,
   ``group.permissions.add``, ``user.user_permissions.add``, ``user.groups.add``) to new users
   named with the manifest's ``tag``, commits, and writes to ``out.json``
   ``{"users": [{"username": ..., "permissions": [...]}]}`` with what ``get_all_permissions()``
   gives each, for the Rust side to compare with its ``user_permissions``.

The manifest is JSON: ``{"tag": str, "users": [{"username": str, "permissions": [str, ...]}]}``.

Exit status: 0 when every check passes, 1 on any mismatch (each one printed), 2 on bad arguments.
"""

import json
import sys

import djsite
from djsite.dburl import redact

# What Django 5.2's post_migrate creates for the two apps, as (app_label, model, codename, name).
DEFAULT_PERMISSIONS = [
    (app, model, f"{action}_{model}", f"Can {action} {verbose}")
    for app, model, verbose in [
        ("contenttypes", "contenttype", "content type"),
        ("auth", "permission", "permission"),
        ("auth", "group", "group"),
        ("auth", "user", "user"),
    ]
    for action in ("add", "change", "delete", "view")
]

# The grants Django makes: (username suffix, direct permissions, groups).
EDITORS = ["auth.change_user", "auth.view_group"]
REVIEWERS = ["contenttypes.view_contenttype", "auth.change_user"]
DJANGO_USERS = [
    ("direct", ["auth.add_user", "auth.delete_group"], []),
    ("editor", [], ["editors"]),
    ("both", ["auth.change_user", "auth.add_permission"], ["editors", "reviewers"]),
    ("none", [], []),
]


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    url, manifest_path, out_path = argv[1:]
    manifest = djsite.load_manifest("check_permissions", url, manifest_path)
    if manifest is None:
        return 2

    djsite.setup(url)
    failures = []
    checks = check_defaults(failures) + check_ours(manifest["users"], failures)
    users = grant_in_django(manifest["tag"])
    with open(out_path, "w", encoding="utf-8") as file:
        json.dump({"users": users}, file)
    where = redact(url)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    if failures:
        print(
            f"check_permissions: Django disagrees with {where}: {len(failures)} of {checks} "
            "checks failed",
            file=sys.stderr,
        )
        return 1
    print(
        f"check_permissions: Django finds the default permissions and our grants in {where} "
        f"({checks} checks) and granted {len(users)} users its own way"
    )
    return 0


def check_defaults(failures):
    """Django's ORM finds each default permission, with Django's name."""
    from django.contrib.auth.models import Permission

    for app_label, model, codename, name in DEFAULT_PERMISSIONS:
        try:
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
        except Permission.DoesNotExist:
            failures.append(f"Permission {app_label}.{codename}: not found")
            continue
        found = (permission.content_type.model, permission.name)
        if found != (model, name):
            failures.append(f"Permission {app_label}.{codename}: {found}, not {(model, name)}")
    return len(DEFAULT_PERMISSIONS)


def check_ours(entries, failures):
    """Each user has, by ModelBackend, exactly the manifest's permissions."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    checks = 0
    for entry in entries:
        name, expected = entry["username"], set(entry["permissions"])
        try:
            user = User.objects.get(username=name)
        except User.DoesNotExist:
            failures.append(f"user {name!r}: not found")
            continue
        checks += 1
        if user.get_all_permissions() != expected:
            failures.append(
                f"user {name!r}: get_all_permissions() is {sorted(user.get_all_permissions())}, "
                f"we granted {sorted(expected)}"
            )
        for permission in sorted(expected):
            checks += 1
            if not user.has_perm(permission):
                failures.append(f"user {name!r}: has_perm({permission!r}) is False")
        for permission in ("auth.delete_user", "contenttypes.delete_contenttype"):
            if permission not in expected:
                checks += 1
                if user.has_perm(permission):
                    failures.append(f"user {name!r}: has_perm({permission!r}) without a grant")
    return checks


def permission(name):
    from django.contrib.auth.models import Permission

    app_label, codename = name.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant_in_django(tag):
    """Django's admin way: groups and grants through the models' many-to-many managers."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    User = get_user_model()
    with transaction.atomic():
        groups = {}
        for label, names in (("editors", EDITORS), ("reviewers", REVIEWERS)):
            group = Group.objects.create(name=f"dj.{label}.{tag}")
            group.permissions.add(*[permission(n) for n in names])
            groups[label] = group
        users = []
        for suffix, direct, memberships in DJANGO_USERS:
            user = User.objects.create_user(username=f"dj.{suffix}.{tag}", password=None)
            user.user_permissions.add(*[permission(n) for n in direct])
            user.groups.add(*[groups[label] for label in memberships])
            # A fresh instance: has_perm caches the permissions on the object.
            user = User.objects.get(pk=user.pk)
            users.append(
                {"username": user.username, "permissions": sorted(user.get_all_permissions())}
            )
    return users


if __name__ == "__main__":
    sys.exit(main(sys.argv))
