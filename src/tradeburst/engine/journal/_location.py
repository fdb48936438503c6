"""Where a journal lives, as the user gives it to `--journal`: a file (SQLite, the
default) or a `postgresql://USER@HOST:PORT/DB` URL (a journal several processes and hosts
share). A URL's password is kept to connect with and never shown: `shown` is the URL
without it, and `scrub` takes it out of any text (a driver's error, say). Without a
password in the URL, the PostgreSQL driver reads `PGPASSWORD` or `~/.pgpass`, as libpq
users expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tradeburst._shown_urls import unreadable_url, without_password
from tradeburst.engine.journal._records import JournalError

__all__ = ["JournalLocation", "journal_location"]

POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class JournalLocation:
    """A journal file (`path`) or a PostgreSQL database (`url`)."""

    path: Path | None = None
    url: str | None = field(default=None, repr=False)
    shown: str = ""
    """What the user sees: the path, or the URL without its password."""
    password: str | None = field(default=None, repr=False)

    @property
    def shared(self) -> bool:
        """A database that holds many runs, so a run is named by its id."""
        return self.url is not None

    def scrub(self, text: str) -> str:
        """`text` without the URL's password in it."""
        if self.password:
            text = text.replace(self.password, "***")
            if self.url is not None:
                text = text.replace(self.url, self.shown)
        return text

    def __str__(self) -> str:
        return self.shown


def journal_location(value: str | Path) -> JournalLocation:
    """A `--journal` value: a `postgresql://` URL, or else a path."""
    if isinstance(value, Path):
        return JournalLocation(path=value, shown=str(value))
    scheme, sep, _ = value.partition("://")
    if not sep:
        return JournalLocation(path=Path(value), shown=value)
    if scheme.lower() not in POSTGRES_SCHEMES:
        raise JournalError(
            f"{without_password(value)}: a journal is a file or a postgresql:// URL, "
            f"not {scheme}://"
        )
    return _postgres(value)


def _postgres(url: str) -> JournalLocation:
    shown = without_password(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise JournalError(f"{shown}: not a PostgreSQL URL: {unreadable_url(exc)}") from None
    if not parts.hostname and "host=" not in parts.query:
        raise JournalError(f"{shown}: the URL names no host (postgresql://USER@HOST:PORT/DB)")
    if not parts.path.strip("/"):
        raise JournalError(f"{shown}: the URL names no database (postgresql://USER@HOST:PORT/DB)")
    if port is not None and not 0 < port < 65536:
        raise JournalError(f"{shown}: port {port} is out of range")
    password = unquote(parts.password) if parts.password else None
    in_query = parse_qs(parts.query).get("password")
    if in_query:
        password = in_query[0]
    return JournalLocation(url=url, shown=shown, password=password)
