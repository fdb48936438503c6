"""`tradeburst resume --journal PATH|URL [--run RUNID]`: finish a run after a crash or an
abort, from this process or another host (a shared PostgreSQL journal names the run by
`--run`). The broker is asked what it has of the run, and what it does not have is sent;
nothing is placed twice. The run goes back to the broker (and URL) its journal names
unless `--broker`/`--url` say otherwise; the output and exit codes are `fire`'s."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Annotated

import typer

from tradeburst._platform import run_loop
from tradeburst.cli._brokers import (
    BrokerChoice,
    BrokerName,
    FubonConfigOption,
    FubonKeepSdkLogOption,
    FubonTestOption,
    FubonTimeoutOption,
    FubonUnblockOption,
    FubonUrlOption,
    build_broker,
)
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._options import (
    DEFAULT_GRACE_MS,
    ApiKey,
    ApiKeyFile,
    CancelOnAbort,
    Concurrency,
    GraceMs,
    JsonPath,
    MaxRequestAge,
    Profile,
    ReleaseOption,
    SharedThrottle,
    checked_url,
    grace_s,
    journal_value,
    profile_name,
    request_age_s,
    shared_throttle,
)
from tradeburst.cli._send import Watch, console, send_and_finish
from tradeburst.cli._values import writable
from tradeburst.engine import (
    FireOptions,
    FireResult,
    IntentState,
    JournalError,
    JournalLocation,
    read_run,
    resume,
)

__all__ = ["resume_command"]

ResumeJournal = Annotated[
    JournalLocation,
    typer.Option(
        "--journal",
        parser=journal_value,
        metavar="<path|url>",
        show_default=False,
        help="The journal of the run to finish: its file, or the postgresql:// URL.",
    ),
]
RunId = Annotated[
    str | None,
    typer.Option("--run", help="The run to finish (needed with a postgresql:// journal)."),
]
ResumeUrl = Annotated[
    str | None,
    typer.Option(envvar="TRADEBURST_URL", help="The broker (default: the journal's)."),
]
ResumeBroker = Annotated[
    BrokerName | None,
    typer.Option("--broker", help="The broker (default: the one the run used)."),
]


def resume_command(
    journal: ResumeJournal,
    run_id: RunId = None,
    url: ResumeUrl = None,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    profile: Profile = None,
    throttle: SharedThrottle = None,
    json_path: JsonPath = None,
    concurrency: Concurrency = None,
    grace_ms: GraceMs = DEFAULT_GRACE_MS,
    release: ReleaseOption = None,
    max_request_age: MaxRequestAge = None,
    cancel_on_abort: CancelOnAbort = False,
    broker: ResumeBroker = None,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
) -> None:
    """Finish a run after a crash or an abort: ask the broker what it has, send what it does not.

    Nothing is placed twice.
    """
    json_path = writable(json_path, "--json")
    options = FireOptions(
        profile=profile_name(profile),
        throttle=shared_throttle(throttle),
        concurrency=concurrency,
        grace_s=grace_s(grace_ms),
        release=release,
        max_request_age_s=request_age_s(max_request_age),
        cancel_on_abort=cancel_on_abort,
    )
    out = console()
    used, used_url, finished = _journal_broker(journal, run_id)
    if finished is not None:
        # Every order is settled: contact no broker, send nothing, print no empty table.
        out.print(f"{finished}; nothing to do", emoji=False)
        if json_path is not None:
            out.print(f"no summary written to {json_path}", emoji=False)
        raise typer.Exit(0)
    name = broker or used
    target = (checked_url(url) if url else used_url) if name is BrokerName.SIM else used_url
    choice = BrokerChoice(
        name=name, url=target, api_key=api_key, api_key_file=api_key_file,
        concurrency=concurrency, fubon_config=fubon_config, fubon_test=fubon_test,
        fubon_unblock=fubon_unblock, fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
        fubon_keep_sdk_log=fubon_keep_sdk_log,
    )  # fmt: skip
    chosen = build_broker(choice, out)
    configure_logging()

    async def send(stop: asyncio.Event, watch: Watch | None) -> FireResult:
        return await resume(journal, chosen, options, run_id=run_id, stop=stop, watch=watch)

    send_and_finish(
        out, chosen, send, login_first=name is BrokerName.FUBON, live=True, json_path=json_path
    )


def _journal_broker(
    journal: JournalLocation, run_id: str | None
) -> tuple[BrokerName, str, str | None]:
    """The broker a run used, its URL, as its journal keeps them, and when every order of
    the run is settled, a line saying so (else None)."""
    try:
        snapshot = run_loop(read_run(journal, run_id))
        run = snapshot.run
        states = Counter(intent.state for intent in snapshot.intents)
    except JournalError as exc:
        raise typer.BadParameter(str(exc), param_hint="--journal") from None
    finished = None
    if states and all(state.is_final for state in states):
        finished = (
            f"run {run.run_id}: all {states.total()} orders settled "
            f"({states[IntentState.ACCEPTED]} accepted, {states[IntentState.REJECTED]} "
            "rejected)"
        )
    try:
        return BrokerName(run.broker), run.url, finished
    except ValueError:
        raise typer.BadParameter(
            f"{journal}: the run used broker {run.broker!r}; give --broker", param_hint="--journal"
        ) from None
