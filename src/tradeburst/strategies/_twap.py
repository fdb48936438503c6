"""TWAP slicing: a large parent order (10,000,000 shares, say) becomes lot-rounded
child orders spread evenly over a time window.

The parent's lots are dealt to `slices` equal intervals of the window so that slice `i`
gets `floor((i+1)·L/n) − floor(i·L/n)` lots: the slices differ by at most one lot and
add up to the parent exactly. A slice bigger than one order may carry (499 lots) goes
out as several children at the same time. With a participation cap, a slice sends at
most `cap` × the volume traded since the previous slice (rounded down to lots); what it
could not send is carried to the next slice, and what is still left at the end of the
window is reported, never sent outside it. A strategy started late deals the missed
slices' lots over the slices still ahead (`schedule_from`). The limit price of each child
comes from a `PricePolicy`: a fixed price, or a basis (reference, best bid or ask, last
trade) moved by a number of ticks on the tick ladder and kept inside the day's limits.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from tradeburst.errors import TradeburstError
from tradeburst.model import Side
from tradeburst.rules import BOARD_LOT_SHARES, MAX_ORDER_SHARES, TickLadder

__all__ = [
    "BASES",
    "PricePolicy",
    "Slice",
    "TwapError",
    "TwapParent",
    "TwapStep",
    "allowed_lots",
    "execute",
    "schedule_from",
    "step",
    "twap_schedule",
]

MAX_ORDER_LOTS = MAX_ORDER_SHARES // BOARD_LOT_SHARES
BASES = ("reference", "bid", "ask", "last")


class TwapError(TradeburstError, ValueError):
    """A parent order or a policy that cannot be sliced; the message names the field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PricePolicy:
    """A fixed limit price, or `basis` moved by `offset_ticks` ticks (+ up, − down)."""

    price_twd: Decimal | None = None
    basis: str = "reference"
    offset_ticks: int = 0

    def __post_init__(self) -> None:
        if self.price_twd is not None and (not self.price_twd.is_finite() or self.price_twd <= 0):
            raise TwapError(f"price {self.price_twd} must be a positive number")
        if self.basis not in BASES:
            raise TwapError(f"basis {self.basis!r} must be one of {', '.join(BASES)}")

    def describe(self) -> str:
        if self.price_twd is not None:
            return f"limit {self.price_twd}"
        if self.offset_ticks == 0:
            return f"at the {self.basis}"
        return f"{self.basis} {self.offset_ticks:+d} ticks"

    def price(
        self,
        ladder: TickLadder,
        *,
        reference: Decimal,
        limit_up: Decimal,
        limit_down: Decimal,
        bid: Decimal | None = None,
        ask: Decimal | None = None,
        last: Decimal | None = None,
    ) -> Decimal:
        """The limit price now; a basis the market does not show yet falls back to the
        reference."""
        if self.price_twd is not None:
            return self.price_twd
        basis = {"reference": reference, "bid": bid, "ask": ask, "last": last}[self.basis]
        price = ladder.round_down(basis if basis is not None else reference)
        up = self.offset_ticks > 0
        for _ in range(abs(self.offset_ticks)):
            if (price >= limit_up) if up else (price <= limit_down):
                break  # the day's limit holds it there: the steps left change nothing
            price = ladder.step_up(price) if up else ladder.step_down(price)
        return min(max(price, limit_down), limit_up)


@dataclass(frozen=True, slots=True, kw_only=True)
class TwapParent:
    symbol: str
    side: Side
    quantity: int
    """Shares, a whole number of lots."""
    start_s: float
    """Window start, seconds (of the exchange day, or any common origin)."""
    end_s: float
    slices: int
    participation: Decimal | None = None
    """At most this fraction of the volume traded since the previous slice."""
    price: PricePolicy = PricePolicy()

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.quantity % BOARD_LOT_SHARES:
            raise TwapError(
                f"quantity {self.quantity} must be a positive whole number of "
                f"{BOARD_LOT_SHARES}-share lots"
            )
        if not self.end_s > self.start_s:
            raise TwapError("the window must end after it starts")
        if self.slices < 1:
            raise TwapError(f"slices {self.slices} must be at least 1")
        # A microsecond's slack: a window timed from a float start is 3599.9999… s long.
        most = max(1, math.floor(self.end_s - self.start_s + 1e-6))
        if self.slices > most:
            # More would be noise for a TWAP, and a schedule too big to hold in memory.
            raise TwapError(f"slices {self.slices}: at most one a second of the window ({most})")
        cap = self.participation
        if cap is not None and (not cap.is_finite() or not 0 < cap <= 1):
            raise TwapError(f"participation {cap} must be a fraction above 0, at most 1")

    @property
    def lots(self) -> int:
        return self.quantity // BOARD_LOT_SHARES


@dataclass(frozen=True, slots=True)
class Slice:
    index: int
    at_s: float
    lots: int
    """Scheduled lots (before any participation cap)."""

    @property
    def shares(self) -> int:
        return self.lots * BOARD_LOT_SHARES

    @property
    def children(self) -> list[int]:
        """The shares of each child order of this slice (none bigger than one order)."""
        full, rest = divmod(self.lots, MAX_ORDER_LOTS)
        lots = [MAX_ORDER_LOTS] * full + ([rest] if rest else [])
        return [n * BOARD_LOT_SHARES for n in lots]


def twap_schedule(parent: TwapParent) -> list[Slice]:
    """One slice per interval, at the interval's start; slices of 0 lots are kept (a cap's
    carry may still send in them)."""
    n, total = parent.slices, parent.lots
    step_s = (parent.end_s - parent.start_s) / n
    return [
        Slice(
            index=i,
            at_s=parent.start_s + i * step_s,
            lots=(i + 1) * total // n - i * total // n,
        )
        for i in range(n)
    ]


def schedule_from(parent: TwapParent, now_s: float) -> list[Slice]:
    """The slices still to come for a TWAP starting at `now_s`. A slice is missed only
    once its whole interval has passed; the one under way goes at once. On time: the whole
    plan. Late: the lots of the missed slices are dealt over the slices left, as the plan
    deals the whole, so a late start neither sends them in one burst nor drops them. Once
    the window has ended: none, and every lot is left unsent rather than sent outside it."""
    if now_s >= parent.end_s:
        return []
    planned = twap_schedule(parent)
    step_s = (parent.end_s - parent.start_s) / parent.slices
    left = [piece for piece in planned if piece.at_s + step_s > now_s]
    if not left:  # float rounding left the last interval a hair short of the end
        return []
    if len(left) == len(planned):
        return planned
    late = dataclasses.replace(parent, start_s=left[0].at_s, slices=len(left))
    return [Slice(left[0].index + p.index, p.at_s, p.lots) for p in twap_schedule(late)]


def allowed_lots(participation: Decimal, volume_shares: int) -> int:
    """Lots a slice may send: `participation` × the volume seen, rounded down to lots."""
    shares = (participation * volume_shares).to_integral_value(rounding=ROUND_FLOOR)
    return int(shares) // BOARD_LOT_SHARES


@dataclass(frozen=True, slots=True)
class TwapStep:
    """What one slice sends, and what it carries to the next."""

    slice: Slice
    lots: int
    carried_lots: int

    @property
    def children(self) -> list[int]:
        return Slice(self.slice.index, self.slice.at_s, self.lots).children


def step(parent: TwapParent, piece: Slice, carried_lots: int, volume_shares: int) -> TwapStep:
    """One slice: its lots and what the slice before carried, capped by the participation
    in the volume (shares) traded since that slice; the rest is carried on."""
    due = piece.lots + carried_lots
    send = due
    if parent.participation is not None:
        send = min(due, allowed_lots(parent.participation, volume_shares))
    return TwapStep(piece, send, due - send)


def execute(
    parent: TwapParent, schedule: Sequence[Slice], volumes: Sequence[int] | None = None
) -> tuple[list[TwapStep], int]:
    """The steps the slices take given the volume (shares) traded before each one, and the
    lots left unsent at the end of the window. Without a cap, every lot is sent."""
    steps: list[TwapStep] = []
    carry = 0
    for i, piece in enumerate(schedule):
        volume = volumes[i] if volumes is not None and i < len(volumes) else 0
        steps.append(taken := step(parent, piece, carry, volume))
        carry = taken.carried_lots
    return steps, carry
