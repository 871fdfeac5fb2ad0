"""A seeded generator of structure-aware HTTP requests to every route of the three services.

Random bytes rarely get past the first parser: near-valid inputs do. So each part is built from
its grammar and then bent: RFC 3339 date-times at the ends of the range and with odd offsets,
cursors that are valid base64url of almost-valid `<date-time>|<uuid>`, ids in every UUID
spelling, numbers that are not quite numbers, and the paths around each route.
"""

import base64
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

Pick = Callable[[random.Random], str]


@dataclass(frozen=True)
class Case:
    service: str  # "command", "consumer" or "query"
    method: str
    target: str  # path and query, percent-encoded as sent
    headers: list[tuple[bytes, bytes]]
    body: bytes


EDGE_TIMESTAMPS = [
    "2009-09-28T19:03:12Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T04:59:59.999999+05:00",
    "0001-01-01T00:00:00-00:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.9999999999999999999Z",
    "9999-12-31T19:00:00-05:00",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2016-12-31T23:59:60Z",
    "2023-02-29T00:00:00Z",
    "2024-02-29T00:00:00+23:59",
    "2024-02-29T00:00:00-23:59",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00+00:60",
    "2024-13-01T00:00:00Z",
    "2024-00-10T00:00:00Z",
    "2024-01-32T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01t00:00:00z",
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00:00,5Z",
    "20240101T000000Z",
    "2024-W01-1T00:00:00Z",
    "2024-001T00:00:00Z",
    "٢٠٢٤-٠١-٠١T00:00:00Z",
    "2024-01-01T00:00:00Z\x00",
    "2024-01-01T00:00:00Zjunk",
    "",
    " ",
]


def timestamp(rng: random.Random) -> str:
    """An edge case, or a valid date-time near the ends of the range with one field bent."""
    if rng.random() < 0.2:
        return rng.choice(EDGE_TIMESTAMPS[:9])  # well-formed, at or past the ends in UTC
    if rng.random() < 0.2:
        return rng.choice(EDGE_TIMESTAMPS)
    fields = {
        "year": f"{rng.choice([1, 1, 9999, 9999, 1970, rng.randint(1, 9999)]):04d}",
        "month": f"{rng.choice([1, 12, rng.randint(1, 12)]):02d}",
        "day": f"{rng.choice([1, 28, 31, rng.randint(1, 28)]):02d}",
        "clock": rng.choice(["00:00:00", "23:59:59", "12:30:00"]),
        "fraction": rng.choice(["", "", ".999999", "." + "9" * rng.randint(7, 40), ".000001"]),
        "offset": rng.choice(["Z", "+00:00", "-00:00", "+05:00", "-05:00", "+23:59", "-23:59"]),
    }
    if rng.random() < 0.3:
        field, value = rng.choice(
            [
                ("month", rng.choice(["00", "13", "1", "99"])),
                ("day", rng.choice(["00", "32", "29", "30", "1"])),
                ("clock", rng.choice(["24:00:00", "23:60:00", "23:59:60", "1:00:00", "00:00"])),
                ("fraction", rng.choice([".", ",5", ".5.5", ".\u0665"])),
                ("offset", rng.choice(["", "+24:00", "+5:00", "+0500", "+05", "-23:60", "Z+01"])),
                ("year", rng.choice(["0000", "10000", "-001", "999", "\u0662\u0660\u0662\u0664"])),
            ]
        )
        fields[field] = value
    date = f"{fields['year']}-{fields['month']}-{fields['day']}"
    return f"{date}T{fields['clock']}{fields['fraction']}{fields['offset']}"


def record_id(rng: random.Random) -> str:
    value = uuid.uuid4()
    return rng.choice(
        [
            str(value),
            str(value).upper(),
            "{" + str(value) + "}",
            value.urn,
            value.hex,
            str(uuid.uuid1()),
            str(uuid.UUID(int=0)),
            str(value)[:-1],
            str(value) + "0",
            str(value).replace("-", "_"),
            "0" * 36,
            "-1",
            "' OR 1=1 --",
            "9" * rng.randint(1, 3000),
            "",
        ]
    )


def _b64(raw: bytes, rng: random.Random) -> str:
    encoded = base64.urlsafe_b64encode(raw).decode()
    if rng.random() < 0.6:
        return encoded.rstrip("=")  # as the service hands them out
    return rng.choice(
        [
            encoded.rstrip("="),
            encoded,
            encoded + "==",
            base64.b64encode(raw).decode(),
            encoded[: max(len(encoded) - rng.randint(1, 3), 0)],
            encoded.rstrip("=") + rng.choice(["!", "*", ".", "%", " ", "\u00e9"]),
        ]
    )


def cursor(rng: random.Random) -> str:
    stamp = timestamp(rng)
    key = str(uuid.uuid4()) if rng.random() < 0.6 else record_id(rng)
    text = rng.choice(
        [
            f"{stamp}|{key}",
            f"{stamp}|{key}",
            f"{stamp}|{key}",
            f"{stamp}|{key}",
            f"{stamp}{key}",
            f"{stamp}|{key}|{key}",
            f"|{key}",
            f"{stamp}|",
            "|",
            "",
            f"{stamp}||{key}",
            f"{key}|{stamp}",
        ]
    )
    raw = text.encode()
    if rng.random() < 0.1:
        raw = rng.choice([b"\xff\xfe", b"\x00", rng.randbytes(rng.randint(1, 40))]) + raw
    if rng.random() < 0.05:
        return rng.choice(["", "=", "====", "a", "%", "A" * rng.randint(2000, 3000)])
    return _b64(raw, rng)


NOT_NUMBERS = ["nan", "inf", "-inf", "0x10", "1_0", "", " 1", "1 ", "\u0661", "abc", "9" * 40]


def limit(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(["1", "2", "100", "1000", str(rng.randint(1, 1000))])
    return rng.choice(["0", "-1", "-0", "1001", "1.5", "1e3", "99999999999999999999", *NOT_NUMBERS])


def wait(rng: random.Random) -> str:
    """Valid waits stay short: an unknown id holds the request that long."""
    if rng.random() < 0.6:
        return rng.choice(["0", "0.0", "-0", "0.01", "1e-3", "0.005"])
    return rng.choice(["-1", "30.0001", "31", "1e309", "-1e-9", *NOT_NUMBERS])


def _encode(text: str, rng: random.Random) -> str:
    if rng.random() < 0.7:
        return quote(text, safe="")
    return rng.choice(
        [
            quote(text, safe=":+|{}"),
            quote(quote(text, safe=""), safe=""),
            quote(text, safe="").replace("%", "%25", 1),
            quote(text, safe="") + rng.choice(["%", "%z", "%zz", "%00", "%ff", "%2F", "%2e%2e"]),
        ]
    )


def _query(rng: random.Random, names: dict[str, Pick]) -> str:
    chosen = [name for name in names if rng.random() < 0.6]
    if rng.random() < 0.1:
        chosen.append(rng.choice([*names, "unknown", "", "wait[]"]))
    pairs = [f"{quote(name)}={_encode(names.get(name, timestamp)(rng), rng)}" for name in chosen]
    return "&".join(pairs)


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # `{}` where a path parameter goes
    parameter: Pick | None = None
    query: dict[str, Pick] | None = None
    weight: int = 1  # routes with more to parse get more of the cases


ROUTES = [
    Route("command", "POST", "/api/v1/timestamp/{}", timestamp, weight=6),
    Route("command", "POST", "/api/v1/timestamp"),
    Route("command", "POST", "/app"),
    Route("query", "GET", "/api/v1/timestamp/{}", record_id, {"wait": wait}, weight=4),
    Route(
        "query",
        "GET",
        "/api/v1/timestamps",
        query={"from": timestamp, "to": timestamp, "limit": limit, "cursor": cursor},
        weight=10,
    ),
    *[
        Route(service, "GET", path)
        for service in ("command", "consumer", "query")
        for path in ("/health", "/ready", "/metrics", "/openapi.json", "/docs", "/redoc")
    ],
    Route("query", "GET", "/docs-assets/{}", lambda rng: rng.choice(["favicon.png", "..", ""])),
]


def _path(route: Route, rng: random.Random) -> str:
    path = route.path
    if route.parameter is not None:
        path = path.format(_encode(route.parameter(rng), rng))
    bend = rng.random()
    if bend < 0.05:
        path += "/"
    elif bend < 0.07:
        path = path.replace("/", "//", 1)
    elif bend < 0.09:
        path = path.replace("/v1/", "/v1/./")
    elif bend < 0.1:
        path = path.upper()
    return path


def _header_value(rng: random.Random) -> bytes:
    return rng.choice(
        [
            str(uuid.uuid4()).encode(),
            str(uuid.uuid1()).encode(),
            str(uuid.uuid4()).upper().encode(),
            b"{" + str(uuid.uuid4()).encode() + b"}",
            b"not-a-uuid",
            b"",
            b"Bearer",
            b"Bearer x",
            b"Bearer \tx",
            b"Basic dXNlcjpwYXNz",
            b"bearer " + b"t" * rng.randint(1, 64),
            "caf\u00e9".encode("latin-1"),
            b"\xff\xfe",
            b"a" * rng.randint(100, 10_000),
        ]
    )


CONTENT_TYPES = [
    b"application/json",
    b"application/x-ndjson",
    b"text/plain",
    b"multipart/form-data; boundary=x",
    b"application/json; charset=utf-16",
    b"",
]
HEADERS = [b"correlationId", b"X-Correlation-ID", b"Authorization", b"traceparent", b"Accept"]


def _headers(rng: random.Random) -> list[tuple[bytes, bytes]]:
    headers = [(name, _header_value(rng)) for name in HEADERS if rng.random() < 0.3]
    if rng.random() < 0.5:
        headers.append((b"Content-Type", rng.choice(CONTENT_TYPES)))
    return headers


def _body(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"",
            b"",
            b"{}",
            b"[]",
            b'["2009-09-28T19:03:12Z", "0001-01-01T00:00:00+05:00"]',
            b'{"timestamp": "9999-12-31T23:59:59-05:00"}',
            b'"2009-09-28T19:03:12Z"\n"x"\n',
            b"null",
            rng.randbytes(rng.randint(1, 64)),
            b"[" * 1000,
            b"x" * rng.randint(1025, 4096),
        ]
    )


WEIGHTS = [route.weight for route in ROUTES]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def cases(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for _ in range(count):
        (route,) = rng.choices(ROUTES, WEIGHTS)
        method = route.method if rng.random() < 0.9 else rng.choice(METHODS)
        target = _path(route, rng)
        if route.query is not None or rng.random() < 0.05:
            query = _query(rng, route.query or {"wait": wait})
            target += f"?{query}" if query else ""
        if rng.random() < 0.01:
            target += "&pad=" + "p" * rng.randint(2000, 3000)
        yield Case(route.service, method, target, _headers(rng), _body(rng))
