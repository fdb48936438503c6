"""House liquidity makes every book two-sided and trades flow, reproducibly for a seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import aiohttp

from tradeburst.clock import TAIPEI
from tradeburst.exchange import ManualClock, SessionClock
from tradeburst.exchange._liquidity import Liquidity
from tradeburst.exchange._market import Market
from tradeburst.exchange._symbols import load_symbols

from _support import Api, StartExchange


def _market_with_liquidity(seed: int) -> tuple[Market, Liquidity]:
    market = Market(load_symbols(), SessionClock(), always_open=True, rng=random.Random(seed))
    liquidity = Liquidity(market, random.Random(seed))
    liquidity.open_books()
    return market, liquidity


async def test_every_book_is_two_sided_at_start(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With liquidity on, every listed symbol quotes five levels a side."""
    exchange = await start_exchange(liquidity=True)
    api = Api(session, exchange.url, exchange.api_keys[0])
    _, symbols = await api.get("/v1/symbols")
    for symbol in symbols["data"]:
        _, quote = await api.get(f"/v1/quotes/{symbol['symbol']}")
        assert len(quote["data"]["bids"]) == 5
        assert len(quote["data"]["asks"]) == 5


def test_house_steps_print_trades_and_keep_books_uncrossed() -> None:
    """Stepping the house prints trades, and no book is ever left crossed."""
    market, liquidity = _market_with_liquidity(seed=3)
    for _ in range(300):
        liquidity.step()
        assert not any(book.is_crossed() for book in market.books.values())
    assert sum(market.volume(code) for code in market.symbols) > 0


def test_the_same_seed_gives_the_same_house_actions() -> None:
    """Two markets stepped with the same seed end with the same volumes and books."""
    first, first_house = _market_with_liquidity(seed=5)
    second, second_house = _market_with_liquidity(seed=5)
    for _ in range(200):
        first_house.step()
        second_house.step()
    for code in first.symbols:
        assert first.volume(code) == second.volume(code)
        assert first.books[code].depth() == second.books[code].depth()


def test_the_house_quotes_again_on_a_new_day() -> None:
    """After midnight empties the books, the house's next tick quotes every book again."""
    clock = ManualClock(datetime(2026, 11, 25, 9, 30, tzinfo=TAIPEI))
    market = Market(load_symbols(), clock, rng=random.Random(1))
    house = Liquidity(market, random.Random(1))
    house.tick()
    assert all(book.depth()[0] for book in market.books.values())
    clock.advance(timedelta(hours=23, minutes=5))  # 08:35 the next day
    house.tick()
    for book in market.books.values():
        bids, asks = book.depth()
        assert len(bids) == 5
        assert len(asks) == 5
