"""Django's PBKDF2 hasher with the iteration count of ``PBKDF2_ITERATIONS`` (same algorithm name,
so its hashes are ordinary ``pbkdf2_sha256`` ones)."""

import os

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ConfiguredPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = int(os.environ.get("PBKDF2_ITERATIONS", PBKDF2PasswordHasher.iterations))
