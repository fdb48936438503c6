"""The command line: clear errors for bad options, and the demo's summary contract."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradeburst.cli import app
from tradeburst.cli._logging import _OneLine

runner = CliRunner()


def test_exchange_refuses_a_clock_that_is_not_a_time() -> None:
    """A bad --clock exits 2 and names the option, with no traceback."""
    result = runner.invoke(app, ["exchange", "--clock", "25:99"])
    assert result.exit_code == 2
    assert "--clock" in result.output
    assert "Traceback" not in result.output


def test_exchange_refuses_a_fault_rate_above_one() -> None:
    """A fault rate outside 0..1 exits 2 and names the option."""
    result = runner.invoke(app, ["exchange", "--error-rate", "1.5"])
    assert result.exit_code == 2
    assert "--error-rate" in result.output


def test_exchange_refuses_an_unknown_profile() -> None:
    """An unknown broker profile exits 2 and lists the known ones."""
    result = runner.invoke(app, ["exchange", "--profile", "nasdaq"])
    assert result.exit_code == 2
    assert "fubon" in result.output


def test_demo_rushes_at_the_open_and_writes_its_report(tmp_path: Path) -> None:
    """The demo rushes its batch at 09:00:00 exchange time within the Fubon limits, writes
    the contract's keys, the journal and the three plots; no order reached the exchange
    before 09:00:00 by the exchange's own stamps."""
    out = tmp_path / "demo.json"
    folder = tmp_path / "demo"
    result = runner.invoke(
        app, ["demo", "--orders", "90", "--json", str(out), "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["command"] == "demo"
    assert summary["orders"]["total"] == 90
    assert summary["orders"]["accepted"] == 90
    assert summary["rate_limit_rejections"] == 0
    timing = summary["timing"]
    assert set(timing) >= {"elapsed_s", "lower_bound_s", "efficiency", "fire_error_us"}
    for key in ("fire_error_us", "exchange_fire_error_us"):
        assert set(timing[key]) == {"min", "p50", "p99", "max", "early"}
        assert timing[key]["early"] == 0
        assert 0 <= timing[key]["min"] <= timing[key]["p50"] <= timing[key]["p99"]
        assert timing[key]["p99"] <= timing[key]["max"]
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "max"}
    assert sum(summary["classification"].values()) == 90
    for name in ("latency_cdf.png", "send_timeline.png", "time_comparison.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "journal.sqlite").is_file()
    assert "09:00:00" in result.output
    assert "continuous trading" in result.output
    assert "racing before 09:00 buys no queue place" in result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--port", "99999"], "--port"),
        (["--speed", "nan"], "--speed"),
        (["--speed", "0"], "--speed"),
        (["--latency-ms", "inf"], "--latency-ms"),
        (["--stall-ms", "nan"], "--stall-ms"),
        (["--api-key", "same", "--api-key", "same"], "--api-key"),
        (["--api-key", ""], "--api-key"),
        (["--tick-above-1000", "0.001"], "--tick-above-1000"),
        (["--error-rate", "0.6", "--reset-rate", "0.6"], "--reset-rate"),
        (["--speed", "1e12"], "--speed"),
        (["--tick-above-1000", "7"], "--tick-above-1000"),
        (["--clock", "08:59:50+05:00"], "--clock"),
    ],
)
def test_exchange_refuses_impossible_options(args: list[str], option: str) -> None:
    """Impossible option values exit 2 naming the option, before anything is served."""
    result = runner.invoke(app, ["exchange", *args])
    assert result.exit_code == 2
    assert option in result.output
    assert "Traceback" not in result.output


def test_exchange_refuses_a_database_it_cannot_open(tmp_path: Path) -> None:
    """A --db in a folder that does not exist exits 2 with the reason."""
    result = runner.invoke(app, ["exchange", "--port", "0", "--db", str(tmp_path / "no" / "x.db")])
    assert result.exit_code == 2
    assert "cannot use db" in result.output


def test_demo_refuses_a_json_path_it_cannot_write_before_running(tmp_path: Path) -> None:
    """--json into a directory exits 2 at once instead of after the run."""
    result = runner.invoke(app, ["demo", "--json", str(tmp_path)])
    assert result.exit_code == 2
    assert "--json" in result.output
    assert "Starting" not in result.output


def test_demo_refuses_an_out_folder_that_is_a_file_before_running(tmp_path: Path) -> None:
    """--out naming a file exits 2 at once (it used to be a traceback with the exchange up)."""
    taken = tmp_path / "taken"
    taken.write_text("")
    result = runner.invoke(app, ["demo", "--out", str(taken), "--orders", "1"])
    assert result.exit_code == 2
    assert "is a file, not a folder" in " ".join(result.output.replace("│", " ").split())
    assert "Starting" not in result.output


def test_the_exchange_benchmark_writes_its_figures(tmp_path: Path) -> None:
    """`bench exchange --json` writes positive figures under the issue's keys."""
    out = tmp_path / "exchange.json"
    result = runner.invoke(
        app, ["bench", "exchange", "--orders", "300", "--concurrency", "4", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    for key in ("match_per_s", "http_orders_per_s", "http_bare_per_s"):
        assert figures[key] > 0
    batch = figures["batch30_ms"]
    assert 0 < batch["p50"] <= batch["p99"]


def test_the_hotpath_benchmark_writes_every_path_and_the_bare_core_probe(
    tmp_path: Path,
) -> None:
    """`bench hotpath --json` measures each path with the ticks asked for, sends every
    wire order, and keeps what the host took from the consumer's core (small sizes: this
    checks the figures are there and counted, not how fast they are)."""
    out = tmp_path / "hotpath.json"
    sigterm = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(
        app,
        [
            "bench", "hotpath", "--samples", "200", "--wire-samples", "20",
            "--polling-s", "0.5", "--no-realtime", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert signal.getsignal(signal.SIGTERM) == sigterm, "its SIGTERM handler is put back"
    figures = json.loads(out.read_text())
    paths = ("ring", "asyncio_queue", "thread_queue", "websocket", "polling")
    for path in paths:
        row = figures["tick_to_decision_us"][path]
        assert 0 < row["p50"] <= row["p99"] <= row["p999"]
    assert 0 < figures["tick_to_wire_us"]["p50"] <= figures["tick_to_wire_us"]["p999"]
    conditions = figures["conditions"]
    assert figures["tick_to_decision_us"]["ring_unwarmed"]["p50"] > 0
    assert conditions["samples"] == {
        **dict.fromkeys(paths[:4], 200), "ring_unwarmed": 200, "polling": 500, "wire": 20
    }  # fmt: skip
    assert "wire: 20 orders sent, 0 refused" in conditions["notes"]
    printed = " ".join(result.output.split())  # the console wraps long lines at its width
    probe = conditions["bare_core_probe"]
    assert probe["probed_s"] > 0 and 0 <= probe["lost_pct"] < 100
    assert set(conditions["consumer_core"]) == {*paths, "wire"}
    assert all(core["seconds"] > 0 for core in conditions["consumer_core"].values())
    assert "the bare consumer core" in printed
    if not any(note.startswith("memory not locked") for note in conditions["notes"]):
        assert conditions["ring_page_faults"] == 0, "locked memory takes no fault in the loop"
    assert "page faults in the ring consumer's measured rounds" in printed
    goal = figures["goal"]
    ring, queue = (
        figures["tick_to_decision_us"]["ring"],
        figures["tick_to_decision_us"]["thread_queue"],
    )
    assert goal["ring_p99_over_thread_queue_p99"] == ring["p99"] / queue["p99"]
    assert goal["met"] == (goal["ring_p99_over_thread_queue_p99"] <= 1 / 20 and ring["p50"] <= 1)
    assert "of the thread queue's" in printed and "the goal (p99 ≤ 1/20" in printed


def test_log_records_are_one_line_without_a_traceback() -> None:
    """A logged exception shows its type and message on the record's line, no traceback."""
    try:
        raise ConnectionResetError("Connection lost")
    except ConnectionResetError:
        record = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (), None
        )
        record.exc_info = sys.exc_info()
    line = _OneLine().format(record)
    assert line == (
        "error: aiohttp.server: Error handling request (ConnectionResetError: Connection lost)"
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["bench", "hotpath", "--polling-s", "inf"], "--polling-s"),
        (["bench", "hotpath", "--interval-us", "1" + "0" * 400], "--interval-us"),
        (["bench", "seed-table", "--png", "{tmp}/new/chart.xyz"], "--png"),
    ],
)
def test_a_benchmark_option_it_cannot_use_is_refused_before_measuring(
    args: list[str], option: str, tmp_path: Path
) -> None:
    """Exit 2 at once, naming the option: nothing measured, no folder made, and the
    process's SIGTERM handling as it was (not a traceback after minutes of measuring)."""
    before = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(app, [arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "measuring" not in result.output
    assert not (tmp_path / "new").exists()
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_problem_is_printed_as_written_not_as_markup(tmp_path: Path) -> None:
    """`class = "nomod:X"` is named as such: `:X:` is not turned into an emoji, nor a
    bracket into markup."""
    toml = tmp_path / "nomod.toml"
    toml.write_text('[[strategy]]\nname = "p"\nkind = "python"\nclass = "nomod:X"\n')
    result = runner.invoke(app, ["run", str(toml), "--exchange"])
    assert result.exit_code == 2, result.output
    assert "class nomod:X: cannot import nomod" in result.output
