"""The journal's rows, shared by every store: the columns in the order each store selects
and inserts them, and the conversions between rows and values. A row that does not read
back (edited by hand, a failing disk) is named as damage to the journal, never shown as a
traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine.journal._records import DispatchRecord, JournalError, RunRecord
from tradeburst.model import Fill, Order, Side

__all__ = [
    "DISPATCH_COLUMNS",
    "FILL_COLUMNS",
    "INTENT_COLUMNS",
    "RUN_COLUMNS",
    "UPDATED_COLUMNS",
    "damage_named",
    "dispatch_of",
    "dispatch_row",
    "fill_of",
    "fill_row",
    "intent_of",
    "new_intent_row",
    "run_record_of",
    "run_row",
    "update_row",
]

RUN_COLUMNS = (
    "run_id", "created_ns", "command", "account", "broker", "url", "profile", "source",
    "options", "finished_ns",
)  # fmt: skip
INTENT_COLUMNS = (
    "seq", "line", "tag", "order_json", "state", "order_no", "status", "message", "attempts",
    "resent", "sent_ns", "answered_ns", "last_time", "strategy", "queued_ns",
    "throttle_wait_ns", "by_query",
)  # fmt: skip
UPDATED_COLUMNS = (
    "state", "order_no", "status", "message", "attempts", "resent", "sent_ns", "answered_ns",
    "last_time", "queued_ns", "throttle_wait_ns", "by_query",
)  # fmt: skip
"""What a group commit writes of an intent, followed by its `user_def`."""
FILL_COLUMNS = (
    "filled_no", "user_def", "order_no", "symbol", "side", "quantity", "price_twd", "time_ns",
)  # fmt: skip
DISPATCH_COLUMNS = (
    "run_id", "command", "started_ns", "target_ns", "offset_ns", "rtt_ns", "offset_error_ns",
    "opening_sends", "opening_received", "sends",
)  # fmt: skip

_RUN_NUMBERS, _RUN_OPTIONAL = frozenset({1}), frozenset({9})
_INTENT_NUMBERS, _INTENT_OPTIONAL = frozenset({0, 1, 8, 9, 10, 11, 14, 15, 16}), frozenset({6})
_FILL_NUMBERS = frozenset({5, 7})
_DISPATCH_NUMBERS, _DISPATCH_OPTIONAL = frozenset({2, 4, 5, 6}), frozenset({3})

_encode_order = msgspec.json.Encoder(decimal_format="string").encode
_decode_order = msgspec.json.Decoder(Order).decode


class _StoredOptions(msgspec.Struct):
    """The types of what a run keeps of its options (`fire`'s and `run`'s), checked when
    read back; the dict itself is what the run gets."""

    profile: str | None = None
    max_batch: int | None = None
    concurrency: int | None = None
    headroom_s: float | None = None
    pacing: tuple[int, float] | None = None
    max_request_age_s: float | None = None
    strategies: list[str] | None = None


@contextlib.contextmanager
def damage_named(where: str, table: str) -> Iterator[None]:
    """Turn a row that does not read back into a `JournalError` naming `where` and `table`."""
    try:
        yield
    except JournalError:
        raise
    except (ValueError, TypeError, ArithmeticError, KeyError, msgspec.MsgspecError) as exc:
        raise JournalError(f"{where}: damaged journal, in its {table} ({exc})") from None


def _numbers_in(
    where: str, table: str, row: Sequence[Any], columns: Sequence[str],
    numbers: Iterable[int], optional: Iterable[int] = (),
) -> None:  # fmt: skip
    """Whole numbers where the schema has them: SQLite keeps whatever it is given."""
    optional = frozenset(optional)
    for index in (*numbers, *optional):
        value = row[index]
        if value is None and index in optional:
            continue
        if not isinstance(value, int):
            raise JournalError(
                f"{where}: damaged journal, in its {table} "
                f"({columns[index]} is {value!r}, not a whole number)"
            )


def run_row(run: RunRecord) -> tuple[Any, ...]:
    return (
        run.run_id, run.created_ns, run.command, run.account, run.broker, run.url, run.profile,
        run.source, msgspec.json.encode(run.options).decode(), run.finished_ns,
    )  # fmt: skip


def run_record_of(where: str, row: Sequence[Any]) -> RunRecord:
    with damage_named(where, "runs"):
        _numbers_in(where, "runs", row, RUN_COLUMNS, _RUN_NUMBERS, _RUN_OPTIONAL)
        options = msgspec.json.decode(row[8])
        msgspec.convert(options, _StoredOptions)
        if not isinstance(options, dict):
            raise TypeError("options are not a table")
        return RunRecord(
            run_id=row[0], created_ns=row[1], command=row[2], account=row[3], broker=row[4],
            url=row[5], profile=row[6], source=row[7], options=options, finished_ns=row[9],
        )  # fmt: skip


def new_intent_row(run_id: str, intent: Intent) -> tuple[Any, ...]:
    """(user_def, run_id, seq, line, tag, order_json, state, strategy) of a new intent."""
    return (
        intent.user_def, run_id, intent.seq, intent.line, intent.tag,
        _encode_order(intent.order), intent.state.value, intent.strategy,
    )  # fmt: skip


def update_row(intent: Intent) -> tuple[Any, ...]:
    """`UPDATED_COLUMNS` of `intent`, then its `user_def`."""
    return (
        intent.state.value, intent.order_no, intent.status, intent.message, intent.attempts,
        intent.resent, intent.sent_ns, intent.answered_ns, intent.last_time, intent.queued_ns,
        intent.throttle_wait_ns, int(intent.by_query), intent.user_def,
    )  # fmt: skip


def intent_of(where: str, r: Sequence[Any]) -> Intent:
    with damage_named(where, "intents"):
        _numbers_in(where, "intents", r, INTENT_COLUMNS, _INTENT_NUMBERS, _INTENT_OPTIONAL)
        return Intent(
            seq=r[0], line=r[1], tag=r[2], order=_decode_order(r[3]), state=IntentState(r[4]),
            order_no=r[5], status=r[6], message=r[7], attempts=r[8], resent=r[9],
            sent_ns=r[10], answered_ns=r[11], last_time=r[12], strategy=r[13],
            queued_ns=r[14], throttle_wait_ns=r[15], by_query=bool(r[16]),
        )  # fmt: skip


def fill_row(fill: Fill) -> tuple[Any, ...]:
    return (
        fill.filled_no, fill.user_def, fill.order_no, fill.symbol, fill.side.value,
        fill.quantity, str(fill.price_twd), fill.time_ns,
    )  # fmt: skip


def fill_of(where: str, r: Sequence[Any]) -> Fill:
    with damage_named(where, "fills"):
        _numbers_in(where, "fills", r, FILL_COLUMNS, _FILL_NUMBERS)
        return Fill(
            filled_no=r[0], user_def=r[1], order_no=r[2], symbol=r[3], side=Side(r[4]),
            quantity=r[5], price_twd=Decimal(r[6]), time_ns=r[7],
        )  # fmt: skip


def dispatch_row(dispatch: DispatchRecord) -> tuple[Any, ...]:
    return (
        dispatch.run_id, dispatch.command, dispatch.started_ns, dispatch.target_ns,
        dispatch.offset_ns, dispatch.rtt_ns, dispatch.offset_error_ns,
        msgspec.json.encode(dispatch.opening_sends_ns).decode(),
        msgspec.json.encode(dispatch.opening_received_ns).decode(),
        msgspec.json.encode(dispatch.sends).decode(),
    )  # fmt: skip


def dispatch_of(where: str, r: Sequence[Any]) -> DispatchRecord:
    with damage_named(where, "dispatches"):
        _numbers_in(where, "dispatches", r, DISPATCH_COLUMNS, _DISPATCH_NUMBERS, _DISPATCH_OPTIONAL)
        return DispatchRecord(
            run_id=r[0], command=r[1], started_ns=r[2], target_ns=r[3], offset_ns=r[4],
            rtt_ns=r[5], offset_error_ns=r[6],
            opening_sends_ns=msgspec.json.decode(r[7], type=list[int]),
            opening_received_ns=msgspec.json.decode(r[8], type=list[int]),
            sends=msgspec.json.decode(r[9], type=list[tuple[int, int]]),
        )  # fmt: skip
