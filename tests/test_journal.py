"""The journal keeps what it is given, exactly and in one commit per group, and is held
by one process at a time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeburst.engine._ids import client_order_id
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._journal import GROUP_COMMIT_S, Journal, JournalError, RunRecord
from tradeburst.model import Order
from tradeburst.model._enums import MarketType, OrderType, PriceType, Side, TimeInForce

RUN_ID = "K3F0AB"


def _run_record(run_id: str = RUN_ID, created_ns: int = 1_000) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        created_ns=created_ns,
        command="fire",
        account="A1",
        broker="sim",
        url="http://127.0.0.1:1",
        profile="fubon",
        source="orders.csv",
        options={"max_batch": 30, "dry_run": False},
    )


def _orders(run_id: str = RUN_ID) -> list[Order]:
    """Orders touching every field: Decimal scales, each enum, no price."""
    return [
        Order(
            symbol="2330",
            side=Side.BUY,
            quantity=1000,
            price_twd=Decimal("580.50"),
            user_def=client_order_id(run_id, 0),
        ),
        Order(
            symbol="0050",
            side=Side.SELL,
            quantity=37,
            price_twd=Decimal("0.01"),
            time_in_force=TimeInForce.IOC,
            market_type=MarketType.INTRADAY_ODD,
            order_type=OrderType.MARGIN,
            user_def=client_order_id(run_id, 1),
        ),
        Order(
            symbol="2603",
            side=Side.BUY,
            quantity=2000,
            price_type=PriceType.MARKET,
            time_in_force=TimeInForce.FOK,
            order_type=OrderType.DAY_TRADE,
            user_def=client_order_id(run_id, 2),
        ),
        Order(
            symbol="00878",
            side=Side.SELL,
            quantity=1000,
            price_type=PriceType.LIMIT_UP,
            market_type=MarketType.ODD,
            order_type=OrderType.SBL,
            user_def=client_order_id(run_id, 3),
        ),
    ]


def _intents(run_id: str = RUN_ID) -> list[Intent]:
    return [
        Intent(seq=seq, line=seq + 2, tag=f"row{seq}", order=order)
        for seq, order in enumerate(_orders(run_id))
    ]


def _persisted(intent: Intent) -> tuple[object, ...]:
    """Everything the journal keeps of an intent, the order's price as written."""
    return (
        intent.seq,
        intent.line,
        intent.tag,
        intent.order,
        str(intent.order.price_twd),
        intent.state,
        intent.order_no,
        intent.status,
        intent.message,
        intent.attempts,
        intent.resent,
        intent.sent_ns,
        intent.answered_ns,
        intent.last_time,
    )


def _settle(intent: Intent, sent_ns: int) -> None:
    intent.state = IntentState.ACCEPTED
    intent.order_no = f"N{intent.seq:05d}"
    intent.status = 10
    intent.message = "成功"
    intent.attempts = 1
    intent.sent_ns = sent_ns
    intent.answered_ns = sent_ns + 5
    intent.last_time = "09:00:00.123"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A journal holding one started run of four pending intents."""
    journal = Journal(tmp_path / "runs" / "run.sqlite", create=True)
    journal.start_run(_run_record(), _intents())
    yield journal
    journal.close()


def test_start_run_round_trips_every_intent_exactly(journal: Journal) -> None:
    """intents() gives back each order as given: Decimal scale, enums, user_def."""
    read = journal.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in _intents()]
    assert [type(i.order.side) for i in read] == [Side] * 4
    assert [i.user_def for i in read] == [client_order_id(RUN_ID, seq) for seq in range(4)]


def test_start_run_round_trips_the_run_record(journal: Journal) -> None:
    """run() gives back the run as recorded, options decoded."""
    assert journal.run() == _run_record()


@settings(max_examples=25, deadline=None)
@given(
    price=st.decimals(
        min_value=Decimal("0.0001"), max_value=Decimal("1e7"), allow_nan=False, places=None
    )
)
def test_any_positive_price_round_trips_exactly(price: Decimal) -> None:
    """A Decimal price comes back with the same digits and exponent."""
    order = Order(symbol="2330", side=Side.BUY, quantity=1, price_twd=price, user_def="ABC1230000")
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j", create=True) as journal:
        journal.start_run(_run_record("ABC123"), [Intent(seq=0, line=2, tag="", order=order)])
        read = journal.intents("ABC123")[0].order.price_twd
    assert read is not None
    assert read.as_tuple() == price.as_tuple()


def test_record_without_a_loop_is_written_at_once(tmp_path: Path) -> None:
    """Outside an event loop record() commits immediately; a reopened journal sees it."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), intents)
        _settle(intents[1], sent_ns=2_000)
        journal.record(intents[1])
        statements: list[str] = []
        journal._db.set_trace_callback(statements.append)
    assert statements == []  # nothing was left for close() to write
    with Journal(path, create=False) as reopened:
        read = reopened.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in intents]


async def test_records_inside_a_loop_are_written_later_by_one_commit(tmp_path: Path) -> None:
    """Inside a loop, records gather and one transaction writes them GROUP_COMMIT_S later."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    journal = Journal(path, create=True)
    journal.start_run(_run_record(), intents)
    statements: list[str] = []
    journal._db.set_trace_callback(statements.append)
    for n, intent in enumerate(intents):
        _settle(intent, sent_ns=2_000 + n)
        journal.record(intent)
    assert {i.state for i in journal.intents(RUN_ID)} == {IntentState.PENDING}
    await asyncio.sleep(2 * GROUP_COMMIT_S)  # the commit's timer is due first
    assert {i.state for i in journal.intents(RUN_ID)} == {IntentState.ACCEPTED}
    assert statements.count("COMMIT") == 1
    assert sum("UPDATE intents" in s for s in statements) == len(intents)
    journal.close()
    with Journal(path, create=False) as reopened:
        read = reopened.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in intents]


async def test_close_writes_records_before_their_group_commit(tmp_path: Path) -> None:
    """A journal closed before its group commit ran still writes what was recorded."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    journal = Journal(path, create=True)
    journal.start_run(_run_record(), intents)
    _settle(intents[0], sent_ns=2_000)
    journal.record(intents[0])
    journal.close()
    await asyncio.sleep(2 * GROUP_COMMIT_S)  # the scheduled commit finds the journal closed
    with Journal(path, create=False) as reopened:
        assert reopened.intents(RUN_ID)[0].state is IntentState.ACCEPTED


def test_finish_run_stamps_the_run(journal: Journal) -> None:
    """finish_run records when the run ended."""
    journal.finish_run(RUN_ID, 9_999)
    assert journal.run().finished_ns == 9_999


_OPEN_ELSEWHERE = """
import sys
from pathlib import Path
from tradeburst.engine import Journal, JournalError
try:
    Journal(Path(sys.argv[1]), create=False).close()
except JournalError as exc:
    print(exc)
else:
    print("opened")
"""


def _open_in_another_process(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_ELSEWHERE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_a_journal_in_use_is_refused_to_another_process(tmp_path: Path) -> None:
    """While one process holds the journal, another gets JournalError 'in use'."""
    path = tmp_path / "run.sqlite"
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), _intents())
        assert "in use" in _open_in_another_process(path)


def test_a_closed_journal_can_be_opened_by_another_process(tmp_path: Path) -> None:
    """Closing releases the lock."""
    path = tmp_path / "run.sqlite"
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), _intents())
    assert _open_in_another_process(path) == "opened"


def test_opening_a_missing_journal_raises(tmp_path: Path) -> None:
    """create=False on a missing file is a JournalError, and creates nothing."""
    path = tmp_path / "missing.sqlite"
    with pytest.raises(JournalError, match="no such journal"):
        Journal(path, create=False)
    assert not path.exists()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    """Opening some other file (an orders CSV) is a JournalError."""
    path = tmp_path / "orders.csv"
    path.write_text("symbol,side,quantity,price\n2330,Buy,1000,580\n" * 100)
    with pytest.raises(JournalError, match="not a tradeburst journal"):
        Journal(path, create=False)


def test_a_journal_without_a_run_says_so(tmp_path: Path) -> None:
    """run() on a journal no run was started in is a JournalError."""
    with (
        Journal(tmp_path / "empty.sqlite", create=True) as journal,
        pytest.raises(JournalError, match="holds no run"),
    ):
        journal.run()


def test_close_is_idempotent(tmp_path: Path) -> None:
    """Closing twice is harmless."""
    journal = Journal(tmp_path / "run.sqlite", create=True)
    journal.close()
    journal.close()


def test_a_directory_is_refused_as_a_journal(tmp_path: Path) -> None:
    """A path that cannot be opened as a file (a directory) is a JournalError."""
    with pytest.raises(JournalError):
        Journal(tmp_path, create=True)


def _open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own fd is gone by now
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
    return paths


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
def test_a_refused_file_is_not_left_open(tmp_path: Path) -> None:
    """After refusing a non-SQLite file the journal holds no handle on it."""
    path = tmp_path / "orders.csv"
    path.write_bytes(b"not a database" * 300)
    with pytest.raises(JournalError) as refused:
        Journal(path, create=False)
    assert refused.value is not None
    assert str(path) not in _open_paths()


def test_a_failed_start_run_leaves_the_journal_usable(tmp_path: Path) -> None:
    """After start_run fails (duplicate client ids), a corrected start_run succeeds."""
    intents = _intents()
    with Journal(tmp_path / "run.sqlite", create=True) as journal:
        with pytest.raises(sqlite3.IntegrityError):
            journal.start_run(_run_record(), [intents[0], intents[0]])
        journal.start_run(_run_record(), intents)
        assert len(journal.intents(RUN_ID)) == len(intents)
