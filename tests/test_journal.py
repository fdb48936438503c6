"""The journal keeps what it is given, exactly, in one commit per group, off the event
loop, and is held by one process at a time; a journal it cannot write or read is refused
with its path named."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _journal_support import in_own_loop, read_journal, write_journal
from tradeburst.engine import Intent, IntentState, JournalError, JournalStore, RunRecord
from tradeburst.engine._ids import client_order_id
from tradeburst.engine.journal import GROUP_COMMIT_S, SqliteJournal, open_journal, read_run
from tradeburst.model import Fill, Order
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
async def journal(tmp_path: Path) -> AsyncIterator[JournalStore]:
    """A journal holding one started run of four pending intents."""
    async with open_journal(tmp_path / "runs" / "run.sqlite", "create") as journal:
        await journal.start_run(_run_record(), _intents())
        yield journal


def _statements(journal: JournalStore) -> list[str]:
    """Every statement the journal's connection runs from now on (on its writer thread)."""
    assert isinstance(journal, SqliteJournal)
    statements: list[str] = []
    assert journal._opened is not None
    journal._opened.db.set_trace_callback(statements.append)
    return statements


async def test_start_run_round_trips_every_intent_exactly(journal: JournalStore) -> None:
    """The snapshot gives back each order as given: Decimal scale, enums, user_def."""
    read = (await journal.snapshot()).intents
    assert [_persisted(i) for i in read] == [_persisted(i) for i in _intents()]
    assert [type(i.order.side) for i in read] == [Side] * 4
    assert [i.user_def for i in read] == [client_order_id(RUN_ID, seq) for seq in range(4)]


async def test_start_run_round_trips_the_run_record(journal: JournalStore) -> None:
    """The snapshot gives back the run as recorded, options decoded."""
    assert (await journal.snapshot()).run == _run_record()


@settings(max_examples=25, deadline=None)
@given(
    price=st.decimals(
        min_value=Decimal("0.0001"), max_value=Decimal("1e7"), allow_nan=False, places=None
    )
)
def test_any_positive_price_round_trips_exactly(price: Decimal) -> None:
    """A Decimal price comes back with the same digits and exponent."""
    order = Order(symbol="2330", side=Side.BUY, quantity=1, price_twd=price, user_def="ABC1230000")

    async def round_trip(path: Path) -> Decimal | None:
        async with open_journal(path, "create") as journal:
            await journal.start_run(_run_record("ABC123"), [Intent(seq=0, line=2, tag="",
                                                                   order=order)])  # fmt: skip
            return (await journal.snapshot()).intents[0].order.price_twd

    with tempfile.TemporaryDirectory() as tmp:
        read = in_own_loop(lambda: round_trip(Path(tmp) / "j"))
    assert read is not None
    assert read.as_tuple() == price.as_tuple()


async def test_records_are_written_later_by_one_commit(journal: JournalStore) -> None:
    """Records gather; one transaction writes them all, not before the group is due."""
    intents = (await journal.snapshot()).intents
    statements = _statements(journal)
    for n, intent in enumerate(intents):
        _settle(intent, sent_ns=2_000 + n)
        journal.record(intent)
    assert statements == []  # recorded, not yet written: the group is not due
    await journal.flush()
    assert statements.count("COMMIT") == 1
    assert sum("UPDATE intents" in s for s in statements) == len(intents)
    read = (await journal.snapshot()).intents
    assert [_persisted(i) for i in read] == [_persisted(i) for i in intents]


async def test_a_group_commits_by_itself_after_its_interval(journal: JournalStore) -> None:
    """Without a flush, the group is written once its interval has passed."""
    intents = (await journal.snapshot()).intents
    statements = _statements(journal)
    _settle(intents[0], sent_ns=2_000)
    journal.record(intents[0])
    async with asyncio.timeout(5):
        while "COMMIT" not in statements:  # noqa: ASYNC110 - the writer thread has no event
            await asyncio.sleep(GROUP_COMMIT_S / 2)
    assert (await journal.snapshot()).intents[0].state is IntentState.ACCEPTED


async def test_every_group_after_the_first_is_written_too(tmp_path: Path) -> None:
    """Three groups, one after another: a reopened journal holds what each wrote."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    async with open_journal(path, "create") as journal:
        await journal.start_run(_run_record(), intents)
        for n, intent in enumerate(intents[:3]):
            _settle(intent, sent_ns=2_000 + n)
            journal.record(intent)
            await journal.flush()
        journal.note_alive(7_777)
    read = await read_run(path)
    assert [i.state for i in read.intents] == [IntentState.ACCEPTED] * 3 + [IntentState.PENDING]
    async with open_journal(path, "work") as reopened:
        assert await reopened.last_sign_of_life_ns(RUN_ID, 0) == 7_777


async def test_close_writes_records_before_their_group_commit(tmp_path: Path) -> None:
    """A journal closed before its group commit was due still writes what was recorded."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    async with open_journal(path, "create") as journal:
        await journal.start_run(_run_record(), intents)
        _settle(intents[0], sent_ns=2_000)
        journal.record(intents[0])
    assert (await read_run(path)).intents[0].state is IntentState.ACCEPTED


async def test_a_stalled_disk_delays_the_journal_not_the_loop(journal: JournalStore) -> None:
    """While a commit hangs in the writer thread (a frozen disk), the event loop runs on
    and `record` returns at once; the group lands when the disk comes back."""
    intents = (await journal.snapshot()).intents
    assert isinstance(journal, SqliteJournal) and journal._opened is not None
    entered, disk_back = threading.Event(), threading.Event()

    def stall(statement: str) -> None:
        if statement == "COMMIT" and not disk_back.is_set():
            entered.set()
            disk_back.wait(30)

    journal._opened.db.set_trace_callback(stall)
    _settle(intents[0], sent_ns=2_000)
    journal.record(intents[0])
    flushed = asyncio.create_task(journal.flush())
    assert await asyncio.to_thread(entered.wait, 30)  # the writer is stuck in its commit
    ticks = 0
    for _ in range(5):  # the loop still turns, and records are still taken
        await asyncio.sleep(GROUP_COMMIT_S)
        ticks += 1
        journal.record(intents[1])
    assert (ticks, flushed.done()) == (5, False)
    disk_back.set()
    await flushed
    await journal.flush()
    states = [i.state for i in (await journal.snapshot()).intents]
    assert states[:2] == [IntentState.ACCEPTED, IntentState.PENDING]


async def test_a_disk_that_hangs_past_the_deadline_fails_the_journal(
    journal: JournalStore,
) -> None:
    """A commit that does not end by the write deadline fails the journal and tells its
    listeners (the dispatchers, which stop sending): a run must not send on while its last
    sign of life grows old, for a resume would trust that sign."""
    intents = (await journal.snapshot()).intents
    assert isinstance(journal, SqliteJournal) and journal._opened is not None
    journal._commits._deadline_s = 0.3
    disk_back = threading.Event()

    def hang(statement: str) -> None:
        if statement == "COMMIT" and not disk_back.is_set():
            disk_back.wait(30)

    heard: list[JournalError] = []
    journal.on_failure(heard.append)
    journal._opened.db.set_trace_callback(hang)
    try:
        _settle(intents[0], sent_ns=2_000)
        journal.record(intents[0])
        with pytest.raises(JournalError, match=r"a write has not ended after 0\.3 s"):
            await asyncio.wait_for(journal.flush(), 30.0)
        assert heard == [journal.failure]
        journal.record(intents[1])  # taken no more
        with pytest.raises(JournalError):
            await journal.flush()
    finally:
        disk_back.set()


async def test_finish_run_stamps_the_run(journal: JournalStore) -> None:
    """finish_run records when the run ended."""
    await journal.finish_run(RUN_ID, 9_999)
    assert (await journal.snapshot()).run.finished_ns == 9_999


async def test_a_second_run_in_one_file_is_refused(journal: JournalStore) -> None:
    """A file holds one run: a second would hide the first from `resume`."""
    with pytest.raises(JournalError, match=f"already holds run {RUN_ID}"):
        await journal.start_run(_run_record("OTHER1"), _intents("OTHER1"))


async def test_a_failed_start_run_leaves_no_half_run(tmp_path: Path) -> None:
    """start_run fails whole (duplicate client ids): no half run is left, and no file
    either, for nothing of the run was sent and a file without a run would read as one
    whose write-ahead log was lost."""
    intents = _intents()
    path = tmp_path / "run.sqlite"
    async with open_journal(path, "create") as journal:
        with pytest.raises(JournalError, match="cannot write the journal"):
            await journal.start_run(_run_record(), [intents[0], intents[0]])
        assert journal.failure is not None
    assert not path.exists()
    with pytest.raises(JournalError, match="no such journal"):
        await read_run(path)


# -- durability: what was acknowledged survives ------------------------------------------

_COMMIT_THEN_WAIT = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_journal import _intents, _run_record, _settle
from tradeburst.engine import open_journal

async def main():
    intents = _intents()
    async with open_journal(Path(sys.argv[1]), "create") as journal:
        await journal.start_run(_run_record(), intents)
        print("started", flush=True)
        if sys.argv[3] == "started":
            return
        for n, intent in enumerate(intents[:3]):
            _settle(intent, sent_ns=5_000 + n)
            journal.record(intent)
            await journal.flush()
        print("committed", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


def _killed_after(path: Path, line: str, *prefix: str) -> list[str]:
    """Run the writer above (under `prefix`), SIGKILL it once it printed `line` (after
    "started" it ends by itself); its output."""
    child = subprocess.Popen(
        [*prefix, sys.executable, "-c", _COMMIT_THEN_WAIT, str(path), str(Path(__file__).parent),
         line],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    seen: list[str] = []
    try:
        for text in child.stdout:
            seen.append(text)
            if text.strip() == line:
                break
        else:
            raise AssertionError("".join(seen))
    finally:
        if line != "started":
            child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
    return [*seen, rest]


def test_a_group_acknowledged_as_committed_survives_sigkill(tmp_path: Path) -> None:
    """A writer killed with SIGKILL right after its flushes returned: every group it was
    told was committed is in the journal, the first and the later ones."""
    path = tmp_path / "run.sqlite"
    _killed_after(path, "committed")
    intents = read_journal(path).intents
    assert [i.state for i in intents] == [IntentState.ACCEPTED] * 3 + [IntentState.PENDING]
    assert [i.sent_ns for i in intents] == [5_000, 5_001, 5_002, 0]


@pytest.mark.skipif(
    not Path("/usr/bin/strace").exists(),
    reason="needs strace to see the syncs (apt-get install -y strace)",
)
def test_the_run_is_synced_to_disk_before_start_run_returns(tmp_path: Path) -> None:
    """`synchronous = FULL` at the start: the intents written to the write-ahead log are
    fsynced before start_run returns (before the first byte could go out), not left to the
    next checkpoint."""
    path = tmp_path / "run.sqlite"
    trace = tmp_path / "strace.txt"
    _killed_after(path, "started", "/usr/bin/strace", "-f", "-y", "-o", str(trace),
                  "-e", "trace=fsync,fdatasync,write,pwrite64")  # fmt: skip
    lines = trace.read_text().splitlines()
    said = next(n for n, text in enumerate(lines) if '"started' in text)

    def calls(names: tuple[str, ...]) -> list[int]:
        return [n for n, text in enumerate(lines[:said])
                if text.split()[1].startswith(names) and "run.sqlite-wal>" in text]  # fmt: skip

    last_write = calls(("write(", "pwrite64("))[-1]  # the intents' commit
    assert any(n > last_write for n in calls(("fsync(", "fdatasync("))), "\n".join(lines[:said])


# -- held by one process ------------------------------------------------------------------

_OPEN_ELSEWHERE = """
import asyncio, sys
from pathlib import Path
from tradeburst.engine import JournalError, open_journal

async def main():
    for mode in sys.argv[2:]:
        try:
            async with open_journal(Path(sys.argv[1]), mode):
                pass
        except JournalError as exc:
            print(exc)
        else:
            print("opened")

asyncio.run(main())
"""


def _open_in_another_process(path: Path, *modes: str) -> str:
    """What another process gets opening the journal in each of `modes` (default: work)."""
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_ELSEWHERE, str(path), *(modes or ("work",))],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


async def test_a_journal_in_use_is_refused_to_another_process(tmp_path: Path) -> None:
    """While one process holds the journal, another gets JournalError 'in use', even to
    read it."""
    path = tmp_path / "run.sqlite"
    async with open_journal(path, "create") as journal:
        await journal.start_run(_run_record(), _intents())
        said = await asyncio.to_thread(_open_in_another_process, path, "work", "read")
    assert [
        line.endswith("in use by another tradeburst process") for line in said.splitlines()
    ] == [True, True]


async def test_a_closed_journal_can_be_opened_by_another_process(tmp_path: Path) -> None:
    """Closing releases the lock."""
    path = tmp_path / "run.sqlite"
    async with open_journal(path, "create") as journal:
        await journal.start_run(_run_record(), _intents())
    assert await asyncio.to_thread(_open_in_another_process, path) == "opened"


# -- refused, with the path named ------------------------------------------------------


async def test_opening_a_missing_journal_raises(tmp_path: Path) -> None:
    """A missing file is a JournalError, and nothing is created."""
    path = tmp_path / "missing.sqlite"
    for mode in ("work", "read"):
        with pytest.raises(JournalError, match="no such journal"):
            async with open_journal(path, mode):  # type: ignore[arg-type]
                pass
    assert not path.exists()


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    """Opening some other file (an orders CSV) is a JournalError."""
    path = tmp_path / "orders.csv"
    path.write_text("symbol,side,quantity,price\n2330,Buy,1000,580\n" * 100)
    with pytest.raises(JournalError, match="not a tradeburst journal"):
        await read_run(path)
    with pytest.raises(JournalError, match="not a tradeburst journal"):
        async with open_journal(path, "work"):
            pass


async def test_a_journal_without_a_run_says_so(tmp_path: Path) -> None:
    """A journal no run was started in holds no run."""
    async with open_journal(tmp_path / "empty.sqlite", "create") as journal:
        with pytest.raises(JournalError, match="holds no run"):
            await journal.snapshot()


async def test_aclose_is_idempotent(tmp_path: Path) -> None:
    """Closing twice is harmless."""
    async with open_journal(tmp_path / "run.sqlite", "create") as journal:
        await journal.aclose()


async def test_a_directory_is_refused_as_a_journal(tmp_path: Path) -> None:
    """A folder is not a journal file."""
    with pytest.raises(JournalError, match="is a folder"):
        async with open_journal(tmp_path, "create"):
            pass


def _open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own fd is gone by now
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
    return paths


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
async def test_a_refused_file_is_not_left_open(tmp_path: Path) -> None:
    """After refusing a non-SQLite file the journal holds no handle on it."""
    path = tmp_path / "orders.csv"
    path.write_bytes(b"not a database" * 300)
    for mode in ("work", "read"):
        with pytest.raises(JournalError, match=r"not a tradeburst journal \(file is not a"):
            async with open_journal(path, mode):  # type: ignore[arg-type]
                pass
    assert str(path) not in _open_paths()


async def test_a_journal_copied_without_its_wal_says_so(tmp_path: Path) -> None:
    """A journal copied without its `-wal` file after a crash: reading, resuming or firing
    into it says the write-ahead log is missing and that firing again would place the
    orders twice, instead of "holds no run"."""
    path, copy = tmp_path / "run.sqlite", tmp_path / "copy.sqlite"
    async with open_journal(path, "create") as journal:
        await journal.start_run(_run_record(), _intents())
        copy.write_bytes(path.read_bytes())  # as a crash leaves it: the run is in the -wal
    missing = r"copy\.sqlite-wal is missing.*twice"
    with pytest.raises(JournalError, match=missing):
        await read_run(copy)
    with pytest.raises(JournalError, match=missing):
        async with open_journal(copy, "work") as journal:
            await journal.snapshot()
    with pytest.raises(JournalError, match=missing):
        async with open_journal(copy, "create"):
            pass


def test_the_journal_keeps_the_fills_of_its_run_only_and_each_once(tmp_path: Path) -> None:
    """Of the day's fills, the journal keeps those of its run's orders, each once (a fill
    seen again, or of another run's order, or without a user_def, is passed over), and
    says how many were new."""
    path = tmp_path / "fills.sqlite"
    ours, other = client_order_id(RUN_ID, 1), client_order_id("Z9Z9Z9", 1)

    def fill(filled_no: str, user_def: str | None) -> Fill:
        return Fill(
            order_no="A0001", symbol="2330", side=Side.SELL, quantity=1000,
            price_twd=Decimal("580.50"), filled_no=filled_no, time_ns=7, user_def=user_def,
        )  # fmt: skip

    new: list[int] = []

    async def write(journal: JournalStore) -> None:
        await journal.start_run(_run_record(), _intents())
        day = [fill("F1", ours), fill("F2", other), fill("F3", None), fill("F4", ours)]
        new.append(await journal.record_fills(RUN_ID, day))
        new.append(await journal.record_fills(RUN_ID, [fill("F1", ours), fill("F5", ours)]))

    write_journal(path, write)
    assert new == [2, 1]
    kept = read_journal(path).fills
    assert sorted(f.filled_no for f in kept) == ["F1", "F4", "F5"]
    assert {f.user_def for f in kept} == {ours}
    assert kept[0] == fill(kept[0].filled_no, ours)
