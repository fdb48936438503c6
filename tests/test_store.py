"""The store commits a round of concurrent changes once, and keeps what it acknowledged."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tradeburst.clock import TAIPEI
from tradeburst.exchange import Exchange, ExchangeConfig, ExchangeError, ManualClock
from tradeburst.exchange._accounts import Account
from tradeburst.exchange._events import MarketListener
from tradeburst.exchange._market import Market
from tradeburst.exchange._store import Store
from tradeburst.exchange._streams import AccountStreams, Subscriber
from tradeburst.exchange._symbols import load_symbols
from tradeburst.model import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)
from tradeburst.wire import FilledData, OrderResult


def _record(seq: int) -> OrderResult:
    return OrderResult(
        function_type=None,
        date="2026/11/25",
        seq_no=f"{seq:011d}",
        branch_no="6460",
        account="9800001",
        order_no=f"{seq:05d}",
        market_type=MarketType.COMMON,
        stock_no="2891",
        buy_sell=Side.BUY,
        price_type=PriceType.LIMIT,
        price=None,
        quantity=1000,
        time_in_force=TimeInForce.ROD,
        order_type=OrderType.STOCK,
        status=OrderStatus.ACCEPTED,
        after_price_type=PriceType.LIMIT,
        after_price=None,
        after_qty=1000,
        last_time="09:00:00.000",
    )


async def test_concurrent_changes_share_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten requests that change records in one loop round wait for a single commit."""
    store = Store(tmp_path / "x.db")
    commits = 0
    real_flush = store.flush

    def counting_flush() -> None:
        nonlocal commits
        commits += 1
        real_flush()

    monkeypatch.setattr(store, "flush", counting_flush)

    async def request(seq: int) -> None:
        store.order_changed(_record(seq))
        await store.committed()

    await asyncio.gather(*(request(seq) for seq in range(1, 11)))
    assert commits == 1
    store.close()
    reopened = Store(tmp_path / "x.db")
    records, _ = reopened.load()
    assert sorted(int(r.seq_no) for r in records) == list(range(1, 11))
    reopened.close()


async def _commit_records(store: Store, seqs: range) -> None:
    for seq in seqs:
        store.order_changed(_record(seq))
    await store.committed()


async def test_the_log_is_checkpointed_into_the_database_file_by_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once enough is written, a checkpoint copies the log into the database file
    (SQLite's own, which synced inside a commit, is off): the file alone then holds it."""
    monkeypatch.setattr("tradeburst.exchange._store.CHECKPOINT_BYTES", 1)
    store = Store(tmp_path / "x.db")
    checkpointed = threading.Event()
    real_checkpoint = store._run_checkpoint

    def noted_checkpoint() -> None:
        real_checkpoint()
        checkpointed.set()

    # Noted by the worker itself: it may finish, and the store forget it, before the
    # commit's answer has come back here.
    monkeypatch.setattr(store, "_run_checkpoint", noted_checkpoint)
    await _commit_records(store, range(1, 11))
    assert await asyncio.to_thread(checkpointed.wait, 60)  # bounded: catches a hang only
    shutil.copy(tmp_path / "x.db", tmp_path / "copy.db")  # without its -wal file
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM orders").fetchone() == (10,)
    copy.close()
    store.close()


async def test_a_commit_due_during_a_checkpoint_waits_for_it_and_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round that comes due while the checkpoint runs commits after it, never beside it
    on the one connection, and its answer waits for that commit."""
    monkeypatch.setattr("tradeburst.exchange._store.CHECKPOINT_BYTES", 1)
    store = Store(tmp_path / "x.db")
    go = threading.Event()
    real_checkpoint = store._run_checkpoint

    def held_checkpoint() -> None:
        go.wait(60)  # bounded: a failure here is a hang caught, not a timing
        real_checkpoint()

    monkeypatch.setattr(store, "_run_checkpoint", held_checkpoint)
    await _commit_records(store, range(1, 11))
    checkpoint = store._checkpoint
    assert checkpoint is not None
    later = asyncio.create_task(_commit_records(store, range(11, 13)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not later.done() and not checkpoint.done()
    go.set()
    await later
    assert checkpoint.done()
    store.close()
    reopened = Store(tmp_path / "x.db")
    assert sorted(int(r.seq_no) for r in reopened.load()[0]) == list(range(1, 13))
    reopened.close()


_LAYOUT_BEFORE = """
CREATE TABLE orders (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, user_def TEXT,
    order_no TEXT, status INTEGER NOT NULL, received_ns INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE fills (filled_no TEXT PRIMARY KEY, account TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE market (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def _fill(seq: int, filled_no: int) -> FilledData:
    return FilledData(
        date="2026/11/25",
        branch_no="6460",
        account="9800001",
        seq_no=f"{seq:011d}",
        order_no=f"{seq:05d}",
        stock_no="2891",
        buy_sell=Side.BUY,
        order_type=OrderType.STOCK,
        filled_no=f"{filled_no:011d}",
        filled_avg_price=Decimal("40.6000"),
        filled_qty=1000,
        filled_price=Decimal("40.60"),
        filled_time="09:00:00.000",
    )


async def test_a_database_in_the_earlier_layout_is_moved_and_keeps_everything(
    tmp_path: Path,
) -> None:
    """A file written before records were keyed by number alone (each order's fields in
    columns too, fills keyed by text) opens with every order and fill, takes new ones,
    and keeps them all across a restart."""
    db = tmp_path / "x.db"
    before = sqlite3.connect(db)
    before.executescript(_LAYOUT_BEFORE)
    encode = msgspec.msgpack.encode
    with before:
        before.executemany(
            "INSERT INTO orders VALUES (?,?,?,?,?,?,?)",
            [(seq, "9800001", None, f"{seq:05d}", 10, 0, encode(_record(seq))) for seq in (1, 2)],
        )
        before.execute(
            "INSERT INTO fills VALUES (?,?,?)", ("00000000001", "9800001", encode(_fill(1, 1)))
        )
        before.execute("INSERT INTO market VALUES ('synced_ns', 7)")
    before.close()
    store = Store(db)
    records, fills = store.load()
    assert sorted(r.seq_no for r in records) == [f"{seq:011d}" for seq in (1, 2)]
    assert [f.filled_no for f in fills] == ["00000000001"]
    assert store.synced_ns() == 7
    store.order_changed(_record(3))
    store.filled(_fill(3, 2))
    await store.committed()
    store.close()
    reopened = Store(db)
    records, fills = reopened.load()
    assert sorted(int(r.seq_no) for r in records) == [1, 2, 3]
    assert sorted(f.filled_no for f in fills) == ["00000000001", "00000000002"]
    reopened.close()


async def test_nothing_to_commit_returns_at_once(tmp_path: Path) -> None:
    """With no change pending, waiting for the commit does not schedule one."""
    store = Store(tmp_path / "x.db")
    await store.committed()
    assert store._commit is None
    store.close()


class _Socket:
    closed = False


async def test_an_account_event_waits_for_the_commit_of_its_change(tmp_path: Path) -> None:
    """The account stream holds an order's event until the store has committed the order:
    a client never hears of an order that a crash before the commit would take back."""
    store = Store(tmp_path / "x.db")
    streams = AccountStreams(epoch=1)
    store.after_flush.append(streams.release)
    subscriber = Subscriber(_Socket())  # type: ignore[arg-type]
    streams.add("9800001", subscriber)
    subscriber.queue.get_nowait()  # the `subscribed` greeting
    record = _record(1)
    for listener in (store, streams):  # as the market tells its listeners
        listener.order_changed(record)
    assert subscriber.queue.empty()
    await store.committed()
    assert store.load()[0] == [record]
    event = json.loads(subscriber.queue.get_nowait())
    assert (event["event"], event["data"]["order_no"]) == ("order", "00001")
    store.close()


SELLER, BUYER = Account("9800001"), Account("9800002")


def _market_on(db: Path, hour: int, minute: int, seed: int) -> tuple[Market, Store]:
    """A market at this time of the test day on the stored `db`, as a restart makes it."""
    clock = ManualClock(datetime(2026, 11, 25, hour, minute, tzinfo=TAIPEI))
    market = Market(load_symbols(), clock, rng=random.Random(seed))
    store = Store(db)
    market.restore(*store.load(), store.synced_ns())
    market.listeners.append(store)
    return market, store


def _order(side: Side, price: str, tag: str) -> Order:
    return Order(symbol="2891", side=side, quantity=1000, price_twd=Decimal(price), user_def=tag)


def _sell_queue(market: Market) -> list[str | None]:
    """The user_defs of the resting sells of 2891, in queue order."""
    tags = {int(r.seq_no): r.user_def for r in market.orders_of(SELLER)}
    return [tags[o.order_id] for o in market.books["2891"].resting() if o.side is Side.SELL]


@pytest.mark.parametrize("trade_after_the_open", [True, False])
def test_a_restart_keeps_the_queue_the_opening_auction_ranked(
    tmp_path: Path, trade_after_the_open: bool
) -> None:
    """Four sells at one price before the open, ranked at random by the auction: after a
    restart on the same database the queue is the same, whether or not anything happened
    after the open (the auction is not run again with a new draw)."""
    db = tmp_path / "x.db"
    market, store = _market_on(db, 8, 45, seed=1)
    for tag in ("s1", "s2", "s3", "s4"):
        market.place(SELLER, _order(Side.SELL, "41.00", tag), market.clock.now_ns())
    market.clock.advance(timedelta(minutes=17))  # 09:02
    market.sync()
    if trade_after_the_open:
        market.place(BUYER, _order(Side.BUY, "40.00", "b1"), market.clock.now_ns())
    ranked = _sell_queue(market)
    assert ranked != ["s1", "s2", "s3", "s4"], "this seed's draw must differ from arrival"
    store.close()
    restarted, store = _market_on(db, 9, 5, seed=99)
    restarted.sync()
    assert _sell_queue(restarted) == ranked
    store.close()


def test_an_auction_renumbers_only_the_levels_its_ranking_reordered(tmp_path: Path) -> None:
    """Three pre-open sells at 41.00 are re-ranked; a pre-open buy alone at 40.00 cannot
    be: only the orders at the reordered level are written again."""
    market, store = _market_on(tmp_path / "x.db", 8, 45, seed=1)
    for tag in ("s1", "s2", "s3"):
        market.place(SELLER, _order(Side.SELL, "41.00", tag), market.clock.now_ns())
    market.place(BUYER, _order(Side.BUY, "40.00", "b1"), market.clock.now_ns())
    store.flush()
    requeued: list[str | None] = []

    class Watch(MarketListener):
        def requeued(self, record: OrderResult) -> None:
            requeued.append(record.user_def)

    market.listeners.append(Watch())
    market.clock.advance(timedelta(minutes=17))  # 09:02: the opening auction, no trade
    market.sync()
    assert sorted(requeued) == ["s1", "s2", "s3"]
    assert requeued == _sell_queue(market)
    store.close()


async def test_a_database_whose_auction_ran_after_the_start_time_is_refused(
    tmp_path: Path,
) -> None:
    """The opening auction stored as carried out at 09:00; an exchange started at 08:50 on
    that database would run it again with a new draw: refused, naming why."""
    db = tmp_path / "x.db"
    market, store = _market_on(db, 8, 45, seed=1)
    market.clock.advance(timedelta(minutes=17))  # 09:02: the auction is carried out
    market.sync()
    store.close()
    early = ManualClock(datetime(2026, 11, 25, 8, 50, tzinfo=TAIPEI))
    exchange = Exchange(ExchangeConfig(db=str(db), api_keys=("K",), admin_key="A"), clock=early)
    with pytest.raises(ExchangeError, match="phase changes later than the exchange's start"):
        await exchange.start()
    await exchange.aclose()
