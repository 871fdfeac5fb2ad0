"""`DB_URL` as libpq and pgjdbc write it, turned into a DSN that asyncpg honours in full.

asyncpg sends every query parameter it does not know to the server as a setting; PostgreSQL
refuses unknown ones at connect time, every time. So each parameter is either one asyncpg
reads, a pgjdbc one translated to its libpq meaning, or a start-up error naming it."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")  # weakest first

# What asyncpg reads from a DSN's query (asyncpg/connect_utils.py), and the two libpq
# keywords it forwards as start-up parameters, which PostgreSQL accepts.
_HONOURED = frozenset(
    {
        "host",
        "port",
        "dbname",
        "database",
        "user",
        "password",
        "passfile",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "sslpassword",
        "sslnegotiation",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "target_session_attrs",
        "krbsrvname",
        "gsslib",
        "service",
        "application_name",
        "options",
    }
)


class UnsupportedUrl(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseUrl:
    dsn: str  # postgresql://…, every query parameter one asyncpg honours
    sslmode: str | None  # as the URL asks, None when it does not
    user: str | None  # as the URL names it, None when it does not


def parse_db_url(text: str) -> DatabaseUrl:
    url = text.strip().removeprefix("jdbc:")
    if not url.startswith(("postgresql://", "postgres://")):
        raise UnsupportedUrl("expected postgresql://host:port/db or jdbc:postgresql://host:port/db")
    parts = urlsplit(url)
    given = dict(_translate(name, value) for name, value in parse_qsl(parts.query, True))
    jdbc_ssl = given.pop("ssl", None)
    if jdbc_ssl is not None:
        given.setdefault("sslmode", jdbc_ssl)
    query = {name: value for name, value in given.items() if value is not None}
    if "currentSchema" in query:
        search_path = query.pop("currentSchema").replace("\\", "\\\\").replace(" ", "\\ ")
        query["options"] = f"{query.get('options', '')} -c search_path={search_path}".strip()
    sslmode = query.get("sslmode")
    if sslmode is not None and sslmode not in SSLMODES:
        raise UnsupportedUrl(f"sslmode={sslmode!r} is not one of {', '.join(SSLMODES)}")
    dsn = urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    return DatabaseUrl(dsn, sslmode, parts.username or query.get("user"))


def _translate(name: str, value: str) -> tuple[str, str | None]:
    """pgjdbc's parameter names and meanings into libpq's."""
    if name in _HONOURED or name == "currentSchema":
        return name, value
    if name == "ApplicationName":
        return "application_name", value
    if name == "ssl":  # pgjdbc: present (or true) means verify-full unless sslmode says more
        if value.lower() in ("", "true"):
            return "ssl", "verify-full"
        if value.lower() == "false":
            return "ssl", None
    raise UnsupportedUrl(f"parameter {name!r} is not supported (no equivalent in asyncpg)")
