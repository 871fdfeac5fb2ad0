"""Secrets out of anything printed: URL passwords and password-like query parameters."""

import re

_USERINFO_PASSWORD = re.compile(r"(?P<head>://[^/?#@\s:]*:)[^/?#@\s]*@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:ssl)?password=)[^&#\s]*", re.IGNORECASE)
HIDDEN = "***"


def redact(text: str) -> str:
    """`postgresql://app:S3cret@db/ts?password=x` → `postgresql://app:***@db/ts?password=***`.
    Works on any text, a malformed URL or an error message that quotes one included."""
    text = _USERINFO_PASSWORD.sub(rf"\g<head>{HIDDEN}@", text)
    return _QUERY_PASSWORD.sub(rf"\g<head>{HIDDEN}", text)
