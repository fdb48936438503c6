"""The listed symbols the rehearsal exchange trades: real TWSE codes with a reference price,
and the tick ladder and daily limits each one follows.

The shipped list lives in `data/symbols.csv`; its reference prices stand in for the
previous close and are checked against the ladder when loaded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from tradeburst.rules import ETF_TICKS, STOCK_TICKS, PriceBand, TickLadder, price_band

__all__ = ["Symbol", "load_symbols"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Symbol:
    code: str
    name: str
    kind: str
    ladder: TickLadder
    band: PriceBand

    @property
    def reference_twd(self) -> Decimal:
        return self.band.reference_twd


def load_symbols(stock_ladder: TickLadder = STOCK_TICKS) -> dict[str, Symbol]:
    """Read the shipped symbol list, keyed by code; shares follow `stock_ladder`."""
    text = resources.files("tradeburst.exchange").joinpath("data/symbols.csv").read_text("utf-8")
    symbols: dict[str, Symbol] = {}
    for row in csv.DictReader(text.splitlines()):
        ladder = ETF_TICKS if row["kind"] == "etf" else stock_ladder
        try:
            band = price_band(Decimal(row["reference_twd"]), ladder)
        except ValueError as exc:
            raise ValueError(f"symbol {row['symbol']}: {exc}") from None
        symbols[row["symbol"]] = Symbol(
            code=row["symbol"], name=row["name"], kind=row["kind"], ladder=ladder, band=band
        )
    return symbols
