"""Turn the database URLs the Rust crates accept into Django ``DATABASES`` entries.

Accepted forms (the same as ``AuthStore::connect``):

* a bare path, ``sqlite://path`` or ``sqlite:///absolute/path`` (also ``sqlite3://``): SQLite;
* ``postgres://user:password@host:port/name?sslmode=...`` (or ``postgresql://``);
* ``mysql://user:password@host:port/name`` (or ``mariadb://``): MySQL or MariaDB.
"""

from urllib.parse import parse_qsl, unquote, urlsplit


def database_from_url(url):
    """Return a Django ``DATABASES['default']`` dict for ``url``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url}
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite3"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": rest}
    if scheme in ("postgres", "postgresql"):
        engine, options = "django.db.backends.postgresql", {}
    elif scheme in ("mysql", "mariadb"):
        engine, options = "django.db.backends.mysql", {"charset": "utf8mb4"}
    else:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: "
            "use a SQLite path, sqlite://, postgres:// or mysql://"
        )
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ValueError(f"the database URL {redact(url)} names no database")
    options.update(parse_qsl(parts.query))
    return {
        "ENGINE": engine,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


def redact(url):
    """``url`` with any password replaced by ``***`` (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
