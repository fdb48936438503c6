"""A URL as it may be printed: a server URL a user gives (a Redis throttle, a PostgreSQL
journal) may carry a password, and that text goes into errors, `tradeburst config` and
logs. The password is cut at the URL's last `@`, not where a parser would end the user
part: a password with an unencoded `/`, `?` or `#` makes parsers end it early and read
the rest of it as the host or the path, which they then echo in their errors."""

from __future__ import annotations

import re

__all__ = ["MASK", "unreadable_url", "without_password"]

MASK = "***"
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def without_password(text: str) -> str:
    """`text` with any password taken out (`user:secret@host` → `user@host`, and a
    `password=` parameter's value); text that is not a URL comes back as it is."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    user_part, at, after = rest.rpartition("@")
    if at and ":" in user_part:
        rest = f"{user_part.split(':', 1)[0]}@{after}"
    rest = _PASSWORD_PARAMETER.sub(lambda m: m.group(1) + MASK, rest)
    return f"{scheme}{sep}{rest}"


def unreadable_url(error: ValueError) -> str:
    """Why urllib could not read a URL, in words that quote none of it: its messages echo
    the text after the host's colon, which a password holding a `/` puts there."""
    if "out of range" in str(error):
        return "its port is out of range 0-65535"
    if "could not be cast" in str(error):
        return "its port is not a number (a password holding / ? # or @ must be %-encoded)"
    return "it cannot be read as a URL"
