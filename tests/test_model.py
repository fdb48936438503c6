"""Orders that cannot exist are refused when built, with the field named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeburst.model import Order, OrderError, OrderStatus, PriceType, Side


def test_a_limit_order_needs_a_price() -> None:
    """A Limit order without a price is refused."""
    with pytest.raises(OrderError, match="needs a price"):
        Order(symbol="2330", side=Side.BUY, quantity=1000)


def test_a_market_order_takes_no_price() -> None:
    """A Market order with a price is refused, as the Fubon SDK refuses it."""
    with pytest.raises(OrderError, match="takes no price"):
        Order(
            symbol="2330",
            side=Side.BUY,
            quantity=1000,
            price_twd=Decimal("1000"),
            price_type=PriceType.MARKET,
        )


@pytest.mark.parametrize("quantity", [0, -1000])
def test_quantity_must_be_positive(quantity: int) -> None:
    """Zero or negative share counts are refused."""
    with pytest.raises(OrderError, match="quantity"):
        Order(symbol="2330", side=Side.SELL, quantity=quantity, price_twd=Decimal("1000"))


@pytest.mark.parametrize("user_def", ["", "ABCDEFGHIJK", "A-1", "台積"])
def test_user_def_must_be_one_to_ten_letters_or_digits(user_def: str) -> None:
    """user_def outside Fubon's 1-10 alphanumerics is refused rather than cut or cleared."""
    with pytest.raises(OrderError, match="user_def"):
        Order(
            symbol="2330",
            side=Side.BUY,
            quantity=1000,
            price_twd=Decimal("1000"),
            user_def=user_def,
        )


def test_a_non_finite_price_is_refused() -> None:
    """NaN and infinity are not prices."""
    with pytest.raises(OrderError, match="price"):
        Order(symbol="2330", side=Side.BUY, quantity=1000, price_twd=Decimal("NaN"))


def test_status_codes_are_fubons() -> None:
    """The statuses carry Fubon's numeric codes, and only final ones are final."""
    assert [int(s) for s in OrderStatus] == [0, 4, 8, 9, 10, 19, 29, 30, 39, 40, 50, 90]
    assert {s for s in OrderStatus if s.is_final} == {
        OrderStatus.CANCELLED,
        OrderStatus.PARTLY_FILLED_CANCELLED,
        OrderStatus.FILLED,
        OrderStatus.FAILED,
    }
