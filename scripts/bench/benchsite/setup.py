"""Migrate the benchmark database, create the user and its token; print
`<token> <pbkdf2 iterations>`."""

import sys

import django

django.setup()

from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

username, password = sys.argv[1:3]
call_command("migrate", verbosity=0)
user = User.objects.create_user(username, password=password)
token = Token.objects.create(user=user)
print(token.key, PBKDF2PasswordHasher.iterations)
