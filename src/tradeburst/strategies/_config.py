"""Reading a strategies file (TOML) into `StrategySpec`s, every problem named with the
file and the strategy, and nothing run if any is wrong.

    [run]                        # optional
    feed = "websocket"           # or "poll" (a 100 ms polling loop: poll_interval_ms)
    cancel_reserve = 0.1         # share of the order window kept for cancels

    [[strategy]]
    name = "alpha"               # letters, digits, - and _; unique
    weight = 3                   # share of the account's budget when strategies compete
    at = "09:30:05"              # optional: start at this exchange time (no zone; not past)
    chunk_size = 3               # optional chunked pacing: chunks of N orders…
    delay_ms = 5                 # …this far apart (both or neither)
    orders = "alpha.csv"         # an orders file (relative to this file), one batch; or
    batches = [[{symbol = "2330", side = "Buy", quantity = 1000, price = "580"}], …]

    [[strategy]]
    kind = "twap"                # symbol, side, quantity, slices, start/end or duration_s,
                                 # participation, price or basis + offset_ticks
    [[strategy]]
    kind = "python"
    class = "reactor:TradeReactor"   # module:Class, the module found beside this file
    symbols = ["2330"]
    duration_s = 30              # optional bound: what is not sent by then is not sent
    params = { threshold = 3 }   # given to the class as self.params

Prices are written as strings or integers, never TOML floats: a binary float is not an
exact price.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from tradeburst._inputs import STRATEGIES_FILE_MAX_BYTES, InputFileError, read_input
from tradeburst.clock import TimeOfDayError, duration_problem, parse_time_of_day
from tradeburst.engine import (
    InputProblem,
    InvalidInput,
    ManualPacing,
    OrderRow,
    read_orders,
)
from tradeburst.marketdata import DEFAULT_POLL_INTERVAL_S
from tradeburst.model import MarketType, Order, OrderError, OrderType, PriceType, Side, TimeInForce
from tradeburst.rules import PriceError, parse_price
from tradeburst.strategies._clock import seconds_of_day
from tradeburst.strategies._fair import DEFAULT_CANCEL_RESERVE
from tradeburst.strategies._twap import PricePolicy, TwapError, TwapParent

__all__ = ["KINDS", "RunConfig", "StrategySpec", "TwapSpec", "read_config"]

KINDS = ("batches", "twap", "python")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ORDER_KEYS = {
    "symbol", "side", "quantity", "price", "price_type", "time_in_force", "market_type",
    "order_type", "tag",
}  # fmt: skip
_COMMON_KEYS = {"name", "kind", "weight", "at", "chunk_size", "delay_ms"}
_KIND_KEYS = {
    "batches": {"orders", "batches"},
    "twap": {
        "symbol", "side", "quantity", "slices", "start", "end", "duration_s", "participation",
        "price", "basis", "offset_ticks",
    },
    "python": {"class", "symbols", "duration_s", "params"},
}  # fmt: skip
E = TypeVar("E")


@dataclass(frozen=True, slots=True, kw_only=True)
class TwapSpec:
    parent: TwapParent
    """With the window from 0 to its length when `start` is None (timed from the run's
    start)."""
    start: time | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategySpec:
    name: str
    kind: str
    weight: float
    at: time | None = None
    pacing: ManualPacing | None = None
    batches: list[list[OrderRow]] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    """Per batch: the path its problems are reported under."""
    twap: TwapSpec | None = None
    target: str | None = None
    symbols: tuple[str, ...] = ()
    duration_s: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    path: Path
    strategies: list[StrategySpec]
    feed: str = "websocket"
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    cancel_reserve: float = DEFAULT_CANCEL_RESERVE


class _Bad(Exception):
    pass


def read_config(path: Path, *, max_rows: int) -> RunConfig:
    """The run; `InvalidInput` listing every problem if anything is wrong."""
    shown = str(path)
    try:
        text = read_input(path, STRATEGIES_FILE_MAX_BYTES).decode("utf-8")
        document = tomllib.loads(text)
    except OSError as exc:
        raise InvalidInput([InputProblem(shown, None, f"cannot read ({exc.strerror})")]) from None
    except InputFileError as exc:
        raise InvalidInput([InputProblem(shown, None, f"cannot read: it {exc}")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput([InputProblem(shown, None, f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise InvalidInput([InputProblem(shown, None, "not a run: nested too deeply")]) from None
    problems: list[InputProblem] = []
    run = document.get("run", {})
    settings: dict[str, Any] = {}
    try:
        settings = _run_settings(run)
    except _Bad as exc:
        problems.append(InputProblem(shown, None, f"[run] {exc}"))
    unknown = set(document) - {"run", "strategy"}
    if unknown:
        problems.append(InputProblem(shown, None, f"unknown tables {sorted(unknown)}"))
    entries = document.get("strategy")
    if not isinstance(entries, list) or not entries:
        problems.append(InputProblem(shown, None, "no [[strategy]] entries"))
        entries = []
    specs: list[StrategySpec] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, 1):
        label = f"[[strategy]] #{number}"
        try:
            if not isinstance(entry, dict):
                raise _Bad("must be a table")
            name = entry.get("name")
            if isinstance(name, str) and _NAME.fullmatch(name):
                label = f"strategy {name!r}"
            spec = _strategy(entry, path, max_rows, problems)
            if spec.name in names:
                raise _Bad(f"the name {spec.name!r} is used twice")
            names.add(spec.name)
            specs.append(spec)
        except _Bad as exc:
            problems.append(InputProblem(shown, None, f"{label}: {exc}"))
    if problems:
        raise InvalidInput(problems)
    return RunConfig(path=path, strategies=specs, **settings)


def _run_settings(run: Any) -> dict[str, Any]:
    if not isinstance(run, dict):
        raise _Bad("must be a table")
    unknown = set(run) - {"feed", "poll_interval_ms", "cancel_reserve"}
    if unknown:
        raise _Bad(f"unknown keys {sorted(unknown)}")
    settings: dict[str, Any] = {}
    if "feed" in run:
        if run["feed"] not in ("websocket", "poll"):
            raise _Bad('feed must be "websocket" or "poll"')
        settings["feed"] = run["feed"]
    if "poll_interval_ms" in run:
        settings["poll_interval_s"] = _positive(run["poll_interval_ms"], "poll_interval_ms") / 1000
    if "cancel_reserve" in run:
        reserve = run["cancel_reserve"]
        if not isinstance(reserve, int | float) or not 0 <= reserve < 1:
            raise _Bad("cancel_reserve must be a fraction in [0, 1)")
        settings["cancel_reserve"] = float(reserve)
    return settings


def _strategy(
    entry: dict[str, Any], path: Path, max_rows: int, problems: list[InputProblem]
) -> StrategySpec:
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _Bad("name must be 1-32 letters, digits, - or _")
    kind = entry.get("kind", "batches")
    if kind not in KINDS:
        raise _Bad(f"kind must be one of {', '.join(KINDS)}")
    unknown = set(entry) - _COMMON_KEYS - _KIND_KEYS[kind]
    if unknown:
        raise _Bad(f"unknown keys for kind {kind!r}: {sorted(unknown)}")
    weight = _positive(entry.get("weight", 1), "weight")
    at = _clock(entry["at"], "at") if "at" in entry else None
    chunk, delay = entry.get("chunk_size"), entry.get("delay_ms")
    pacing = None
    if (chunk is None) != (delay is None):
        raise _Bad("give both chunk_size and delay_ms, or neither")
    if chunk is not None:
        if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
            raise _Bad("chunk_size must be a whole number of at least 1")
        delay_s = _duration(_non_negative(delay, "delay_ms") / 1000, "delay_ms")
        pacing = ManualPacing(chunk_size=chunk, delay_s=delay_s)
    common: dict[str, Any] = {"name": name, "kind": kind, "weight": weight, "at": at}
    if kind == "batches":
        batches, where = _batches(entry, name, path, max_rows, problems)
        return StrategySpec(**common, pacing=pacing, batches=batches, where=where)
    if kind == "twap":
        return StrategySpec(**common, pacing=pacing, twap=_twap(entry), symbols=(entry["symbol"],))
    target = entry.get("class")
    if not isinstance(target, str) or not re.fullmatch(r"[\w.]+:\w+", target):
        raise _Bad('class must be "module:Class"')
    symbols = entry.get("symbols", [])
    if not isinstance(symbols, list) or not all(isinstance(s, str) and s for s in symbols):
        raise _Bad("symbols must be a list of symbols")
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise _Bad("params must be a table")
    duration = entry.get("duration_s")
    return StrategySpec(
        **common,
        pacing=pacing,
        target=target,
        symbols=tuple(symbols),
        duration_s=_duration(_positive(duration, "duration_s"), "duration_s")
        if duration is not None
        else None,
        params=params,
    )


def _batches(
    entry: dict[str, Any], name: str, path: Path, max_rows: int, problems: list[InputProblem]
) -> tuple[list[list[OrderRow]], list[str]]:
    if ("orders" in entry) == ("batches" in entry):
        raise _Bad('give an orders file (orders = "…") or inline batches, one of them')
    if "orders" in entry:
        source = entry["orders"]
        if not isinstance(source, str):
            raise _Bad("orders must be a file name")
        file = (path.parent / source) if not Path(source).is_absolute() else Path(source)
        rows, found = read_orders(file, max_rows=max_rows)
        problems.extend(found)
        if not rows and not found:
            raise _Bad(f"{file} holds no orders")
        return [rows], [str(file)]
    raw = entry["batches"]
    if not isinstance(raw, list) or not raw or not all(isinstance(b, list) and b for b in raw):
        raise _Bad("batches must be a list of non-empty lists of orders")
    batches: list[list[OrderRow]] = []
    where: list[str] = []
    for b, batch in enumerate(raw):
        rows = []
        for i, cells in enumerate(batch):
            try:
                rows.append(OrderRow(line=i + 1, order=_order(cells), tag=_tag(cells, name)))
            except _Bad as exc:
                raise _Bad(f"batches[{b}][{i}]: {exc}") from None
        batches.append(rows)
        where.append(f"{path} (strategy {name!r}, batches[{b}], order)")
    return batches, where


def _order(cells: Any) -> Order:
    if not isinstance(cells, dict):
        raise _Bad("an order must be an inline table")
    unknown = set(cells) - _ORDER_KEYS
    if unknown:
        raise _Bad(f"unknown keys {sorted(unknown)}")
    for key in ("symbol", "side", "quantity"):
        if key not in cells:
            raise _Bad(f"{key} is missing")
    quantity = cells["quantity"]
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise _Bad("quantity must be a whole number of shares")
    try:
        return Order(
            symbol=str(cells["symbol"]),
            side=_choice(cells, "side", Side, None),
            quantity=quantity,
            price_twd=_price(cells.get("price")),
            price_type=_choice(cells, "price_type", PriceType, PriceType.LIMIT),
            time_in_force=_choice(cells, "time_in_force", TimeInForce, TimeInForce.ROD),
            market_type=_choice(cells, "market_type", MarketType, MarketType.COMMON),
            order_type=_choice(cells, "order_type", OrderType, OrderType.STOCK),
        )
    except OrderError as exc:
        raise _Bad(str(exc)) from None


def _tag(cells: dict[str, Any], default: str) -> str:
    tag = cells.get("tag", default)
    if not isinstance(tag, str) or len(tag) > 32:
        raise _Bad("tag must be text of at most 32 characters")
    return tag


def _choice(cells: dict[str, Any], key: str, kind: Callable[[Any], E], default: E | None) -> E:
    if key not in cells:
        if default is None:
            raise _Bad(f"{key} is missing")
        return default
    try:
        return kind(cells[key])
    except ValueError:
        raise _Bad(f"{key} {cells[key]!r} is not one of the allowed values") from None


def _price(value: Any, key: str = "price") -> Decimal | None:
    """A price (or another exact fraction, named `key`) as the orders file writes one."""
    if value is None:
        return None
    if isinstance(value, float):
        raise _Bad(f'write {key} as a string ({key} = "{value}"): a TOML float is inexact')
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Bad(f'{key} must be a string like "580.5" or a whole number')
    try:  # the one rule an orders file and the exchange read a price by
        return parse_price(str(value))
    except PriceError as error:
        raise _Bad(f"{key} {str(value)!r} {error}") from None


def _twap(entry: dict[str, Any]) -> TwapSpec:
    for key in ("symbol", "side", "quantity", "slices"):
        if key not in entry:
            raise _Bad(f"{key} is missing")
    start = _clock(entry["start"], "start") if "start" in entry else None
    if start is not None:
        if "end" not in entry or "duration_s" in entry:
            raise _Bad("with start, give end (and no duration_s)")
        end = _clock(entry["end"], "end")
        length_s = seconds_of_day(end) - seconds_of_day(start)
    else:
        if "duration_s" not in entry or "end" in entry:
            raise _Bad("give start and end, or duration_s (timed from the run's start)")
        length_s = _duration(_positive(entry["duration_s"], "duration_s"), "duration_s")
    participation = entry.get("participation")
    if participation is not None:
        participation = _price(participation, "participation")  # exact, as a price is
    slices = entry["slices"]
    quantity = entry["quantity"]
    if not isinstance(slices, int) or not isinstance(quantity, int):
        raise _Bad("slices and quantity must be whole numbers")
    offset = entry.get("offset_ticks", 0)
    if not isinstance(offset, int):
        raise _Bad("offset_ticks must be a whole number")
    try:
        parent = TwapParent(
            symbol=str(entry["symbol"]),
            side=_choice(entry, "side", Side, None),
            quantity=quantity,
            start_s=seconds_of_day(start) if start else 0.0,
            end_s=(seconds_of_day(start) if start else 0.0) + length_s,
            slices=slices,
            participation=participation,
            price=PricePolicy(
                price_twd=_price(entry.get("price")),
                basis=str(entry.get("basis", "reference")),
                offset_ticks=offset,
            ),
        )
    except TwapError as exc:
        raise _Bad(str(exc)) from None
    return TwapSpec(parent=parent, start=start)


def _clock(value: Any, key: str) -> time:
    try:
        return parse_time_of_day(value)
    except TimeOfDayError as exc:
        raise _Bad(f"{key}: {exc}") from None


def _positive(value: Any, key: str) -> float:
    if not _finite(value) or not value > 0:
        raise _Bad(f"{key} must be a positive number")
    return float(value)


def _duration(seconds: float, key: str) -> float:
    problem = duration_problem(seconds)
    if problem is not None:
        raise _Bad(f"{key}: {problem}")
    return seconds


def _non_negative(value: Any, key: str) -> float:
    if not _finite(value) or not value >= 0:
        raise _Bad(f"{key} must be a number of at least 0")
    return float(value)


def _finite(value: Any) -> bool:
    """A TOML number that is not `inf` or `nan` (which TOML allows), nor an integer too
    large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
