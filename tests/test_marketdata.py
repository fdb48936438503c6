"""Market data from the real exchange: the WebSocket feed delivers trades and books in
`seq` order; cut mid-stream, it reconnects and resubscribes, delivers nothing twice, and
reports as a `Gap` exactly the trades published while it was away; the polling fallback
sees the same trades and books."""

from __future__ import annotations

import asyncio

from tradeburst.exchange import Exchange
from tradeburst.marketdata import Book, Gap, MarketEvent, MarketFeed, QuotePoller, Sequencer, Trade
from tradeburst.wire import Frame

from _feed_support import cutting_proxy
from _support import KEY_A, RECEIVE_TIMEOUT_S, Api, place


async def _trade(api: Api, price: str = "40.60") -> None:
    await place(api, side="Sell", price=price, quantity=1000)
    await place(api, side="Buy", price=price, quantity=1000)


async def _collect(feed: MarketFeed | QuotePoller, count: int) -> list[MarketEvent]:
    """The next `count` trade and gap events (books skipped); fails if they do not come."""
    events: list[MarketEvent] = []
    async with asyncio.timeout(RECEIVE_TIMEOUT_S * 5):
        while len(events) < count:
            event = await feed.next()
            assert event is not None
            if not isinstance(event, Book):
                events.append(event)
    return events


def _seqs(events: list[MarketEvent]) -> list[int]:
    """Every trade number the events account for: delivered ones, and each gap's range."""
    numbers: list[int] = []
    for event in events:
        if isinstance(event, Trade):
            numbers.append(event.seq)
        elif isinstance(event, Gap):
            numbers.extend(range(event.first_seq, event.last_seq + 1))
    return numbers


async def test_the_feed_delivers_trades_in_seq_order(exchange: Exchange, api: Api) -> None:
    """Five trades arrive as Trade events numbered one after another, with Decimal prices."""
    async with MarketFeed(exchange.url, KEY_A, ["2891"], channels=["trades"]) as feed:
        await asyncio.wait_for(feed.connected.wait(), RECEIVE_TIMEOUT_S)
        await asyncio.sleep(0.05)  # the subscription reaches the exchange
        for _ in range(5):
            await _trade(api)
        trades = await _collect(feed, 5)
    assert all(isinstance(t, Trade) for t in trades)
    assert _seqs(trades) == list(range(1, 6))
    assert {str(t.price) for t in trades if isinstance(t, Trade)} == {"40.60"}


async def test_a_cut_connection_loses_nothing_and_duplicates_nothing(
    exchange: Exchange, api: Api
) -> None:
    """Cut twice mid-stream (once with trades while away): every trade number 1..N is
    delivered once or reported in a gap, and only the ones made while away are in gaps."""
    async with cutting_proxy(exchange.url) as proxy:
        feed = MarketFeed(proxy.url, KEY_A, ["2891"], channels=["trades"], backoff_s=(0.02, 0.1))
        async with feed:
            await asyncio.wait_for(feed.connected.wait(), RECEIVE_TIMEOUT_S)
            await asyncio.sleep(0.05)
            for _ in range(4):
                await _trade(api)
            events = await _collect(feed, 4)
            proxy.cut()  # nothing traded while away: the snapshot repeats trade 4
            await asyncio.sleep(0.3)
            await asyncio.wait_for(feed.connected.wait(), RECEIVE_TIMEOUT_S)
            await asyncio.sleep(0.05)
            for _ in range(3):
                await _trade(api)
            events += await _collect(feed, 3)
            proxy.down = True
            proxy.cut()
            for _ in range(5):  # trades 8..12 while the feed is away
                await _trade(api)
            proxy.down = False
            await asyncio.wait_for(feed.connected.wait(), RECEIVE_TIMEOUT_S * 2)
            await asyncio.sleep(0.05)
            for _ in range(2):
                await _trade(api)
            # a gap (8..11), the snapshot's trade 12, then 13 and 14
            events += await _collect(feed, 4)
    numbers = _seqs(events)
    assert sorted(numbers) == list(range(1, 15))
    assert len(numbers) == len(set(numbers))
    gaps = [e for e in events if isinstance(e, Gap)]
    assert [(g.first_seq, g.last_seq) for g in gaps] == [(8, 11)]
    assert feed.stats.duplicates >= 1  # the first reconnect's snapshot was dropped
    assert proxy.connections >= 3


async def test_the_feed_delivers_a_book_after_an_order(exchange: Exchange, api: Api) -> None:
    """A resting bid shows up as the best bid of a Book update."""
    async with MarketFeed(exchange.url, KEY_A, ["2891"], channels=["books"]) as feed:
        await asyncio.wait_for(feed.connected.wait(), RECEIVE_TIMEOUT_S)
        await asyncio.sleep(0.05)
        await place(api, side="Buy", price="40.00", quantity=2000)
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            while True:
                event = await feed.next()
                if isinstance(event, Book) and event.best_bid is not None:
                    break
    assert str(event.best_bid) == "40.00"
    assert event.bids[0].size == 2000


async def test_the_poller_sees_trades_and_books(exchange: Exchange, api: Api) -> None:
    """Polling at 20 ms: a trade becomes a Trade of its size at its price."""
    async with QuotePoller(exchange.url, KEY_A, ["2891"], interval_s=0.02) as poller:
        first = await asyncio.wait_for(poller.next(), RECEIVE_TIMEOUT_S)
        assert isinstance(first, Book) and first.snapshot
        await place(api, side="Sell", price="40.60", quantity=3000)
        await place(api, side="Buy", price="40.60", quantity=3000)
        trades = await _collect(poller, 1)
    trade = trades[0]
    assert isinstance(trade, Trade)
    assert (str(trade.price), trade.size, trade.seq) == ("40.60", 3000, 1)


def test_a_new_epoch_resets_the_numbering() -> None:
    """After the exchange restarts (new epoch), seq 1 is new, not a duplicate."""
    sequencer = Sequencer()
    trade = {"symbol": "2891", "price": "40.60", "size": 1000, "time": 1}
    snap = Frame(event="snapshot", channel="trades", symbol="2891", epoch=1, seq=5, data=trade)
    assert len(sequencer.accept(snap)[0]) == 1
    again = Frame(event="data", channel="trades", symbol="2891", seq=5, data=trade)
    assert sequencer.accept(again)[0] == []
    restarted = Frame(event="snapshot", channel="trades", symbol="2891", epoch=2, seq=1, data=trade)
    events, _ = sequencer.accept(restarted)
    assert [e.seq for e in events if isinstance(e, Trade)] == [1]


def test_a_skipped_number_is_a_gap_and_asks_for_a_snapshot() -> None:
    """Data seq 3 after 1 reports Gap 2..2 and asks to resubscribe."""
    sequencer = Sequencer()
    trade = {"symbol": "2891", "price": "40.60", "size": 1000, "time": 1}
    sequencer.accept(
        Frame(event="snapshot", channel="trades", symbol="2891", epoch=1, seq=1, data=trade)
    )
    events, resubscribe = sequencer.accept(
        Frame(event="data", channel="trades", symbol="2891", seq=3, data=trade)
    )
    assert resubscribe
    assert isinstance(events[0], Gap) and (events[0].first_seq, events[0].last_seq) == (2, 2)
