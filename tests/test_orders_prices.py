"""An orders file reads a price by the exchange's one rule (`tradeburst.rules.parse_price`):
the engine used to take "40.", ".5" and "+40", which the exchange then refused order by order
after the run began. Now the file is refused up front, naming the file, the line and the
column, and the two agree on every text (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.engine import read_orders
from tradeburst.rules import PriceError, parse_price

HEADER = "symbol,side,quantity,price,tag\n"
PLAIN = "is not a price written plainly in digits, like 40.65"


def problems_of(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    return [str(problem) for problem in read_orders(path)[1]]


@pytest.mark.parametrize(
    "cell",
    ["40.", ".5", "+40", "４０", "4e1", "40.1234567", "1234567890", "0x28", "40_5", "٤٠", "40..5"],
)
def test_a_price_the_exchange_refuses_is_refused_with_file_line_and_column(
    tmp_path: Path, cell: str
) -> None:
    """Each of these the engine took before; now the problem names where it is."""
    path = tmp_path / "orders.csv"
    problems = problems_of(path, HEADER + "2891,Buy,1000,40.60,a\n" + f"2891,Buy,1000,{cell},b\n")
    assert problems == [f"{path}:3: price {cell!r} (column 4) {PLAIN}"]


def test_the_column_is_where_the_header_puts_the_price(tmp_path: Path) -> None:
    """Columns in another order: the price's own column is named."""
    path = tmp_path / "orders.csv"
    problems = problems_of(path, "price,symbol,side,quantity\n40.,2891,Buy,1000\n")
    assert problems == [f"{path}:2: price '40.' (column 1) {PLAIN}"]


def test_a_json_line_price_is_held_to_the_same_rule(tmp_path: Path) -> None:
    """JSON Lines: the key names the field; "+40" is refused as in a CSV file."""
    path = tmp_path / "orders.jsonl"
    line = '{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "+40"}\n'
    assert problems_of(path, line) == [f"{path}:1: price '+40' {PLAIN}"]


# Texts a CSV cell can hold unchanged: no separator, quote or line break, nothing the
# reader strips from a cell's ends.
CELL_TEXT = st.text(
    alphabet=st.sampled_from("0123456789.+-eE ٤４x_"), min_size=1, max_size=18
).filter(lambda text: text == text.strip())


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.one_of(CELL_TEXT, st.decimals(min_value=0, max_value=10**10, places=7).map(str)))
def test_the_orders_file_and_the_exchange_read_every_price_alike(tmp_path: Path, cell: str) -> None:
    """For any price text, the file takes it exactly when the exchange's parser does, and
    as the same Decimal."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + f"2891,Buy,1000,{cell},a\n", encoding="utf-8")
    rows, problems = read_orders(path)
    try:
        expected: Decimal | None = parse_price(cell)
    except PriceError:
        expected = None
    if expected is None:
        assert rows == [] and len(problems) == 1
        assert f"price {cell!r} (column 4) " in str(problems[0])
    else:
        assert problems == []
        assert rows[0].order.price_twd == expected
