"""Reading an orders file: CSV with a header, or JSON Lines, into `OrderRow`s, each an
`Order` with the physical line it came from and the user's tag. Every problem is kept as
an `InputProblem` (`orders.csv:17: quantity '1.5' must be …`) and reading goes on, so one
run reports them all: lines are decoded one by one, so a stray non-UTF-8 byte costs only
its own line. Only the file's own shape is checked here; whether an order fits the market
and the risk limits is `_validation`'s job.
"""

from __future__ import annotations

import csv
import itertools
import json
import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar

from tradeburst._inputs import ORDERS_FILE_MAX_BYTES, InputFileError, open_input
from tradeburst.engine._collector import off_while
from tradeburst.errors import TradeburstError
from tradeburst.model import MarketType, Order, OrderError, OrderType, PriceType, Side, TimeInForce
from tradeburst.rules import PriceError, parse_price

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "TAG_MAX_LEN",
    "InputProblem",
    "InvalidInput",
    "OrderRow",
    "read_orders",
]

COLUMNS = (
    "symbol",
    "side",
    "quantity",
    "price",
    "price_type",
    "time_in_force",
    "market_type",
    "order_type",
    "tag",
)
REQUIRED_COLUMNS = ("symbol", "side", "quantity", "price")
TAG_MAX_LEN = 32
_JSON_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_QUANTITY_MAX_DIGITS = 12
_SHOWN_MAX_CHARS = 40

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the input, where it is: `path:line: reason`, or `path: reason`."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


class InvalidInput(TradeburstError):
    """The orders or the options are wrong; nothing was sent."""

    def __init__(self, problems: list[InputProblem]) -> None:
        count = len(problems)
        first = f": {problems[0]}" if problems else ""
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{count} problem{'s' if count != 1 else ''}{first}{more}")
        self.problems = problems


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRow:
    """One order read from the file, with its 1-based physical line and the user's tag."""

    line: int
    order: Order
    """Its `user_def` is None: the engine assigns client order ids later."""
    tag: str
    """A free label of at most 32 characters, kept in the journal, never sent; "" if none."""


class _RowError(Exception):
    def __init__(self, *reasons: str) -> None:
        super().__init__(*reasons)
        self.reasons = reasons


class _JsonNumber(str):
    """The text of a JSON number that is not an integer (or of NaN, Infinity), kept as
    written so that no float ever exists."""

    __slots__ = ()


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= _SHOWN_MAX_CHARS else raw[:_SHOWN_MAX_CHARS] + "…")


class _Choice(dict[str, E]):
    """One enum column, looked up as `choice[cell]`: its values case-insensitively, by Fubon
    value or by member name. A dict, so the common spellings cost one lookup in C."""

    def __init__(self, column: str, enum: type[E], default: E | None) -> None:
        super().__init__()
        self._column = column
        self._values = ", ".join(member.value for member in enum)
        for member in enum:
            for spelling in (member.value, member.name, member.name.replace("_", "")):
                self[spelling.lower()] = member
        if default is not None:
            self[""] = default

    def __missing__(self, raw: str) -> E:
        member = self.get(raw.lower())
        if member is not None:
            self[raw] = member
            return member
        if not raw:
            raise _RowError(f"{self._column} is empty; give one of {self._values}")
        raise _RowError(f"{self._column} {_shown(raw)} is not one of {self._values}")


def _symbol(raw: str) -> str:
    if not raw:
        raise _RowError("symbol is empty")
    if not raw.isalnum():
        raise _RowError(f"symbol {_shown(raw)} must be letters or digits")
    return raw


class _Quantities(dict[str, int]):
    """Quantity cells, looked up as `quantities[cell]`; remembers each distinct text."""

    def __missing__(self, raw: str) -> int:
        if raw.isascii() and raw.isdigit() and len(raw) <= _QUANTITY_MAX_DIGITS:
            self[raw] = int(raw)
            return self[raw]
        if not raw:
            raise _RowError("quantity is empty")
        raise _RowError(f"quantity {_shown(raw)} must be a whole number of shares, like 1000")


def _tag(raw: str) -> str:
    if len(raw) > TAG_MAX_LEN:
        raise _RowError(f"tag is {len(raw)} characters, over the {TAG_MAX_LEN} allowed")
    if not raw.isprintable():
        raise _RowError(f"tag {_shown(raw)} has a control character")
    return raw


class _Prices(dict[str, Decimal | None]):
    """Price cells, looked up as `prices[cell]`; a dict remembering each distinct text,
    since a burst repeats few prices. An empty cell is no price. A price is read by the
    one rule the exchange reads it by (`tradeburst.rules.parse_price`): "40.", ".5", "+40"
    or "4e1" is refused here, not by the broker after the run began."""

    def __init__(self) -> None:
        super().__init__({"": None})
        self.column: int | None = None
        """The price's column in a CSV file (1-based), named in a refusal; None in JSON."""

    def __missing__(self, raw: str) -> Decimal:
        try:
            price = parse_price(raw)
        except PriceError as error:
            where = "" if self.column is None else f" (column {self.column})"
            raise _RowError(f"price {_shown(raw)}{where} {error}") from None
        self[raw] = price
        return price


class _Fields:
    """Turns the nine cells of a row, in `COLUMNS` order ("" where absent), into an `Order`
    and its tag."""

    def __init__(self) -> None:
        self._side = _Choice("side", Side, None)
        self._quantity = _Quantities()
        self._price = _Prices()
        self._price_type = _Choice("price_type", PriceType, PriceType.LIMIT)
        self._time_in_force = _Choice("time_in_force", TimeInForce, TimeInForce.ROD)
        self._market_type = _Choice("market_type", MarketType, MarketType.COMMON)
        self._order_type = _Choice("order_type", OrderType, OrderType.STOCK)
        self._parsers: tuple[Callable[[str], object], ...] = (
            _symbol,
            self._side.__getitem__,
            self._quantity.__getitem__,
            self._price.__getitem__,
            self._price_type.__getitem__,
            self._time_in_force.__getitem__,
            self._market_type.__getitem__,
            self._order_type.__getitem__,
            _tag,
        )

    def price_in_column(self, column: int) -> None:
        """A CSV file's prices are in this column (1-based): its refusals say so."""
        self._price.column = column

    def order(self, cells: Sequence[str]) -> tuple[Order, str]:
        """The row's order and tag; raises `_RowError` or `OrderError` at its first problem."""
        symbol, side, quantity, price, price_type, time_in_force, market, order_type, tag = cells
        order = Order(
            # A burst repeats few symbols: each row keeps the one shared string, not its own.
            symbol=sys.intern(symbol),
            side=self._side[side],
            quantity=self._quantity[quantity],
            price_twd=self._price[price],
            price_type=self._price_type[price_type],
            time_in_force=self._time_in_force[time_in_force],
            market_type=self._market_type[market],
            order_type=self._order_type[order_type],
        )
        if len(tag) > TAG_MAX_LEN or not tag.isprintable():
            _tag(tag)
        return order, tag

    def reasons(self, cells: Sequence[str]) -> list[str]:
        """Every problem of a row that `order` refused, not only the first."""
        reasons: list[str] = []
        for parse, cell in zip(self._parsers, cells, strict=True):
            try:
                parse(cell)
            except _RowError as error:
                reasons.extend(error.reasons)
        if not reasons:
            try:
                self.order(cells)
            except OrderError as error:
                reasons.append(str(error))
        return reasons


def _split_csv(text: str) -> list[str]:
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader([text], strict=True, skipinitialspace=True))
    except csv.Error as error:
        raise _RowError(f"bad CSV quoting: {error} (a quoted cell cannot span lines)") from None


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) < len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise _RowError(f"key {_shown(twice)} is given twice")
    return result


_JSON = json.JSONDecoder(
    parse_float=_JsonNumber, parse_constant=_JsonNumber, object_pairs_hook=_json_pairs
)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | _JsonNumber):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "a list"


def _json_cell(key: str, value: object) -> str:
    """A JSON value as the text a CSV cell would hold, or why it cannot be one."""
    if value is None:
        return ""
    number = isinstance(value, _JsonNumber) or (
        isinstance(value, int) and not isinstance(value, bool)
    )
    if key in ("quantity", "price"):
        if number:
            return str(value)
        if key == "price" and isinstance(value, str):
            return value.strip()
        expected = "an integer" if key == "quantity" else "a string or a number"
        raise _RowError(f"{key} must be {expected}, not {_json_type(value)}")
    if isinstance(value, str) and not number:
        return value.strip()
    hint = f' (write "{value}", with quotes)' if key == "symbol" and number else ""
    raise _RowError(f"{key} must be a string, not {_json_type(value)}{hint}")


class _Reader:
    """One pass over one file; collects rows and problems as it goes."""

    def __init__(self, shown: str, max_rows: int | None) -> None:
        self.shown = shown
        self.max_rows = sys.maxsize if max_rows is None else max_rows
        self.rows: list[OrderRow] = []
        self.problems: list[InputProblem] = []
        self._fields = _Fields()
        self._seen: dict[tuple[Order, str], int] = {}

    def problem(self, line: int | None, *reasons: str) -> None:
        self.problems.extend(InputProblem(self.shown, line, reason) for reason in reasons)

    def full(self) -> bool:
        # Bad lines count too, so a file of a million bad lines also stops early.
        return len(self.rows) > self.max_rows or len(self.problems) > self.max_rows

    def read(self, file: IO[bytes], json_lines: bool) -> None:
        lines = self._lines(file)
        first = next(lines, None)
        if first is None:
            if not self.problems:
                self.problem(None, "empty, no orders")
            return
        number, text = first
        if json_lines or text.startswith("{"):
            self._read_json(itertools.chain([first], lines))
        elif text.startswith("["):
            self.problem(number, "a JSON array; write one JSON object per line (JSON Lines)")
        elif not self.problems:
            # Otherwise the header itself was unreadable, and no row can be put in columns.
            self._read_csv(number, text, lines)

    def _lines(self, file: IO[bytes]) -> Iterator[tuple[int, str]]:
        """Non-blank lines, stripped, numbered from 1; undecodable ones become problems."""
        for number, raw in enumerate(file, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = raw[error.start]
                self.problem(number, f"not UTF-8 (byte 0x{byte:02x} at column {error.start + 1})")
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")  # the byte-order mark Excel writes
            text = text.strip()
            if text:
                yield number, text

    def _read_csv(self, header_line: int, header: str, lines: Iterable[tuple[int, str]]) -> None:
        columns = self._columns(header_line, header)
        if columns is None:
            return
        width = len(columns)
        self._fields.price_in_column(columns.index("price") + 1)
        # Absent columns read the "" appended after the last real cell.
        pick = operator.itemgetter(
            *(columns.index(name) if name in columns else width for name in COLUMNS)
        )
        for number, text in lines:
            try:
                cells = _split_csv(text)
            except _RowError as error:
                self.problem(number, *error.reasons)
            else:
                if len(cells) == width:
                    cells = list(map(str.strip, cells))
                    cells.append("")
                    self._row(number, pick(cells))
                else:
                    hint = " (a number written like 1,000?)" if len(cells) > width else ""
                    self.problem(number, f"{len(cells)} cells, but the header has {width}{hint}")
            if self.full():
                return
        if not self.rows and not self.problems:
            self.problem(header_line, "no orders after the header")

    def _columns(self, number: int, header: str) -> list[str] | None:
        try:
            columns = [cell.strip().lower() for cell in _split_csv(header)]
        except _RowError as error:
            self.problem(number, *error.reasons)
            return None
        reasons = []
        unknown = [name for name in columns if name not in COLUMNS]
        if unknown:
            known = ", ".join(COLUMNS)
            named = ", ".join(map(_shown, unknown))
            reasons.append(f"unknown column(s) {named}; the columns are {known}")
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            hint = " (is the header line missing?)" if len(unknown) == len(columns) else ""
            reasons.append(f"missing required column(s) {', '.join(missing)}{hint}")
        twice = sorted({name for name in columns if columns.count(name) > 1})
        if twice:
            reasons.append(f"column(s) {', '.join(twice)} given more than once")
        self.problem(number, *reasons)
        return None if reasons else columns

    def _read_json(self, lines: Iterable[tuple[int, str]]) -> None:
        for number, text in lines:
            try:
                cells = _json_cells(text)
            except _RowError as error:
                self.problem(number, *error.reasons)
            else:
                self._row(number, cells)
            if self.full():
                return

    def _row(self, number: int, cells: Sequence[str]) -> None:
        try:
            order, tag = self._fields.order(cells)
        except (_RowError, OrderError):
            self.problem(number, *self._fields.reasons(cells))
            return
        first = self._seen.setdefault((order, tag), number)
        if first != number:
            reason = f"duplicate of line {first} (give each a distinct tag if both are meant)"
            self.problem(number, reason)
            return
        self.rows.append(OrderRow(line=number, order=order, tag=tag))


def _json_cells(text: str) -> list[str]:
    """The cells of one JSON line, in `COLUMNS` order, as a CSV row would hold them."""
    try:
        value = _JSON.decode(text)
    except ValueError as error:
        where = f" (column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise _RowError(f"not valid JSON: {getattr(error, 'msg', error)}{where}") from None
    except RecursionError:
        raise _RowError("not an order: JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise _RowError(f"not a JSON object but {_json_type(value)}")
    reasons = []
    unknown = [key for key in value if key not in COLUMNS]
    if unknown:
        named = ", ".join(map(_shown, unknown))
        reasons.append(f"unknown key(s) {named}; the keys are {', '.join(COLUMNS)}")
    # A JSON line may leave out "price" altogether, as a CSV row leaves its cell empty.
    missing = [key for key in REQUIRED_COLUMNS if key not in value and key != "price"]
    if missing:
        reasons.append(f"missing required key(s) {', '.join(missing)}")
    cells = []
    for key in COLUMNS:
        cell = value.get(key)
        if type(cell) is str and key != "quantity":
            cells.append(cell.strip())  # the common case, without a call
            continue
        try:
            cells.append(_json_cell(key, cell))
        except _RowError as error:
            reasons.extend(error.reasons)
    if reasons:
        raise _RowError(*reasons)
    return cells


def read_orders(
    path: Path, *, max_rows: int | None = None
) -> tuple[list[OrderRow], list[InputProblem]]:
    """The orders of a CSV or JSON Lines file and every problem found reading them.

    JSON Lines is recognised by a `.jsonl` or `.ndjson` suffix or by a first line that
    starts with `{`. With `max_rows`, reading stops once more than `max_rows` rows, or more
    than `max_rows` problems, have been collected, so an oversized file is refused without
    reading all of it.
    """
    reader = _Reader(str(path), max_rows)
    # Every row read stays alive, so the cyclic collector would walk a million of them again
    # and again and free nothing: 40 % of the time of a large file. Nothing else runs here.
    try:
        with off_while(), open_input(path, ORDERS_FILE_MAX_BYTES) as file:
            reader.read(file, json_lines=path.suffix.lower() in _JSON_SUFFIXES)
    except OSError as error:
        return [], [InputProblem(str(path), None, f"cannot read: {error.strerror or error}")]
    except InputFileError as error:
        return [], [InputProblem(str(path), None, f"cannot read: it {error}")]
    return reader.rows, reader.problems
