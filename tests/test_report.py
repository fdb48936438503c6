"""`tradeburst report` from a journal whose stamps the test chose: every figure is known in
advance (the split of each trip, the HDR percentiles per broker and strategy, the guide's
classification, the fire error of the rush), and the command's JSON holds the same."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from _journal_support import read_journal, write_journal
from tradeburst.clock import TAIPEI
from tradeburst.engine import DispatchRecord, Intent, IntentState, JournalStore, RunRecord
from tradeburst.engine._ids import client_order_id
from tradeburst.model import Order, Side
from tradeburst.report import RunFigures, figures_of, report_json
from tradeburst.summary import Classification, FireError, LatencyThresholds

from _engine_support import CLI_TIMEOUT_S, cli_args, cli_env
from _rush_support import assert_three_pngs

US = 1_000
MS = 1_000_000
RUN_ID = "RPT001"
T0 = int(datetime(2026, 11, 25, 9, 0, 0, tzinfo=TAIPEI).timestamp()) * 10**9
"""Local wall ns of the rush's target: every intent was due then."""
OFFSET_NS = 3_700 * MS
"""The exchange's clock, 3.7 s ahead of ours: its 09:00:03.700 is our T0."""
RTT_NS = 400 * US


@dataclass(frozen=True)
class Stamps:
    """One intent's story, in µs after T0."""

    strategy: str
    state: IntentState
    sent_us: int | None = None
    throttle_us: int = 0
    round_trip_us: int | None = None
    last_time: str | None = None


def rush_run(options: dict[str, object]) -> RunRecord:
    """The run record of a rush made by hand, ten seconds before T0."""
    return RunRecord(
        run_id=RUN_ID,
        created_ns=T0 - 10 * 10**9,
        command="rush",
        account="A1",
        broker="sim",
        url="http://127.0.0.1:1",
        profile="fubon",
        source="orders.csv",
        options=options,
    )


STORIES = [
    # Answered at 09:00:03.700300 exchange time; the broker said .700: 0.3 ms.
    Stamps("alpha", IntentState.ACCEPTED, 0, 0, 300, "09:00:03.700"),
    # Sent with the one above (one batch); the broker's stamp a second earlier: 1000.5 ms.
    Stamps("alpha", IntentState.ACCEPTED, 0, 0, 500, "09:00:02.700"),
    Stamps("alpha", IntentState.ACCEPTED, 200, 100, 700, "08:59:58.700"),  # 5000.9 ms
    Stamps("alpha", IntentState.ACCEPTED, 400, 100, 900, None),  # the round trip: 0.9 ms
    Stamps("alpha", IntentState.ACCEPTED, 600, 600, 1100, "09:00:03.701"),  # 0.7 ms
    Stamps("beta", IntentState.ACCEPTED, 800, 0, 1300, "09:00:03.702"),  # 0.1 ms
    Stamps("beta", IntentState.ACCEPTED, 1000, 300, 1500, "09:00:04.700"),  # |−997.5| ms
    Stamps("beta", IntentState.REJECTED, 1200, 2000, 1900, "09:00:00.700"),  # 3003.1 ms
    Stamps("beta", IntentState.UNKNOWN, 1400),  # sent, never answered: no figures
    Stamps("", IntentState.PENDING),  # never sent
]
DIFFERENCES_MS = [0.3, 1000.5, 5000.9, 0.9, 0.7, 0.1, 997.5, 3003.1]
LOCAL_TIMES = [
    "09:00:03.700", "09:00:03.700", "09:00:03.700", "09:00:03.701",
    "09:00:03.701", "09:00:03.702", "09:00:03.702", "09:00:03.703",
]  # fmt: skip
# Per answered intent (the first eight), in µs: the queue gets the wait less the throttle's
# part, the wire the round trip up to the fastest one (400 µs), the broker the rest.
QUEUE_US = [0, 0, 100, 300, 0, 800, 700, 0]
THROTTLE_US = [0, 0, 100, 100, 600, 0, 300, 1200]
WIRE_US = [300, 400, 400, 400, 400, 400, 400, 400]
BROKER_US = [0, 100, 300, 500, 700, 900, 1100, 1500]


def build_journal(path: Path) -> Path:
    """A rush's journal as the engine would leave it, with the stamps of `STORIES`, a rush
    dispatch at T0 and a later resume whose clock estimate must not be used."""
    intents = [
        Intent(
            seq=seq,
            line=seq + 2,
            tag=f"t{seq}",
            strategy=story.strategy,
            order=Order(
                symbol="2891",
                side=Side.BUY,
                quantity=1000,
                price_twd=Decimal("40.60"),
                user_def=client_order_id(RUN_ID, seq),
            ),
        )
        for seq, story in enumerate(STORIES)
    ]
    run = rush_run({"max_batch": 30, "concurrency": 10, "profile": None})

    async def write(journal: JournalStore) -> None:
        await journal.start_run(run, intents)
        for intent, story in zip(intents, STORIES, strict=True):
            intent.state = story.state
            if story.sent_us is None:
                continue
            intent.queued_ns = T0
            intent.throttle_wait_ns = story.throttle_us * US
            intent.sent_ns = T0 + story.sent_us * US
            intent.attempts = 1
            if story.round_trip_us is not None:
                intent.answered_ns = intent.sent_ns + story.round_trip_us * US
                intent.last_time = story.last_time
                intent.order_no = f"N{intent.seq:04d}"
            journal.record(intent)
        await journal.flush()
        await journal.record_dispatch(
            DispatchRecord(
                run_id=RUN_ID,
                command="rush",
                started_ns=T0,
                target_ns=T0,
                offset_ns=OFFSET_NS,
                rtt_ns=RTT_NS,
                offset_error_ns=250 * US,
                opening_sends_ns=[T0 + 50 * US, T0 + 120 * US, T0 + 400 * US],
                opening_received_ns=[T0 + OFFSET_NS + 300 * US, T0 + OFFSET_NS + 500 * US],
            )
        )
        await journal.record_dispatch(
            DispatchRecord(
                run_id=RUN_ID,
                command="resume",
                started_ns=T0 + 60 * 10**9,
                target_ns=None,
                offset_ns=9 * 10**9,
                rtt_ns=7 * MS,
                offset_error_ns=5 * MS,
                opening_sends_ns=[],
            )
        )
        await journal.finish_run(RUN_ID, T0 + 61 * 10**9)

    write_journal(path, write)
    return path


def figures_from(path: Path, thresholds: LatencyThresholds | None = None) -> RunFigures:
    return figures_of(read_journal(path), thresholds)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return build_journal(tmp_path / "run.sqlite")


def report(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`tradeburst report ARGS` as its own process."""
    return subprocess.run(
        cli_args("report", *args),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


# -- the figures ------------------------------------------------------------------------


def test_every_answered_order_has_its_known_split_and_comparison(journal_path: Path) -> None:
    figures = figures_from(journal_path)
    assert [o.user_def for o in figures.orders] == [client_order_id(RUN_ID, s) for s in range(8)]
    assert [o.trip.queue_ns for o in figures.orders] == [us * US for us in QUEUE_US]
    assert [o.trip.throttle_ns for o in figures.orders] == [us * US for us in THROTTLE_US]
    assert [o.trip.wire_ns for o in figures.orders] == [us * US for us in WIRE_US]
    assert [o.trip.broker_ns for o in figures.orders] == [us * US for us in BROKER_US]
    assert [o.difference_ms for o in figures.orders] == DIFFERENCES_MS
    assert [o.local_time for o in figures.orders] == LOCAL_TIMES
    assert [o.broker_time for o in figures.orders] == [s.last_time for s in STORIES[:8]]
    assert [o.classification for o in figures.orders] == [
        "realtime", "delayed", "severe", "realtime",
        "realtime", "realtime", "realtime", "delayed",
    ]  # fmt: skip
    assert [o.state for o in figures.orders] == [IntentState.ACCEPTED] * 7 + [IntentState.REJECTED]


def test_the_counts_clock_and_classification_are_known(journal_path: Path) -> None:
    figures = figures_from(journal_path)
    assert figures.counts == {"accepted": 7, "rejected": 1, "unknown": 1, "pending": 1}
    assert (figures.clock.offset_ns, figures.clock.rtt_ns, figures.clock.error_ns) == (
        OFFSET_NS,
        RTT_NS,
        250 * US,
    )  # the rush's estimate, not the later resume's
    assert figures.classification == Classification(realtime=5, delayed=2, severe=1)
    custom = figures_from(journal_path, LatencyThresholds(realtime_ms=0.5, delayed_ms=1000.6))
    assert custom.classification == Classification(realtime=2, delayed=4, severe=2)


def test_the_fire_error_is_the_opening_against_the_target(journal_path: Path) -> None:
    """Opening sends 50, 120 and 400 µs after the target; exchange receipts 300 and 500 µs
    after the target on its own clock (our target plus the offset)."""
    figures = figures_from(journal_path)
    assert figures.fire_error_us == FireError(p50=120.0, p99=400.0, max=400.0, min=50.0)
    assert figures.exchange_fire_error_us == FireError(p50=300.0, p99=500.0, max=500.0, min=300.0)


def test_the_send_timeline_has_one_point_per_request(journal_path: Path) -> None:
    """Orders 0 and 1 went in one batch; the unknown one was sent too."""
    figures = figures_from(journal_path)
    assert figures.sends_ns == [(T0, 2)] + [(T0 + us * US, 1) for us in range(200, 1401, 200)]


# HDR keeps three significant digits: below 2048 µs a value reads back exactly; above,
# as the top of its bucket (2500 µs reads 2.501 ms), within 0.1 %.
ALL = {
    "queue": {"p50": 0.0, "p90": 0.7, "p99": 0.8, "max": 0.8, "count": 8.0},
    "throttle": {"p50": 0.1, "p90": 0.6, "p99": 1.2, "max": 1.2, "count": 8.0},
    "wire": {"p50": 0.4, "p90": 0.4, "p99": 0.4, "max": 0.4, "count": 8.0},
    "broker": {"p50": 0.5, "p90": 1.1, "p99": 1.5, "max": 1.5, "count": 8.0},
    "round_trip": {"p50": 0.9, "p90": 1.5, "p99": 1.9, "max": 1.9, "count": 8.0},
    "total": {"p50": 1.3, "p90": 2.5, "p99": 3.1, "max": 3.1, "count": 8.0},
}
ALPHA = {
    "round_trip": {"p50": 0.7, "p90": 1.1, "p99": 1.1, "max": 1.1, "count": 5.0},
    "broker": {"p50": 0.3, "p90": 0.7, "p99": 0.7, "max": 0.7, "count": 5.0},
    "throttle": {"p50": 0.1, "p90": 0.6, "p99": 0.6, "max": 0.6, "count": 5.0},
}
BETA = {
    "round_trip": {"p50": 1.5, "p90": 1.9, "p99": 1.9, "max": 1.9, "count": 3.0},
    "queue": {"p50": 0.7, "p90": 0.8, "p99": 0.8, "max": 0.8, "count": 3.0},
    "total": {"p50": 2.5, "p90": 3.1, "p99": 3.1, "max": 3.1, "count": 3.0},
}


@pytest.mark.parametrize(("strategy", "expected"), [("all", ALL), ("alpha", ALPHA), ("beta", BETA)])
def test_the_percentiles_per_broker_and_strategy_are_known(
    journal_path: Path, strategy: str, expected: dict[str, dict[str, float]]
) -> None:
    figures = figures_from(journal_path)
    assert set(figures.histograms) == {("sim", "all"), ("sim", "alpha"), ("sim", "beta")}
    for part, figures_ms in expected.items():
        got = figures.percentiles_ms("sim", strategy, part)
        assert got == pytest.approx(figures_ms, rel=1e-3), (strategy, part)
        exact = {k: v for k, v in figures_ms.items() if v < 2.048}
        assert {k: got[k] for k in exact} == exact, (strategy, part)  # exact below 2048 µs


# -- the command ------------------------------------------------------------------------


def test_the_report_command_writes_the_same_figures_as_json(
    journal_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "figures" / "report.json"
    done = report("--journal", str(journal_path), "--json", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(report_json(figures_from(journal_path))))
    assert written["orders"] == {"accepted": 7, "rejected": 1, "unknown": 1, "pending": 1}
    assert written["clock"] == {"offset_ms": 3700.0, "error_ms": 0.25, "rtt_ms": 0.4}
    assert written["classification"] == {"realtime": 5, "delayed": 2, "severe": 1}
    assert written["fire_error_us"] == {
        "p50": 120.0, "p99": 400.0, "max": 400.0, "min": 50.0, "early": 0
    }  # fmt: skip
    assert written["exchange_fire_error_us"] == {
        "p50": 300.0, "p99": 500.0, "max": 500.0, "min": 300.0, "early": 0
    }  # fmt: skip
    assert written["latency_ms"]["sim"]["alpha"]["round_trip"] == ALPHA["round_trip"]
    assert written["latency_ms"]["sim"]["all"]["broker"] == ALL["broker"]
    rows = written["comparison"]
    assert [r["difference_ms"] for r in rows] == DIFFERENCES_MS
    assert [r["local_time"] for r in rows] == LOCAL_TIMES
    assert [r["broker_ms"] for r in rows] == [us / 1000 for us in BROKER_US]
    assert rows[3]["broker_time"] is None
    assert "realtime 5" in done.stdout and "severe 1" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_the_report_command_takes_its_thresholds(journal_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = report(
        "--journal", str(journal_path), "--json", str(out),
        "--realtime-ms", "0.5", "--delayed-ms", "1000.6",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    written: dict[str, Any] = json.loads(out.read_text())
    assert written["classification"] == {"realtime": 2, "delayed": 4, "severe": 2}
    assert [r["classification"] for r in written["comparison"]] == [
        "realtime", "delayed", "severe", "delayed",
        "delayed", "realtime", "delayed", "severe",
    ]  # fmt: skip


def test_the_report_command_draws_three_pngs(journal_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    done = report("--journal", str(journal_path), "--png", str(folder), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_three_pngs(folder)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--journal", "missing.sqlite"), "no such journal"),
        (("--journal", "not-a-journal.txt"), "not a tradeburst journal"),
        (("--journal", "run.sqlite", "--delayed-ms", "0.5"), "--delayed-ms"),
    ],
)
def test_the_report_command_refuses_bad_input_with_exit_2(
    journal_path: Path, tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    (tmp_path / "not-a-journal.txt").write_text("symbol,side\n" * 100)
    done = report(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert fragment in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_report_of_an_empty_file_says_it_is_no_journal_and_writes_nothing(
    tmp_path: Path,
) -> None:
    """An empty file is not a journal: exit 2, and the file stays empty with no WAL beside
    it (the schema, 32 KB, used to be written into it)."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    done = report("--journal", str(empty), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not a tradeburst journal (an empty file)" in " ".join(done.stderr.split())
    assert empty.stat().st_size == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.sqlite"]


def test_report_of_another_programs_database_leaves_it_as_it_was(tmp_path: Path) -> None:
    """An SQLite database of some other program: exit 2, not switched to WAL, no journal
    table added to it."""
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()
    done = report("--journal", str(other), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "has no runs table" in " ".join(done.stderr.split())
    db = sqlite3.connect(other)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert (tables, mode) == (["notes"], "delete")


def test_the_report_of_a_strategies_run_names_it_once(journal_path: Path, tmp_path: Path) -> None:
    """A `run` of strategies is titled "run ID", not "run run ID"."""
    db = sqlite3.connect(journal_path)
    with db:
        db.execute("UPDATE runs SET command = 'run'")
    db.close()
    done = report("--journal", str(journal_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"run {RUN_ID}: sim account"), done.stdout
    assert "run run" not in done.stdout


@pytest.mark.parametrize(
    ("damage", "table"),
    [
        ("UPDATE runs SET options = '{'", "runs"),
        ("UPDATE runs SET options = '[1]'", "runs"),
        ("UPDATE intents SET order_json = '{\"symbol\": 1}' WHERE seq = 3", "intents"),
        ("UPDATE intents SET state = 'lost' WHERE seq = 0", "intents"),
        ("UPDATE dispatches SET sends = 'x'", "dispatches"),
        ("UPDATE intents SET sent_ns = 'x' WHERE seq = 1", "intents"),
        ("UPDATE dispatches SET offset_ns = 'x'", "dispatches"),
        ("""UPDATE runs SET options = '{"max_batch": "x"}'""", "runs"),
        ("INSERT INTO fills VALUES ('f1', 'u', '1', '2891', 'Buy', 1000, 'abc', 1)", "fills"),
        ("INSERT INTO fills VALUES ('f2', 'u', '1', '2891', 'Buy', 1000, '40.6', 'x')", "fills"),
    ],
)
def test_a_damaged_journal_row_is_named_with_exit_2(
    journal_path: Path, tmp_path: Path, damage: str, table: str
) -> None:
    """A row edited by hand into something unreadable: `report` exits 2 saying the journal
    is damaged and where, without a traceback."""
    db = sqlite3.connect(journal_path)
    with db:
        db.execute(damage)
    db.close()
    done = report("--journal", str(journal_path), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert f"damaged journal, in its {table}" in said, said
    assert "Traceback" not in done.stdout + done.stderr


def test_a_rush_stopped_before_its_target_reports_no_fire_error(tmp_path: Path) -> None:
    path = tmp_path / "stopped.sqlite"
    order = Order(
        symbol="2891",
        side=Side.BUY,
        quantity=1000,
        price_twd=Decimal("40.60"),
        user_def=client_order_id(RUN_ID, 0),
    )
    intent = Intent(seq=0, line=2, tag="t0", order=order)

    async def write(journal: JournalStore) -> None:
        await journal.start_run(rush_run({}), [intent])
        common = {"run_id": RUN_ID, "offset_ns": OFFSET_NS, "rtt_ns": RTT_NS}
        stopped = DispatchRecord(
            command="rush", started_ns=T0 - 5 * 10**9, target_ns=T0, offset_error_ns=0,
            opening_sends_ns=[], **common,
        )  # fmt: skip
        await journal.record_dispatch(stopped)
        intent.state, intent.queued_ns, intent.attempts = IntentState.ACCEPTED, T0 + MS, 1
        intent.sent_ns, intent.answered_ns = T0 + 2 * MS, T0 + 3 * MS
        journal.record(intent)
        await journal.flush()
        resumed = DispatchRecord(
            command="resume", started_ns=T0 + MS, target_ns=None, offset_error_ns=0,
            opening_sends_ns=[], **common,
        )  # fmt: skip
        await journal.record_dispatch(resumed)

    write_journal(path, write)
    figures = figures_from(path)
    assert figures.counts == {"accepted": 1}
    assert figures.fire_error_us is None
    assert figures.exchange_fire_error_us is None
