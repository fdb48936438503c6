"""Where a shared throttle lives and how it holds slots: `redis://HOST:PORT/DB`, read once
where it enters (the `--throttle` option or `TRADEBURST_THROTTLE`), with optional
settings in the query: `lease_s` (how long a killed process's slots stay held) and
`grace_s` (how long Redis may be out of reach mid-run before sending stops).

Errors are `ThrottleError`s that name what is wrong; a URL with a password is never
repeated in one (`shown` masks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from tradeburst._shown_urls import unreadable_url
from tradeburst.errors import TradeburstError

__all__ = [
    "DEFAULT_LEASE_S",
    "DEFAULT_OUTAGE_GRACE_S",
    "ThrottleError",
    "ThrottleLost",
    "ThrottleUnreachable",
    "ThrottleUrl",
    "throttle_url",
]

DEFAULT_LEASE_S = 5.0
"""A slot in flight is held this long unless its holder renews it (every third of it):
how long the slots of a process killed mid-request stay held."""
DEFAULT_OUTAGE_GRACE_S = 2.0
"""Redis may be out of reach this long mid-run (a restart) before sending stops."""
MAX_SETTING_S = 3600.0


class ThrottleError(TradeburstError):
    """The shared throttle cannot be used as given."""


class ThrottleUnreachable(ThrottleError, ConnectionError):
    """Redis cannot be reached as a run starts: nothing was sent."""


class ThrottleLost(ThrottleError, ConnectionError):
    """Redis went out of reach mid-run for longer than the grace: sending stops."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleUrl:
    """A Redis server and database, and the throttle's settings on it."""

    host: str
    port: int
    db: int
    password: str | None = field(default=None, repr=False)
    username: str | None = None
    tls: bool = False
    lease_s: float = DEFAULT_LEASE_S
    grace_s: float = DEFAULT_OUTAGE_GRACE_S

    @property
    def shown(self) -> str:
        """The URL as it may be printed: no password."""
        scheme = "rediss" if self.tls else "redis"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/{self.db}"


def throttle_url(text: str) -> ThrottleUrl:
    """`text` as a `ThrottleUrl`; a `ThrottleError` saying what is wrong otherwise."""
    if len(text) > 2048:
        raise ThrottleError("the throttle URL is longer than 2048 characters")
    try:
        parts = urlsplit(text.strip())
        port = parts.port or 6379
    except ValueError as exc:
        raise ThrottleError(f"not a throttle URL: {unreadable_url(exc)}") from None
    if parts.scheme not in ("redis", "rediss"):
        raise ThrottleError("a throttle URL starts with redis:// (e.g. redis://127.0.0.1:6379/0)")
    if not parts.hostname:
        raise ThrottleError("the throttle URL names no host (e.g. redis://127.0.0.1:6379/0)")
    path = parts.path.strip("/") or "0"
    if not path.isdigit() or int(path) > 1_000_000:
        # Not quoted: a password holding a `/` would be part of it.
        raise ThrottleError("the throttle URL's database (its path) must be a number")
    settings = {"lease_s": DEFAULT_LEASE_S, "grace_s": DEFAULT_OUTAGE_GRACE_S}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in settings:
            raise ThrottleError(f"the throttle URL has no setting {name!r} (lease_s, grace_s)")
        settings[name] = _seconds(name, value)
    return ThrottleUrl(
        host=parts.hostname,
        port=port,
        db=int(path),
        password=parts.password,
        username=parts.username,
        tls=parts.scheme == "rediss",
        **settings,
    )


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0.1 <= seconds <= MAX_SETTING_S:
        raise ThrottleError(f"the throttle URL's {name} must be seconds from 0.1 to 3600")
    return seconds
