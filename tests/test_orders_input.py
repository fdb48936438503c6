"""The input side of `tradeburst fire`: an orders file is read into orders, checked against
today's market and the run's risk limits, and every problem is reported as `path:line:
reason` before anything is sent.

Instruments are built by hand with the rules' own `price_band`: 2891 at 40.60 (limits
36.55-44.65), 2330 at 1050, 2454 at 580 and the ETF 0050 at 190.50.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeburst.brokers import Instrument
from tradeburst.engine._orders_file import TAG_MAX_LEN, InputProblem, OrderRow, read_orders
from tradeburst.engine._risk import DEFAULT_MAX_ORDERS, DEFAULT_PRICE_COLLAR_PCT, RiskLimits
from tradeburst.engine._validation import check_orders
from tradeburst.model import MarketType, Order, OrderType, PriceType, Side, TimeInForce
from tradeburst.rules import ETF_TICKS, STOCK_TICKS, price_band

D = Decimal
HEADER = "symbol,side,quantity,price,price_type,time_in_force,market_type,order_type,tag\n"
SHORT_HEADER = "symbol,side,quantity,price\n"
PATH = "orders.csv"


def instrument(symbol: str, reference: str, kind: str = "stock") -> Instrument:
    band = price_band(D(reference), ETF_TICKS if kind == "etf" else STOCK_TICKS)
    return Instrument(
        symbol=symbol,
        name=f"name of {symbol}",
        kind=kind,
        reference_twd=band.reference_twd,
        limit_up_twd=band.limit_up_twd,
        limit_down_twd=band.limit_down_twd,
    )


INSTRUMENTS = {
    i.symbol: i
    for i in (
        instrument("2891", "40.60"),
        instrument("2330", "1050"),
        instrument("2454", "580"),
        instrument("0050", "190.50", kind="etf"),
    )
}


def write(tmp_path: Path, text: str | bytes, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def read(tmp_path: Path, text: str | bytes, name: str = "orders.csv") -> tuple[Path, list[str]]:
    """Reads the text as a file; answers its path and its problems as strings."""
    path = write(tmp_path, text, name)
    return path, [str(problem) for problem in read_orders(path)[1]]


def limit_order(
    symbol: str, price: str, quantity: int = 1000, market_type: MarketType = MarketType.COMMON
) -> Order:
    return Order(
        symbol=symbol, side=Side.BUY, quantity=quantity, price_twd=D(price), market_type=market_type
    )


def rows(*orders: Order) -> list[OrderRow]:
    """The orders as rows on lines 2, 3, … of a file, each with a distinct tag."""
    return [OrderRow(line=n, order=o, tag=f"t{n}") for n, o in enumerate(orders, 2)]


def check(orders: Sequence[OrderRow], **limits: Any) -> list[str]:
    problems = check_orders(orders, INSTRUMENTS, RiskLimits(**limits), PATH)
    return [str(problem) for problem in problems]


# -- reading: good files ----------------------------------------------------------------


def test_a_good_csv_parses_into_orders(tmp_path: Path) -> None:
    """Every column is read into the Order's field, enums by their Fubon names."""
    text = (
        HEADER
        + "2891,Buy,2000,40.65,Limit,IOC,Common,Margin,first\n"
        + "2330,Sell,1000,,Market,FOK,Common,Stock,\n"
        + "0050,Buy,500,190.55,Limit,ROD,IntradayOdd,Stock,odd\n"
    )
    parsed, problems = read_orders(write(tmp_path, text))
    assert problems == []
    assert parsed == [
        OrderRow(
            line=2,
            order=Order(
                symbol="2891",
                side=Side.BUY,
                quantity=2000,
                price_twd=D("40.65"),
                time_in_force=TimeInForce.IOC,
                order_type=OrderType.MARGIN,
            ),
            tag="first",
        ),
        OrderRow(
            line=3,
            order=Order(
                symbol="2330",
                side=Side.SELL,
                quantity=1000,
                price_type=PriceType.MARKET,
                time_in_force=TimeInForce.FOK,
            ),
            tag="",
        ),
        OrderRow(
            line=4,
            order=Order(
                symbol="0050",
                side=Side.BUY,
                quantity=500,
                price_twd=D("190.55"),
                market_type=MarketType.INTRADAY_ODD,
            ),
            tag="odd",
        ),
    ]


def test_optional_columns_take_their_defaults(tmp_path: Path) -> None:
    """Without the optional columns an order is Limit, ROD, Common, Stock, with no tag."""
    parsed, problems = read_orders(write(tmp_path, SHORT_HEADER + "2891,Sell,1000,40.60\n"))
    assert problems == []
    assert parsed == [
        OrderRow(
            line=2,
            order=Order(symbol="2891", side=Side.SELL, quantity=1000, price_twd=D("40.60")),
            tag="",
        )
    ]


def test_a_good_jsonl_parses_into_orders(tmp_path: Path) -> None:
    """JSON Lines carry the same keys; a price may be a string, a decimal or an integer."""
    text = (
        '{"symbol": "2891", "side": "buy", "quantity": 1000, "price": "40.60", "tag": "a"}\n'
        '{"symbol": "2891", "side": "SELL", "quantity": 2000, "price": 40.65}\n'
        '{"symbol": "2330", "side": "Buy", "quantity": 1000, "price": 1050}\n'
        '{"symbol": "2330", "side": "Buy", "quantity": 1000, "price_type": "market"}\n'
    )
    parsed, problems = read_orders(write(tmp_path, text, "orders.jsonl"))
    assert problems == []
    assert [(r.line, r.order, r.tag) for r in parsed] == [
        (1, limit_order("2891", "40.60"), "a"),
        (2, Order(symbol="2891", side=Side.SELL, quantity=2000, price_twd=D("40.65")), ""),
        (3, limit_order("2330", "1050"), ""),
        (4, Order(symbol="2330", side=Side.BUY, quantity=1000, price_type=PriceType.MARKET), ""),
    ]


def test_a_json_price_keeps_the_exact_text_of_its_number(tmp_path: Path) -> None:
    """A JSON number becomes the Decimal of its text, never passing through a float (which
    would make 40.1 into 40.1000000000000014…); past six decimals it is no price at all."""
    text = '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": 40.1}\n'
    parsed, _ = read_orders(write(tmp_path, text, "orders.ndjson"))
    assert parsed[0].order.price_twd == D("40.1")
    assert str(parsed[0].order.price_twd) == "40.1"
    text = '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": 40.1000000000000001}\n'
    path, problems = read(tmp_path, text, "orders.ndjson")
    assert problems == [
        f"{path}:1: price '40.1000000000000001' is not a price written plainly in digits, "
        "like 40.65"
    ]


def test_a_file_whose_first_line_is_an_object_is_read_as_json_lines(tmp_path: Path) -> None:
    """JSON Lines are recognised by content too, whatever the suffix."""
    text = '\n{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.60"}\n'
    parsed, problems = read_orders(write(tmp_path, text, "orders.txt"))
    assert problems == []
    assert [r.line for r in parsed] == [2]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("buy", Side.BUY),
        ("BUY", Side.BUY),
        ("Sell", Side.SELL),
    ],
)
def test_enum_values_are_read_case_insensitively(tmp_path: Path, cell: str, expected: Side) -> None:
    """`buy`, `BUY` and `Buy` all mean Side.BUY."""
    parsed, _ = read_orders(write(tmp_path, SHORT_HEADER + f"2891,{cell},1000,40.60\n"))
    assert parsed[0].order.side is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("limitup", PriceType.LIMIT_UP),
        ("LIMIT_UP", PriceType.LIMIT_UP),
        ("Reference", PriceType.REFERENCE),
    ],
)
def test_enum_values_may_be_given_by_member_name(
    tmp_path: Path, cell: str, expected: PriceType
) -> None:
    """A price type is read by its Fubon name or its member name, in any case."""
    text = "symbol,side,quantity,price,price_type\n" + f"2891,Buy,1000,,{cell}\n"
    parsed, problems = read_orders(write(tmp_path, text))
    assert problems == []
    assert parsed[0].order.price_type is expected


def test_cells_are_stripped_of_surrounding_whitespace(tmp_path: Path) -> None:
    """Spaces around cells and header names do not matter."""
    text = " symbol , side ,quantity, price\n  2891 ,\tSell , 1000 , 40.60 \n"
    parsed, problems = read_orders(write(tmp_path, text))
    assert problems == []
    assert parsed[0].order == Order(
        symbol="2891", side=Side.SELL, quantity=1000, price_twd=D("40.60")
    )


def test_a_quoted_cell_may_hold_a_comma(tmp_path: Path) -> None:
    """CSV quoting works: a tag may contain commas."""
    parsed, problems = read_orders(write(tmp_path, HEADER + '2891,Buy,1000,40.60,,,,,"a, b"\n'))
    assert problems == []
    assert parsed[0].tag == "a, b"


def test_a_byte_order_mark_before_the_header_is_ignored(tmp_path: Path) -> None:
    """A file saved by Excel as UTF-8 starts with a BOM; it is not part of the header."""
    parsed, problems = read_orders(
        write(tmp_path, "\ufeff" + SHORT_HEADER + "2891,Buy,1000,40.60\n")
    )
    assert problems == []
    assert len(parsed) == 1


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    """Blank lines are skipped but counted, so a line number points into the file."""
    text = "\n" + SHORT_HEADER + "\n  \n2891,Buy,1000,40.60\n\n2891,Hold,1000,40.60\n"
    path, problems = read(tmp_path, text)
    assert read_orders(path)[0][0].line == 5
    assert problems == [f"{path}:7: side 'Hold' is not one of Buy, Sell"]


# -- reading: the file as a whole -------------------------------------------------------


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    """A path that does not exist is reported without a line."""
    path = tmp_path / "nowhere.csv"
    assert [str(p) for p in read_orders(path)[1]] == [
        f"{path}: cannot read: No such file or directory"
    ]


def test_a_directory_cannot_be_read(tmp_path: Path) -> None:
    """A directory given as the orders file is reported, not crashed on."""
    assert [str(p) for p in read_orders(tmp_path)[1]] == [
        f"{tmp_path}: cannot read: it is a folder, not a file"
    ]


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_an_empty_file_has_no_orders(tmp_path: Path, text: str) -> None:
    """An empty or blank file says so, without a line."""
    path, problems = read(tmp_path, text)
    assert problems == [f"{path}: empty, no orders"]


def test_a_header_only_file_has_no_orders(tmp_path: Path) -> None:
    """A header and nothing after it is reported on the header's line."""
    path, problems = read(tmp_path, HEADER + "\n")
    assert problems == [f"{path}:1: no orders after the header"]


def test_unknown_columns_are_named_with_the_known_ones(tmp_path: Path) -> None:
    """A column the format does not know is an error naming it and listing the columns."""
    path, problems = read(tmp_path, "symbol,side,quantity,price,note\n2891,Buy,1000,40.60,x\n")
    assert problems == [
        f"{path}:1: unknown column(s) 'note'; the columns are symbol, side, quantity, price,"
        " price_type, time_in_force, market_type, order_type, tag"
    ]


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    """Each required column absent from the header is named."""
    path, problems = read(tmp_path, "symbol,side\n2891,Buy\n")
    assert problems == [f"{path}:1: missing required column(s) quantity, price"]


def test_a_missing_header_is_suspected(tmp_path: Path) -> None:
    """A file that starts with an order instead of a header gets a hint."""
    _, problems = read(tmp_path, "2891,Buy,1000,40.60\n")
    assert problems[-1].endswith("(is the header line missing?)")


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    """Two columns of one name would leave it unclear which one counts."""
    path, problems = read(tmp_path, "symbol,side,quantity,price,price\n2891,Buy,1000,40.6,40.6\n")
    assert problems == [f"{path}:1: column(s) price given more than once"]


def test_a_non_utf8_line_is_reported_and_the_others_still_checked(tmp_path: Path) -> None:
    """A bad byte costs only its own line: the lines after it are read and checked."""
    text = (
        SHORT_HEADER.encode()
        + b"2891,Buy,1000,40.60\n"
        + b"2891,Buy\xff,1000,40.60\n"
        + b"2891,Buy,1.5,40.60\n"
        + b"2891,Sell,1000,40.60\n"
    )
    path, problems = read(tmp_path, text)
    assert problems == [
        f"{path}:3: not UTF-8 (byte 0xff at column 9)",
        f"{path}:4: quantity '1.5' must be a whole number of shares, like 1000",
    ]
    assert [r.line for r in read_orders(path)[0]] == [2, 5]


def test_a_json_array_file_is_explained(tmp_path: Path) -> None:
    """A JSON array is not JSON Lines; the message says what to write instead."""
    path, problems = read(tmp_path, '[{"symbol": "2891"}]\n', "orders.json")
    assert problems == [f"{path}:1: a JSON array; write one JSON object per line (JSON Lines)"]


# -- reading: one row -------------------------------------------------------------------


def test_a_row_with_the_wrong_number_of_cells_is_reported(tmp_path: Path) -> None:
    """A row must have as many cells as the header has columns."""
    path, problems = read(tmp_path, SHORT_HEADER + "2891,Buy,1000\n2891,Buy,1,000,40.60\n")
    assert problems == [
        f"{path}:2: 3 cells, but the header has 4",
        f"{path}:3: 5 cells, but the header has 4 (a number written like 1,000?)",
    ]


def test_an_unknown_enum_value_lists_the_valid_ones(tmp_path: Path) -> None:
    """A value outside an enum is named, with the values that would do."""
    path, problems = read(tmp_path, HEADER + "2891,Buy,1000,40.60,Limit,GTC,,,\n")
    assert problems == [f"{path}:2: time_in_force 'GTC' is not one of ROD, IOC, FOK"]


def test_an_empty_side_is_reported(tmp_path: Path) -> None:
    """Side has no default: an empty cell is an error."""
    path, problems = read(tmp_path, SHORT_HEADER + "2891,,1000,40.60\n")
    assert problems == [f"{path}:2: side is empty; give one of Buy, Sell"]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ('"1,000"', "quantity '1,000' must be a whole number of shares, like 1000"),
        ("1.5", "quantity '1.5' must be a whole number of shares, like 1000"),
        ("-1000", "quantity '-1000' must be a whole number of shares, like 1000"),
        ("1e3", "quantity '1e3' must be a whole number of shares, like 1000"),
        ("", "quantity is empty"),
        ("0", "quantity 0 must be a positive number of shares"),
    ],
)
def test_a_quantity_that_is_not_a_whole_number_of_shares_is_refused(
    tmp_path: Path, cell: str, reason: str
) -> None:
    """Quantity is whole shares written as plain digits."""
    path, problems = read(tmp_path, SHORT_HEADER + f"2891,Buy,{cell},40.60\n")
    assert problems == [f"{path}:2: {reason}"]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("NaN", "price 'NaN' (column 4) is not a price written plainly in digits, like 40.65"),
        (
            "Infinity",
            "price 'Infinity' (column 4) is not a price written plainly in digits, like 40.65",
        ),
        (
            "4.06E1",
            "price '4.06E1' (column 4) is not a price written plainly in digits, like 40.65",
        ),
        ("40,60", "price '40,60' (column 4) is not a price written plainly in digits, like 40.65"),
        ("abc", "price 'abc' (column 4) is not a price written plainly in digits, like 40.65"),
        (
            "-40.60",
            "price '-40.60' (column 4) is not a price written plainly in digits, like 40.65",
        ),
        ("0", "price '0' (column 4) must be positive"),
        ("0.00", "price '0.00' (column 4) must be positive"),
        ("", "a Limit order needs a price"),
    ],
)
def test_a_price_that_is_not_a_positive_decimal_is_refused(
    tmp_path: Path, cell: str, reason: str
) -> None:
    """Prices are plain positive decimals, refused with their column; a Limit order must
    have one."""
    path, problems = read(tmp_path, SHORT_HEADER + f'2891,Buy,1000,"{cell}"\n')
    assert problems == [f"{path}:2: {reason}"]


def test_a_market_order_with_a_price_is_refused(tmp_path: Path) -> None:
    """The order model's own refusals come through with the line."""
    path, problems = read(tmp_path, HEADER + "2891,Buy,1000,40.60,Market,,,,\n")
    assert problems == [f"{path}:2: a Market order takes no price (got 40.60)"]


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    """A row with several bad cells gets one problem for each."""
    path, problems = read(tmp_path, SHORT_HEADER + "28 91,Hold,1.5,abc\n")
    assert problems == [
        f"{path}:2: symbol '28 91' must be letters or digits",
        f"{path}:2: side 'Hold' is not one of Buy, Sell",
        f"{path}:2: quantity '1.5' must be a whole number of shares, like 1000",
        f"{path}:2: price 'abc' (column 4) is not a price written plainly in digits, like 40.65",
    ]


def test_a_tag_over_its_maximum_length_is_refused(tmp_path: Path) -> None:
    """A tag is a short label: at most 32 characters."""
    path, problems = read(tmp_path, HEADER + f"2891,Buy,1000,40.60,,,,,{'x' * 33}\n")
    assert problems == [f"{path}:2: tag is 33 characters, over the {TAG_MAX_LEN} allowed"]


def test_identical_rows_with_identical_tags_are_duplicates(tmp_path: Path) -> None:
    """The second of two identical orders with one tag is reported, naming the first."""
    text = (
        HEADER
        + "2891,Buy,1000,40.60,,,,,x\n"
        + "2330,Buy,1000,1050,,,,,x\n"
        + "2891,buy,1000,40.6,Limit,ROD,Common,Stock,x\n"
    )
    path, problems = read(tmp_path, text)
    assert problems == [
        f"{path}:4: duplicate of line 2 (give each a distinct tag if both are meant)"
    ]


def test_identical_orders_with_distinct_tags_are_not_duplicates(tmp_path: Path) -> None:
    """Distinct tags say both orders are meant."""
    text = HEADER + "2891,Buy,1000,40.60,,,,,a\n2891,Buy,1000,40.60,,,,,b\n"
    parsed, problems = read_orders(write(tmp_path, text))
    assert problems == []
    assert len(parsed) == 2


def test_a_json_line_that_is_not_an_object_is_reported(tmp_path: Path) -> None:
    """Each JSON line must be an object; others, and broken JSON, are reported by line."""
    text = (
        '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.60"}\n'
        '["2891", "Buy"]\n'
        '{"symbol": "2891",\n'
    )
    path, problems = read(tmp_path, text, "orders.jsonl")
    assert problems == [
        f"{path}:2: not a JSON object but a list",
        f"{path}:3: not valid JSON: Expecting property name enclosed in double quotes (column 19)",
    ]


def test_a_json_line_nested_past_the_parser_is_reported_on_its_line(tmp_path: Path) -> None:
    """A hundred thousand nested arrays in a tag: the parser's recursion gives out, and the
    line is named like any other bad one."""
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.60"}\n'
        f'{{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.60", "tag": {deep}}}\n'
    )
    path, problems = read(tmp_path, text, "orders.jsonl")
    assert problems == [f"{path}:2: not an order: JSON nested too deeply"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"symbol": 2891, "side": "Buy", "quantity": 1000, "price": "40.60"}',
            'symbol must be a string, not a number (write "2891", with quotes)',
        ),
        (
            '{"symbol": "2891", "side": "Buy", "quantity": "1000", "price": "40.60"}',
            "quantity must be an integer, not a string",
        ),
        (
            '{"symbol": "2891", "side": "Buy", "quantity": 1000.0, "price": "40.60"}',
            "quantity '1000.0' must be a whole number of shares, like 1000",
        ),
        (
            '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": NaN}',
            "price 'NaN' is not a price written plainly in digits, like 40.65",
        ),
        (
            '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": 4.06e1}',
            "price '4.06e1' is not a price written plainly in digits, like 40.65",
        ),
        (
            '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.60", "qty": 1}',
            "unknown key(s) 'qty'; the keys are symbol, side, quantity, price, price_type,"
            " time_in_force, market_type, order_type, tag",
        ),
        ('{"symbol": "2891", "price": "40.60"}', "missing required key(s) side, quantity"),
        (
            '{"symbol": "2891", "side": "Buy", "side": "Sell", "quantity": 1000, "price": 1}',
            "key 'side' is given twice",
        ),
    ],
)
def test_a_json_value_of_the_wrong_kind_is_reported(tmp_path: Path, line: str, reason: str) -> None:
    """JSON values are checked for their type as well as their content."""
    path, problems = read(tmp_path, line + "\n", "orders.jsonl")
    assert problems == [f"{path}:1: {reason}"]


def test_every_problem_starts_with_the_path(tmp_path: Path) -> None:
    """Whatever is wrong, each problem names the file first, then the line if there is one."""
    text = SHORT_HEADER.encode() + b"2891,Hold,1,abc\n\xfe\n2891,Buy\n9999,Buy,1000,1\n"
    path = write(tmp_path, text)
    parsed, problems = read_orders(path)
    problems += check_orders(parsed, INSTRUMENTS, RiskLimits(), str(path))
    assert len(problems) >= 5
    assert all(str(p).startswith(f"{path}:") for p in problems)
    assert str(InputProblem(str(path), None, "x")) == f"{path}: x"


# -- reading: size ----------------------------------------------------------------------


def test_reading_stops_after_one_row_more_than_max_rows(tmp_path: Path) -> None:
    """With max_rows, one extra row is read to show the file is over, and no more."""
    text = HEADER + "".join(f"2891,Buy,1000,40.60,,,,,t{i}\n" for i in range(50))
    parsed, problems = read_orders(write(tmp_path, text), max_rows=10)
    assert problems == []
    assert [r.line for r in parsed] == list(range(2, 13))


def test_a_million_rows_are_refused_by_max_orders(tmp_path: Path) -> None:
    """A 1,000,000-row file is stopped early and refused with the default limits."""
    rows_text = "\n".join(f"2891,Buy,1000,40.60,,,,,t{i}" for i in range(1_000_000))
    path = write(tmp_path, HEADER + rows_text + "\n")
    parsed, problems = read_orders(path, max_rows=DEFAULT_MAX_ORDERS)
    assert problems == []
    assert [str(p) for p in check_orders(parsed, INSTRUMENTS, RiskLimits(), str(path))] == [
        f"{path}: 10001 orders or more, over max_orders 10000"
    ]


# -- market rules -----------------------------------------------------------------------


def test_orders_inside_the_rules_and_limits_pass() -> None:
    """Listed symbols, prices on the ladder inside the band, whole lots: no problem."""
    good = rows(
        limit_order("2891", "44.65"),
        limit_order("2891", "36.55", quantity=499_000),
        limit_order("2330", "1050"),
        limit_order("0050", "190.55"),
        limit_order("0050", "190.55", quantity=1, market_type=MarketType.INTRADAY_ODD),
        Order(symbol="2330", side=Side.SELL, quantity=1000, price_type=PriceType.MARKET),
    )
    assert check(good) == []


def test_an_unknown_symbol_is_reported() -> None:
    """A symbol the broker does not list is refused."""
    assert check(rows(limit_order("9999", "10"))) == [f"{PATH}:2: symbol 9999 is not listed"]


def test_an_off_tick_price_names_the_tick_and_its_band() -> None:
    """The message says which tick applies there, and the valid prices either side."""
    assert check(rows(limit_order("2454", "580.3"))) == [
        f"{PATH}:2: price 580.3 is not on the tick ladder (1.00 from 500 to 1000;"
        " nearest 580.00 or 581.00)"
    ]


def test_the_lowest_and_highest_bands_are_described() -> None:
    """The first band has no lower bound worth naming; the last has no upper one."""
    low = instrument("1101", "9.50")
    high = instrument("3008", "2000")
    problems = check_orders(
        rows(limit_order("1101", "9.505"), limit_order("3008", "2001")),
        {"1101": low, "3008": high},
        RiskLimits(),
        PATH,
    )
    assert [p.reason.split("(")[1] for p in problems] == [
        "0.01 below 10; nearest 9.50 or 9.51)",
        "5.00 from 1000 up; nearest 2000.00 or 2005.00)",
    ]


def test_an_etf_is_checked_on_the_etf_ladder() -> None:
    """190.55 is a valid ETF price (0.05 tick) but not a stock price (0.5 tick)."""
    assert check(rows(limit_order("0050", "190.55"))) == []
    assert check(rows(limit_order("0050", "190.53"))) == [
        f"{PATH}:2: price 190.53 is not on the tick ladder (0.05 from 50 up;"
        " nearest 190.50 or 190.55)"
    ]


def test_a_price_above_the_limit_up_is_reported() -> None:
    """A limit price over today's limit-up can never trade."""
    assert check(rows(limit_order("2891", "50.00"))) == [
        f"{PATH}:2: price 50.00 is above the limit-up 44.65"
    ]


def test_a_price_longer_than_decimal_arithmetic_holds_is_reported_exactly() -> None:
    """38 digits, and 38 and a half: past the default 28-digit precision, where `%` would
    raise. Both are above the limit-up; the half is also off the tick, between exact
    neighbours."""
    whole = "1" + "0" * 37
    half = f"{whole}.5"
    assert check(rows(limit_order("2891", whole), limit_order("2891", half))) == [
        f"{PATH}:2: price {whole} is above the limit-up 44.65",
        f"{PATH}:3: price {half} is not on the tick ladder (5.00 from 1000 up; nearest "
        f"{whole}.00 or {whole[:-1]}5.00)",
        f"{PATH}:3: price {half} is above the limit-up 44.65",
    ]


def test_a_price_with_a_large_exponent_from_a_strategy_is_reported() -> None:
    """Decimal("1E+40"), as a Python strategy may build it: one digit, forty zeros."""
    assert check(rows(limit_order("2891", "1E+40"))) == [
        f"{PATH}:2: price 1E+40 is above the limit-up 44.65"
    ]


def test_a_price_below_the_limit_down_is_reported() -> None:
    """A limit price under today's limit-down can never trade."""
    assert check(rows(limit_order("2891", "36.50"))) == [
        f"{PATH}:2: price 36.50 is below the limit-down 36.55"
    ]


def test_a_quantity_not_in_board_lots_is_reported() -> None:
    """The regular board trades whole 1000-share lots."""
    assert check(rows(limit_order("2891", "40.60", quantity=1500))) == [
        f"{PATH}:2: quantity 1500 is not a whole number of 1000-share lots"
    ]


def test_a_quantity_over_the_order_maximum_is_reported() -> None:
    """The rules' 499-lot cap of one order applies whatever the risk limits."""
    assert check(rows(limit_order("2891", "40.60", quantity=500_000))) == [
        f"{PATH}:2: quantity 500000 is over the 499000-share maximum of one order"
    ]


# -- risk limits ------------------------------------------------------------------------


def test_a_price_outside_the_collar_is_reported() -> None:
    """A tighter collar refuses prices too far from the reference, naming the flag."""
    assert check(rows(limit_order("2891", "43.00")), price_collar_pct=D("5")) == [
        f"{PATH}:2: price 43.00 is 5.92% from the reference 40.60, over price_collar_pct 5"
    ]


def test_a_price_on_the_collar_passes() -> None:
    """The collar is inclusive: exactly 5 % away is allowed."""
    assert check(rows(limit_order("2454", "609")), price_collar_pct=D("5")) == []


def test_the_collar_can_be_switched_off() -> None:
    """With no collar, any price inside the daily band passes."""
    assert check(rows(limit_order("2891", "44.65")), price_collar_pct=None) == []


def test_max_qty_caps_the_shares_of_one_order() -> None:
    """--max-qty refuses an order over it."""
    orders = rows(limit_order("2891", "40.60", quantity=3000), limit_order("2891", "40.60"))
    assert check(orders, max_qty=2000) == [f"{PATH}:2: quantity 3000 is over max_qty 2000"]


def test_max_notional_caps_the_value_of_one_order() -> None:
    """--max-notional refuses an order whose price × quantity is over it."""
    assert check(
        rows(limit_order("2330", "1050", quantity=2000)), max_notional_twd=D("2000000")
    ) == [f"{PATH}:2: notional 2,100,000.00 TWD is over max_notional_twd 2000000"]


def test_a_market_order_is_valued_at_the_limit_up() -> None:
    """A Market order has no price: its notional is taken at the worst, the limit-up."""
    market = Order(symbol="2891", side=Side.BUY, quantity=2000, price_type=PriceType.MARKET)
    assert check(rows(market), max_notional_twd=D("80000")) == [
        f"{PATH}:2: notional 89,300.00 TWD (at the limit-up 44.65, the worst case of a"
        " Market order) is over max_notional_twd 80000"
    ]


def test_a_limit_down_order_is_valued_at_the_limit_down() -> None:
    """A LimitDown order trades at the limit-down, so that is its price."""
    order = Order(symbol="2891", side=Side.SELL, quantity=3000, price_type=PriceType.LIMIT_DOWN)
    assert check(rows(order), max_notional_twd=D("100000")) == [
        f"{PATH}:2: notional 109,650.00 TWD (at the limit-down 36.55) "
        "is over max_notional_twd 100000"
    ]


def test_max_orders_caps_the_orders_of_a_run() -> None:
    """--max-orders refuses a run with more rows, without a line."""
    orders = rows(*(limit_order("2891", "40.60") for _ in range(4)))
    assert check(orders, max_orders=3) == [f"{PATH}: 4 orders or more, over max_orders 3"]


def test_max_run_qty_caps_the_shares_of_a_run() -> None:
    """--max-run-qty refuses a run whose shares add up to more."""
    orders = rows(limit_order("2891", "40.60", quantity=3000), limit_order("2330", "1050"))
    assert check(orders, max_run_qty=3000) == [
        f"{PATH}: 4000 shares in the run, over max_run_qty 3000"
    ]


def test_max_run_notional_caps_the_value_of_a_run() -> None:
    """--max-run-notional refuses a run whose notionals add up to more."""
    orders = rows(limit_order("2891", "40.60", quantity=3000), limit_order("2330", "1050"))
    assert check(orders, max_run_notional_twd=D("1000000")) == [
        f"{PATH}: 1,171,800.00 TWD in the run, over max_run_notional_twd 1000000"
    ]


def test_problems_are_sorted_by_line_run_wide_first() -> None:
    """Problems without a line come first, then by line."""
    orders = [
        OrderRow(line=9, order=limit_order("2891", "50"), tag=""),
        OrderRow(line=3, order=limit_order("9999", "1"), tag=""),
    ]
    assert check(orders, max_orders=1) == [
        f"{PATH}: 2 orders or more, over max_orders 1",
        f"{PATH}:3: symbol 9999 is not listed",
        f"{PATH}:9: price 50 is above the limit-up 44.65",
    ]


def test_risk_limit_defaults_are_the_named_constants() -> None:
    """By default a run takes 10,000 orders within a 10 % collar and nothing else is capped."""
    limits = RiskLimits()
    assert limits.max_orders == DEFAULT_MAX_ORDERS == 10_000
    assert limits.price_collar_pct == DEFAULT_PRICE_COLLAR_PCT == D("10")
    assert (limits.max_qty, limits.max_notional_twd, limits.max_run_qty) == (None, None, None)
    assert limits.max_run_notional_twd is None


@pytest.mark.parametrize(
    "fields",
    [
        {"max_orders": 0},
        {"max_qty": -1000},
        {"max_run_qty": 0},
        {"max_notional_twd": D("0")},
        {"max_run_notional_twd": D("-1")},
        {"price_collar_pct": D("NaN")},
        {"max_notional_twd": 1e6},
    ],
)
def test_risk_limits_refuse_values_that_are_not_positive(fields: dict[str, Any]) -> None:
    """A limit of zero, a negative one, NaN or a float is refused with the field named."""
    with pytest.raises(ValueError, match=next(iter(fields))):
        RiskLimits(**fields)


# -- properties -------------------------------------------------------------------------

SYMBOLS = st.sampled_from(sorted(INSTRUMENTS))


@st.composite
def on_ladder_in_band(draw: st.DrawFn) -> tuple[str, Decimal]:
    symbol = draw(SYMBOLS)
    i = INSTRUMENTS[symbol]
    ladder = ETF_TICKS if i.kind == "etf" else STOCK_TICKS
    raw = draw(st.decimals(min_value=i.limit_down_twd, max_value=i.limit_up_twd, places=2))
    price = ladder.round_down(raw)
    return symbol, max(price, i.limit_down_twd)


@given(on_ladder_in_band())
@settings(max_examples=200, deadline=None)
def test_any_price_on_the_ladder_inside_the_band_passes(case: tuple[str, Decimal]) -> None:
    """Under the default limits, every valid limit price of the day is accepted."""
    symbol, price = case
    assert check(rows(limit_order(symbol, str(price)))) == []


@given(SYMBOLS, st.decimals(min_value=D("0.001"), max_value=D("3000"), places=3))
@settings(max_examples=200, deadline=None)
def test_any_price_off_the_ladder_is_reported(symbol: str, price: Decimal) -> None:
    """A price between two ticks is always reported, whatever else is wrong with it."""
    ladder = ETF_TICKS if INSTRUMENTS[symbol].kind == "etf" else STOCK_TICKS
    if ladder.is_on_tick(price):
        return
    problems = check(rows(limit_order(symbol, str(price))))
    assert f"{PATH}:2: price {price} is not on the tick ladder (" in "\n".join(problems)
