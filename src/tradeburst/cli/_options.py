"""The options that `fire`, `rush`, `resume` and `run` share, as typer types, and the checks
that turn their values into the engine's settings. A command declares each option it takes
with one of these types, so the same option has the same name, default and help wherever
it appears; a command-only option lives beside its command. Every check raises a usage
error naming the option (exit 2) before anything is sent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from tradeburst.cli._values import non_negative
from tradeburst.engine import (
    DEFAULT_GRACE_S,
    DEFAULT_HEADROOM_S,
    DEFAULT_PRICE_COLLAR_PCT,
    JournalError,
    JournalLocation,
    Release,
    RiskLimits,
    ThrottleError,
    ThrottleUrl,
    journal_location,
    throttle_url,
)
from tradeburst.limits import PROFILES
from tradeburst.summary import LatencyThresholds

__all__ = [
    "DEFAULT_COLLAR_PCT",
    "DEFAULT_DELAYED_MS",
    "DEFAULT_GRACE_MS",
    "DEFAULT_HEADROOM_MS",
    "DEFAULT_REALTIME_MS",
    "DEFAULT_URL",
    "Again",
    "ApiKey",
    "ApiKeyFile",
    "BatchSize",
    "CancelOnAbort",
    "Concurrency",
    "DelayedMs",
    "DryRun",
    "GraceMs",
    "HeadroomMs",
    "JournalPath",
    "JsonPath",
    "MaxNotional",
    "MaxOrders",
    "MaxQty",
    "MaxRequestAge",
    "MaxRunNotional",
    "MaxRunQty",
    "Orders",
    "PriceCollarPct",
    "Profile",
    "RealtimeMs",
    "ReleaseOption",
    "SharedThrottle",
    "Url",
    "checked_url",
    "grace_s",
    "headroom_s",
    "journal_value",
    "profile_name",
    "request_age_s",
    "risk_limits",
    "shared_throttle",
    "thresholds",
]

DEFAULT_URL = "http://127.0.0.1:8765"
DEFAULT_GRACE_MS = DEFAULT_GRACE_S * 1000
DEFAULT_HEADROOM_MS = DEFAULT_HEADROOM_S * 1000
DEFAULT_COLLAR_PCT = str(DEFAULT_PRICE_COLLAR_PCT)
DEFAULT_REALTIME_MS = LatencyThresholds().realtime_ms
DEFAULT_DELAYED_MS = LatencyThresholds().delayed_ms
MIN_GRACE_MS = 100.0
"""Below this, a lost answer would be asked about before the order could have arrived."""
MAX_REQUEST_AGE_S = 86_400.0

# -- where the orders go ------------------------------------------------------------------

Url = Annotated[
    str, typer.Option(envvar="TRADEBURST_URL", help="The broker: the rehearsal exchange's URL.")
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        envvar="TRADEBURST_API_KEY",
        show_envvar=True,
        help="The account's API key (prefer the environment or --api-key-file).",
    ),
]
ApiKeyFile = Annotated[
    Path | None, typer.Option(help="A file holding the API key; must be mode 0600.")
]
Profile = Annotated[
    str | None,
    typer.Option(help=f"Throttle by these limits ({', '.join(PROFILES)}) instead of the broker's."),
]
Concurrency = Annotated[
    int | None,
    typer.Option(min=1, max=1000, help="Requests in flight (default: the broker's connections)."),
]
BatchSize = Annotated[
    int | None,
    typer.Option(min=1, help="Orders per batch call (default: the broker's maximum; 1: none)."),
]

SharedThrottle = Annotated[
    str | None,
    typer.Option(
        "--throttle",
        envvar="TRADEBURST_THROTTLE",
        show_envvar=True,
        help="Share the account's limits with every process on it: redis://HOST:PORT/DB.",
        show_default=False,
    ),
]

# -- what is kept -------------------------------------------------------------------------

Orders = Annotated[
    Path,
    typer.Argument(help="Orders file: CSV with a header, or JSON Lines.", show_default=False),
]


def journal_value(text: str) -> JournalLocation:
    """A `--journal` value: a file, or a `postgresql://USER@HOST:PORT/DB` URL."""
    try:
        return journal_location(text)
    except JournalError as exc:
        raise typer.BadParameter(str(exc), param_hint="--journal") from None


JournalPath = Annotated[
    JournalLocation | None,
    typer.Option(
        parser=journal_value,
        metavar="<path|url>",
        help="Journal file (default: journal/DAY-RUNID.sqlite here), or a shared "
        "postgresql://USER@HOST:PORT/DB (password from PGPASSWORD or ~/.pgpass).",
    ),
]
JsonPath = Annotated[Path | None, typer.Option("--json", help="Write the run summary here.")]
# One name only, no --no-dry-run: the pair was never used and its second column cut the
# option names at 80 columns.
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Check the orders and print the plan and its bound; send nothing."
    ),
]

Again = Annotated[
    bool,
    typer.Option(
        "--again", help="Send orders a run of today already sent on this account (refused else)."
    ),
]

# -- what may be sent ---------------------------------------------------------------------

MaxOrders = Annotated[int, typer.Option(min=1, help="Most orders in one run.")]
MaxQty = Annotated[int | None, typer.Option(min=1, help="Most shares in one order.")]
MaxNotional = Annotated[str | None, typer.Option(help="Most TWD in one order (price × shares).")]
MaxRunQty = Annotated[int | None, typer.Option(min=1, help="Most shares in the run.")]
MaxRunNotional = Annotated[str | None, typer.Option(help="Most TWD in the run.")]
PriceCollarPct = Annotated[
    str, typer.Option(help="Farthest a limit price may be from the reference, in %.")
]

# -- timing and settling ------------------------------------------------------------------

GraceMs = Annotated[
    float,
    typer.Option(help="How long an order without an answer waits before the broker is asked."),
]
HeadroomMs = Annotated[float, typer.Option(help="Margin added to every limit window.")]
ReleaseOption = Annotated[
    Release | None,
    typer.Option(
        "--release",
        help="From when an answered request's throttle slot counts its last window: "
        "'answer' (exact whatever the broker stamps; one round trip late per window) or "
        "'broker-stamp' (the stamp the broker's answer says its rate limit counted the "
        "request by, moved to our clock; where an answer carries no stamp, its answer). "
        "Default: broker-stamp on the rehearsal exchange, which counts by that stamp; "
        "answer on Fubon, whose answers carry none and whose counting rule is undocumented.",
        show_default=False,
        case_sensitive=False,
    ),
]
MaxRequestAge = Annotated[
    float | None,
    typer.Option(
        "--max-request-age",
        help="Seconds after it left that a request may still reach the broker: an order whose "
        "answer was lost is sent again only after this, and only if the broker does not have "
        "it. Default: the broker profile's (60 s).",
        show_default=False,
    ),
]
CancelOnAbort = Annotated[
    bool,
    typer.Option(
        "--cancel-on-abort", help="On Ctrl-C, cancel the orders of the run that are still open."
    ),
]
RealtimeMs = Annotated[
    float, typer.Option(help="🟢 realtime: the broker's time within this of ours.")
]
DelayedMs = Annotated[float, typer.Option(help="🟡 delayed within this; 🔴 severe beyond.")]


# -- checks -------------------------------------------------------------------------------


def profile_name(name: str | None) -> str | None:
    """--profile: one of the known limit profiles, or none (the broker's own)."""
    if name is not None and name not in PROFILES:
        raise typer.BadParameter(
            f"{name!r} is not one of {', '.join(PROFILES)}", param_hint="--profile"
        )
    return name


def shared_throttle(value: str | None) -> ThrottleUrl | None:
    """--throttle: a redis:// URL, or none (this process's own throttle)."""
    if value is None or not value.strip():
        return None
    try:
        return throttle_url(value)
    except ThrottleError as exc:
        raise typer.BadParameter(str(exc), param_hint="--throttle") from None


def grace_s(grace_ms: float) -> float:
    """--grace-ms in seconds, at least MIN_GRACE_MS."""
    if non_negative(grace_ms, "--grace-ms") < MIN_GRACE_MS:
        raise typer.BadParameter(f"must be at least {MIN_GRACE_MS:g} ms", param_hint="--grace-ms")
    return grace_ms / 1000


def headroom_s(headroom_ms: float) -> float:
    """--headroom-ms in seconds."""
    return non_negative(headroom_ms, "--headroom-ms") / 1000


def request_age_s(seconds: float | None) -> float | None:
    """--max-request-age: a positive number of seconds, at most a day."""
    if seconds is None:
        return None
    if not 0 < seconds <= MAX_REQUEST_AGE_S:
        raise typer.BadParameter(
            f"must be more than 0 and at most {MAX_REQUEST_AGE_S:g} s",
            param_hint="--max-request-age",
        )
    return seconds


def checked_url(value: str) -> str:
    """--url: an http(s) URL of the rehearsal exchange, with a host and a port that can be
    connected to. Checked in full here, before anything is read or sent: a port out of range
    used to pass and fail late, deep in the HTTP client, as `InvalidUrlClientError`."""
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise typer.BadParameter(f"{value!r} is not a URL like {DEFAULT_URL}", param_hint="--url")
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken IPv6 host
        raise typer.BadParameter(f"{value!r} has no host", param_hint="--url") from None
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise typer.BadParameter(f"{value!r} has no usable port (1 to 65535)", param_hint="--url")
    if not parts.hostname:
        raise typer.BadParameter(f"{value!r} has no host", param_hint="--url")
    return value


def risk_limits(
    max_orders: int,
    max_qty: int | None,
    max_notional: str | None,
    max_run_qty: int | None,
    max_run_notional: str | None,
    price_collar_pct: str,
) -> RiskLimits:
    """The --max-* options and --price-collar-pct as the engine's risk limits."""
    return RiskLimits(
        max_orders=max_orders,
        max_qty=max_qty,
        max_notional_twd=_twd(max_notional, "--max-notional"),
        max_run_qty=max_run_qty,
        max_run_notional_twd=_twd(max_run_notional, "--max-run-notional"),
        price_collar_pct=_twd(price_collar_pct, "--price-collar-pct"),
    )


def thresholds(realtime_ms: float, delayed_ms: float) -> LatencyThresholds:
    """--realtime-ms and --delayed-ms: the latency classification's two bounds, in order."""
    non_negative(realtime_ms, "--realtime-ms")
    if not realtime_ms < delayed_ms:
        raise typer.BadParameter(
            f"must be above --realtime-ms ({realtime_ms:g})", param_hint="--delayed-ms"
        )
    return LatencyThresholds(realtime_ms=realtime_ms, delayed_ms=delayed_ms)


def _twd(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0:
        raise typer.BadParameter(f"{value!r} is not a positive amount", param_hint=option)
    return amount
