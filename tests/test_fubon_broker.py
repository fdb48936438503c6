"""`FubonBroker` at the SDK seam: a stand-in for the SDK object (tests/_fubon_standin.py)
that keeps SDK 2.3.1's shapes and callback sequences and forwards every call to a real
rehearsal exchange. What counts is what the exchange ends up holding."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeburst.brokers import AnswerLost, BrokerFatal, OrderState, RateLimited
from tradeburst.brokers.fubon import (
    SDK_FACTORY_ENV,
    CredentialsError,
    FubonBroker,
    FubonCredentials,
    StandinError,
    load_credentials,
    sdk_factory_from_env,
)
from tradeburst.brokers.fubon._mapping import result_status, sdk_order, state_of
from tradeburst.clock import TAIPEI
from tradeburst.engine import FireOptions, IntentState, exit_code, fire, resume
from tradeburst.exchange import Exchange, FaultRates
from tradeburst.model import Fill, Order, OrderStatus, PriceType, Side, TimeInForce

import _fubon_standin as standin
from _engine_support import (
    CLI_TIMEOUT_S,
    OPEN_CLOCK,
    QUICK_AGE,
    QUICK_AGE_S,
    Completed,
    cli_args,
    cli_env,
    exchange_process,
    journal_of,
    per_user_def,
    placed,
    wait_for_placed,
    write_orders,
)
from _rush_support import CLI_LEAD_S
from _support import ADMIN, KEY_A, StartExchange

TESTS = Path(__file__).parent
STANDIN = "_fubon_standin:make_sdk"
SECRET_PASSWORD = "pw-4b1d-do-not-print"


@pytest.fixture
def cert(tmp_path: Path) -> Path:
    path = tmp_path / "cert.pfx"
    path.write_bytes(b"not a real certificate")
    return path


@pytest.fixture
def credentials(cert: Path) -> FubonCredentials:
    return FubonCredentials(personal_id="A123456789", api_key=KEY_A, cert_path=cert)


@pytest.fixture
async def market(start_exchange: StartExchange) -> Exchange:
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False)


def buy(user_def: str, price: str = "40.60", **fields: Any) -> Order:
    return Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal(price),
                 user_def=user_def, **fields)  # fmt: skip


def broker_at(
    exchange: Exchange,
    credentials: FubonCredentials,
    *,
    seed: int = 1,
    standin_options: dict[str, Any] | None = None,
    **options: Any,
) -> FubonBroker:
    """A broker whose worker runs the stand-in against `exchange` (the one SDK seam)."""
    sdk_options = {"exchange": exchange.url, "seed": seed, **(standin_options or {})}
    return FubonBroker(credentials, sdk_factory=STANDIN, sdk_options=sdk_options, **options)


# -- the SDK's objects --------------------------------------------------------------------


def test_an_sdk_order_is_built_positionally_with_the_price_as_a_string() -> None:
    """A real fubon_neo Order: price a string after order_type, user_def last."""
    fields = standin.order_fields(sdk_order(buy("abc1", "40.50")))
    assert fields == {"buy_sell": "Buy", "symbol": "2891", "price": "40.5", "quantity": 1000,
                      "market_type": "Common", "price_type": "Limit", "time_in_force": "ROD",
                      "order_type": "Stock", "user_def": "abc1"}  # fmt: skip


def test_a_market_order_goes_to_the_sdk_without_a_price() -> None:
    """price=None for anything but Limit (the SDK refuses even "0")."""
    order = Order(symbol="2891", side=Side.SELL, quantity=1000, price_type=PriceType.MARKET,
                  time_in_force=TimeInForce.IOC)  # fmt: skip
    fields = standin.order_fields(sdk_order(order))
    assert (fields["price"], fields["price_type"], fields["time_in_force"]) == (
        None,
        "Market",
        "IOC",
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, OrderStatus.RESERVATION), (4, OrderStatus.SENT_TO_BACKEND),
     (8, OrderStatus.BACKEND_SENDING), (9, OrderStatus.CONNECTION_TIMEOUT),
     (10, OrderStatus.ACCEPTED), (14, OrderStatus.SENT_TO_BACKEND), (15, OrderStatus.ACCEPTED),
     (19, OrderStatus.MODIFY_PRICE_FAILED), (20, OrderStatus.ACCEPTED),
     (24, OrderStatus.SENT_TO_BACKEND), (29, OrderStatus.MODIFY_QUANTITY_FAILED),
     (30, OrderStatus.CANCELLED), (34, OrderStatus.SENT_TO_BACKEND),
     (39, OrderStatus.CANCEL_FAILED), (40, OrderStatus.PARTLY_FILLED_CANCELLED),
     (50, OrderStatus.FILLED), (90, OrderStatus.FAILED)],
)  # fmt: skip
def test_every_fubon_status_maps_to_an_order_status(status: int, expected: OrderStatus) -> None:
    """Each documented status code has its OrderStatus."""
    assert result_status(status) is expected


def test_function_type_90_is_a_failure_and_an_unknown_status_is_unreadable() -> None:
    """function_type 90 fails the order whatever the status; status 77 is no answer."""
    assert result_status(10, 90) is OrderStatus.FAILED
    with pytest.raises(ValueError, match="77"):
        result_status(77)


def test_a_query_record_with_none_fields_reads_as_a_state() -> None:
    """Every field may be None (function_type in queries, filled_qty on failures)."""
    record = standin.Obj("OrderResult", **dict.fromkeys(standin.RECORD_FIELDS))
    record.status, record.user_def, record.stock_no = 30, "abc1", "2891"
    state = state_of(record)
    assert (state.status, state.quantity, state.filled_qty, state.order_no) == (
        OrderStatus.CANCELLED, 0, 0, None)  # fmt: skip


# -- calls and callbacks ------------------------------------------------------------------


@pytest.mark.parametrize("unblock", [False, True], ids=["blocking", "unblock"])
async def test_a_single_order_is_answered_with_its_outcome(
    market: Exchange, credentials: FubonCredentials, unblock: bool
) -> None:
    """Blocking: the return value; unblock: the status-4 ACK, then the callback's 10."""
    async with broker_at(market, credentials, unblock=unblock) as broker:
        state = await broker.place(buy("one1"))
    assert (state.user_def, state.status, state.quantity) == ("one1", OrderStatus.ACCEPTED, 1000)
    assert state.order_no


async def test_unblock_callbacks_come_in_the_documented_sequence(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """An unblock order's callbacks: status 4, then 8, then 10, with no order_no before 10."""
    async with broker_at(market, credentials, unblock=True) as broker:
        seen: list[OrderState] = []

        async def follow() -> None:
            async for item in broker.events():
                assert isinstance(item, OrderState)
                seen.append(item)
                if item.status is OrderStatus.ACCEPTED:
                    return

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0)
        await broker.place(buy("seq1"))
        await asyncio.wait_for(follower, 10)
    assert [(s.status, s.order_no is None) for s in seen] == [
        (OrderStatus.SENT_TO_BACKEND, True), (OrderStatus.BACKEND_SENDING, True),
        (OrderStatus.ACCEPTED, False)]  # fmt: skip


@pytest.mark.parametrize("unblock", [False, True], ids=["blocking", "unblock"])
async def test_an_order_outside_the_limits_is_a_rejection_not_an_error(
    market: Exchange, credentials: FubonCredentials, unblock: bool
) -> None:
    """A failed Result (blocking) or a status-90 callback (unblock) is the answer 90."""
    async with broker_at(market, credentials, unblock=unblock) as broker:
        state = await broker.place(buy("bad1", price="80"))
    assert (state.user_def, state.status, state.accepted) == ("bad1", OrderStatus.FAILED, False)
    assert state.message


async def test_a_batch_is_answered_per_order_though_callbacks_come_out_of_order(
    market: Exchange, credentials: FubonCredentials, session: aiohttp.ClientSession
) -> None:
    """30 orders, one ACK list, outcomes shuffled: each order gets its own, by seq_no."""
    orders = [buy(f"bat{i}") for i in range(29)] + [buy("bat29", price="80")]
    async with broker_at(market, credentials) as broker:
        states = await broker.place_batch(orders)
    assert [s.user_def for s in states] == [o.user_def for o in orders]
    assert [s.status for s in states] == [OrderStatus.ACCEPTED] * 29 + [OrderStatus.FAILED]
    records = {r["user_def"]: r["order_no"] for r in await placed(session, market.url, ADMIN)}
    assert {s.user_def: s.order_no for s in states[:29]} == records


async def test_a_batch_whose_callbacks_never_come_is_an_answer_lost(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """ACKs without outcomes tell nothing final: AnswerLost, for the engine to reconcile."""
    lost = {"mute": ["on_order"]}  # outcomes are lost
    async with broker_at(market, credentials, answer_timeout_s=0.3,
                         standin_options=lost) as broker:  # fmt: skip
        with pytest.raises(AnswerLost, match="batch_place_order: no outcome for any of 2"):
            await broker.place_batch([buy("mut0"), buy("mut1")])


async def test_a_rate_refusal_is_rate_limited_and_places_nothing(
    start_exchange: StartExchange, credentials: FubonCredentials, session: aiohttp.ClientSession
) -> None:
    """Over 10 batch calls a second, the failed Result 業務系統流量控管 is RateLimited."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    refused = taken = 0
    async with broker_at(exchange, credentials) as broker:
        for i in range(30):
            try:
                await broker.place_batch([buy(f"rl{i}")])
                taken += 1
            except RateLimited as exc:
                assert "業務系統流量控管" in str(exc)
                refused += 1
    assert refused > 0
    assert len(await placed(session, exchange.url, ADMIN)) == taken


async def test_cancel_and_modify_reach_the_order_by_its_number(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """Reprice, reduce, cancel; a second cancel is refused with status 39."""
    async with broker_at(market, credentials) as broker:
        placed_state = await broker.place(buy("chg1"))
        assert placed_state.order_no is not None
        order_no = placed_state.order_no
        repriced = await broker.modify_price(order_no, Decimal("40.5"))
        reduced = await broker.modify_quantity(order_no, 0 + 1000 - 1000 + 1000)
        cancelled = await broker.cancel(order_no)
        again = await broker.cancel(order_no)
    assert repriced.status is OrderStatus.ACCEPTED
    assert reduced.status is OrderStatus.MODIFY_QUANTITY_FAILED  # it can only go down
    assert cancelled.status is OrderStatus.CANCELLED
    assert (again.status, again.order_no) == (OrderStatus.CANCEL_FAILED, order_no)


async def test_order_results_find_an_order_by_user_def(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """get_order_results has no filter in 2.3.1: the adapter filters by user_def."""
    async with broker_at(market, credentials) as broker:
        await broker.place_batch([buy("fnd0"), buy("fnd1")])
        found = await broker.order_results("fnd1")
    assert [(s.user_def, s.status) for s in found] == [("fnd1", OrderStatus.ACCEPTED)]


async def test_fills_carry_the_user_def_the_history_leaves_out(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """Two crossing orders: the fill callback and fills() both name the client id."""
    async with broker_at(market, credentials) as broker:
        pushed: list[Fill] = []

        async def follow() -> None:
            async for item in broker.events():
                if isinstance(item, Fill):
                    pushed.append(item)
                    return

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0)
        await broker.place(buy("fill1"))
        sell = Order(symbol="2891", side=Side.SELL, quantity=1000, price_twd=Decimal("40.60"),
                     user_def="fill2")  # fmt: skip
        await broker.place(sell)
        await asyncio.wait_for(follower, 10)
        fills = await broker.fills()
    assert {f.user_def for f in fills} == {"fill1", "fill2"}
    assert pushed[0].user_def in ("fill1", "fill2")
    assert all(f.price_twd == Decimal("40.6") and f.quantity == 1000 for f in fills)


async def test_a_drop_mid_batch_is_an_answer_lost_and_a_new_worker_logs_in(
    market: Exchange, credentials: FubonCredentials, session: aiohttp.ClientSession
) -> None:
    """The socket closes while a batch is in flight (it was sent): AnswerLost, not a "no";
    the worker is replaced, logs in again, and the next order goes through."""
    drop = {"faults": ["batch_place_order:1:closed"]}
    async with broker_at(market, credentials, standin_options=drop,
                         reconnect_backoff_s=(0.05, 0.1)) as broker:  # fmt: skip
        first = broker.worker_pid
        with pytest.raises(AnswerLost, match="connection is closed"):
            await broker.place_batch([buy("dis0"), buy("dis1")])
        after = await asyncio.wait_for(broker.place(buy("dis2")), 30)
        assert broker.reconnects == 1 and broker.worker_pid not in (None, first)
    assert after.status is OrderStatus.ACCEPTED
    held = per_user_def(await placed(session, market.url, ADMIN))
    assert held == Counter({"dis0": 1, "dis1": 1, "dis2": 1})


async def test_a_panic_in_an_order_call_is_an_answer_lost(
    market: Exchange, credentials: FubonCredentials
) -> None:
    """A PanicException (a BaseException) in the SDK may have acted: AnswerLost."""
    panic = {"faults": ["place_order:1:panic"]}
    async with broker_at(market, credentials, standin_options=panic) as broker:
        with pytest.raises(AnswerLost, match="PanicException"):
            await broker.place(buy("lost1"))
        assert (await broker.place(buy("lost2"))).status is OrderStatus.ACCEPTED


async def test_a_failed_login_is_fatal(market: Exchange, cert: Path) -> None:
    """A login the SDK refuses stops the run: BrokerFatal, and no secret in its message."""
    wrong = FubonCredentials(personal_id="A1", password=SECRET_PASSWORD, cert_path=cert)
    broker = broker_at(market, wrong)
    with pytest.raises(BrokerFatal) as raised:
        await broker.connect()
    assert SECRET_PASSWORD not in str(raised.value) + repr(broker) + repr(wrong)


# -- credentials and the seam -------------------------------------------------------------


def test_credentials_come_from_the_environment(cert: Path) -> None:
    """TRADEBURST_FUBON_* fill every field; the repr shows no secret."""
    env = {"TRADEBURST_FUBON_ID": "A1", "TRADEBURST_FUBON_PASSWORD": SECRET_PASSWORD,
           "TRADEBURST_FUBON_CERT": str(cert), "TRADEBURST_FUBON_ACCOUNT": "9800001"}  # fmt: skip
    loaded = load_credentials(None, env)
    assert (loaded.personal_id, loaded.password, loaded.account) == (
        "A1",
        SECRET_PASSWORD,
        "9800001",
    )
    assert SECRET_PASSWORD not in repr(loaded)


def test_a_config_file_others_can_read_is_refused(tmp_path: Path, cert: Path) -> None:
    """A 0644 config file is refused, naming the file."""
    path = tmp_path / "fubon.toml"
    path.write_text(f'personal_id = "A1"\napi_key = "k"\ncert_path = "{cert}"\n')
    path.chmod(0o644)
    with pytest.raises(CredentialsError, match="chmod 600") as raised:
        load_credentials(path, {})
    assert raised.value.where == str(path)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert load_credentials(path, {}).api_key == "k"


def test_a_config_file_with_an_unknown_key_names_it(tmp_path: Path, cert: Path) -> None:
    """A misspelt key is named with its file."""
    path = tmp_path / "fubon.toml"
    path.write_text(f'personal_id = "A1"\napikey = "k"\ncert_path = "{cert}"\n')
    path.chmod(0o600)
    with pytest.raises(CredentialsError) as raised:
        load_credentials(path, {})
    assert raised.value.where == f"{path}: apikey"


def test_a_config_file_nested_past_the_parser_is_named(tmp_path: Path) -> None:
    path = tmp_path / "fubon.toml"
    path.write_text("personal_id = " + "[" * 100_000 + "]" * 100_000 + "\n")
    path.chmod(0o600)
    with pytest.raises(CredentialsError) as raised:
        load_credentials(path, {})
    assert raised.value.where == str(path)
    assert "nested too deeply" in str(raised.value)


def test_missing_credentials_name_the_variable() -> None:
    """No personal id anywhere: the error names TRADEBURST_FUBON_ID."""
    with pytest.raises(CredentialsError, match="TRADEBURST_FUBON_ID"):
        load_credentials(None, {})


def test_the_sdk_seam_takes_only_a_marked_stand_in() -> None:
    """An unmarked callable in TRADEBURST_FUBON_SDK is refused; unset means the real SDK."""
    with pytest.raises(StandinError, match="not a test stand-in"):
        sdk_factory_from_env({SDK_FACTORY_ENV: "os:getcwd"})
    assert sdk_factory_from_env({}) is None
    assert sdk_factory_from_env({SDK_FACTORY_ENV: STANDIN}) == STANDIN


# -- the engine through the adapter -------------------------------------------------------


async def test_a_fubon_burst_through_the_sdk_is_all_accepted_without_a_rate_refusal(
    start_exchange: StartExchange, credentials: FubonCredentials, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    """500 orders under the Fubon limits through FubonBroker: each placed once, none refused."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 500)
    async with broker_at(exchange, credentials) as broker:
        result = await fire(
            source,
            broker,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite"),
        )
    assert exit_code(result) == 0
    assert result.summary.rate_limit_rejections == 0
    records = await placed(session, exchange.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in result.intents})


async def test_fire_with_unblock_single_orders_settles_each_by_its_callback(
    market: Exchange, credentials: FubonCredentials, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    """unblock=True, single orders only: every outcome comes by callback, each placed once."""
    source = write_orders(tmp_path / "orders.csv", 100)
    async with broker_at(market, credentials, unblock=True) as broker:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=1
        )
        result = await fire(source, broker, options)
    assert exit_code(result) == 0 and result.summary.orders.accepted == 100
    assert all(i.status == OrderStatus.ACCEPTED and i.order_no for i in result.intents)
    records = await placed(session, market.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in result.intents})


async def test_fire_through_the_sdk_places_every_order_once_under_faults(
    start_exchange: StartExchange, credentials: FubonCredentials, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    """503s, lost answers and resets behind the SDK: 600 orders in batches, each placed once."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, seed=7,
        faults=FaultRates(error=0.05, ambiguous=0.02, reset=0.01, stall_ms=200),
    )  # fmt: skip
    source = write_orders(tmp_path / "orders.csv", 600)
    async with broker_at(exchange, credentials) as broker:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=5, grace_s=0.2
        )
        result = await fire(source, broker, options)
    orders = result.summary.orders
    assert (orders.accepted, orders.unknown, orders.not_sent) == (600, 0, 0)
    records = await placed(session, exchange.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in result.intents})


async def test_a_lost_answer_found_undecided_is_asked_about_again_never_resent(
    market: Exchange, credentials: FubonCredentials, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Batch outcomes lost; the account's records show the orders in 9, then 4, then 8
    (no outcome yet) before the outcome: the run waits for the outcome, each placed once."""
    source = write_orders(tmp_path / "orders.csv", 10)
    calls = tmp_path / "calls.log"
    undecided = {"mute": ["on_order"], "undecided": [9, 4, 8], "record": str(calls)}
    async with broker_at(market, credentials, answer_timeout_s=0.3,
                         standin_options=undecided) as broker:  # fmt: skip
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=5, grace_s=0.1
        )
        result = await fire(source, broker, options)
    orders = result.summary.orders
    assert (orders.accepted, orders.unknown, orders.resent) == (10, 0, 0)
    assert all(i.by_query and i.order_no for i in result.intents)
    queries = calls.read_text().splitlines().count("GET /v1/orders")
    assert queries >= 1 + 4, "a query per undecided reading"
    records = await placed(session, market.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in result.intents})


async def test_orders_still_undecided_at_the_timeout_stay_unknown_until_resume(
    market: Exchange, credentials: FubonCredentials, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Never decided while the run asks: the run ends with them UNKNOWN (exit 4), neither
    accepted nor sent again; `resume`, once the broker has the outcome, settles them."""
    source = write_orders(tmp_path / "orders.csv", 10)
    journal = tmp_path / "run.sqlite"
    never = {"mute": ["on_order"], "undecided": [9] * 1000}
    async with broker_at(market, credentials, answer_timeout_s=0.3,
                         standin_options=never) as broker:  # fmt: skip
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S,
            journal=journal,
            max_batch=5,
            grace_s=0.1,
            reconcile_timeout_s=0.5,
        )
        first = await fire(source, broker, options)
    assert (first.summary.orders.unknown, first.summary.orders.accepted) == (10, 0)
    assert exit_code(first) == 4
    assert all(i.state is IntentState.UNKNOWN for i in journal_of(journal)[1])
    async with broker_at(market, credentials) as broker:
        second = await resume(
            journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=0.1)
        )
    assert exit_code(second) == 0
    assert (second.summary.orders.accepted, second.summary.orders.resent) == (10, 0)
    records = await placed(session, market.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in second.intents})


# -- the CLI: --broker fubon, killed, resumed ---------------------------------------------


def fubon_env(exchange_url: str, cert: Path) -> dict[str, str]:
    env = cli_env()
    env.update({
        SDK_FACTORY_ENV: "_fubon_standin:make_sdk",
        standin.STANDIN_URL_ENV: exchange_url,
        "PYTHONPATH": os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]),
        "TRADEBURST_FUBON_ID": "A123456789",
        "TRADEBURST_FUBON_API_KEY": KEY_A,
        "TRADEBURST_FUBON_CERT": str(cert),
    })  # fmt: skip
    return env


async def run_fubon_cli(env: dict[str, str], *args: str, cwd: Path) -> Completed:
    process = await asyncio.create_subprocess_exec(
        *cli_args(*args), cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(CLI_TIMEOUT_S):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


async def test_fire_broker_fubon_killed_under_faults_resumes_to_one_order_per_intent(
    session: aiohttp.ClientSession, tmp_path: Path, cert: Path
) -> None:
    """`fire --broker fubon` through the SDK stand-in, under 503s, lost answers and resets,
    SIGKILL mid-burst, then `resume` (the journal remembers the broker): each order once."""
    source = write_orders(tmp_path / "orders.csv", 1000)
    journal = tmp_path / "run.sqlite"
    chaos = ("--error-rate", "0.05", "--ambiguous-rate", "0.02", "--reset-rate", "0.01",
             "--stall-ms", "200", "--seed", "7", "--profile", "fubon")  # fmt: skip
    with exchange_process(tmp_path, KEY_A, ADMIN, *chaos) as exchange:
        url = await exchange.started()
        env = fubon_env(url, cert)
        with (tmp_path / "fire.out").open("wb") as out:
            client = await asyncio.create_subprocess_exec(
                *cli_args("fire", str(source), "--broker", "fubon", "--journal", str(journal),
                          "--grace-ms", "300", *QUICK_AGE),
                cwd=tmp_path, env=env, stdout=out, stderr=out,
            )  # fmt: skip
        try:
            await wait_for_placed(session, url, ADMIN, 200, _Waited(client))
            client.send_signal(signal.SIGKILL)
            assert await client.wait() == -signal.SIGKILL
        finally:
            if client.returncode is None:
                client.kill()
                await client.wait()
        resumed = await run_fubon_cli(
            env, "resume", "--journal", str(journal), *QUICK_AGE, cwd=tmp_path
        )
        assert resumed.returncode == 0, resumed.output
        records = await placed(session, url, ADMIN)
    run, intents = journal_of(journal)
    assert run.broker == "fubon" and "stand-in" in resumed.output
    assert per_user_def(records) == Counter({i.user_def: 1 for i in intents})
    assert len(intents) == 1000


class _Waited:
    """What `wait_for_placed` reads of a client: its process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def wait(self) -> Completed:
        return Completed(await self.process.wait(), "", "")


async def test_fire_broker_fubon_prints_no_secret_and_exits_2_without_credentials(
    market: Exchange, tmp_path: Path, cert: Path
) -> None:
    """No personal id: exit 2 naming the variable; with one, the password is never printed."""
    source = write_orders(tmp_path / "orders.csv", 3)
    env = fubon_env(market.url, cert)
    missing = {k: v for k, v in env.items() if k != "TRADEBURST_FUBON_ID"}
    bad = await run_fubon_cli(missing, "fire", str(source), "--broker", "fubon", cwd=tmp_path)
    assert bad.returncode == 2 and "TRADEBURST_FUBON_ID" in bad.stderr
    assert "Traceback" not in bad.output
    env.pop("TRADEBURST_FUBON_API_KEY")
    env["TRADEBURST_FUBON_PASSWORD"] = SECRET_PASSWORD  # the wrong key for the exchange
    run = await run_fubon_cli(env, "fire", str(source), "--broker", "fubon",
                              "--journal", str(tmp_path / "j.sqlite"), cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2 and "login" in run.stderr
    assert SECRET_PASSWORD not in run.output
    assert not _files_holding(tmp_path, SECRET_PASSWORD)


def _files_holding(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


async def test_run_and_rush_take_broker_fubon(
    market: Exchange, tmp_path: Path, cert: Path, session: aiohttp.ClientSession
) -> None:
    """`run` (two strategies of batches) and `rush` send through the Fubon adapter: every
    order placed once at the exchange, and the journals name the broker."""
    env = fubon_env(market.url, cert)
    (tmp_path / "run.toml").write_text(
        "[[strategy]]\nname = 'a'\nweight = 3\nbatches = [[\n"
        + ",\n".join(
            f"  {{symbol = '2891', side = 'Buy', quantity = 1000, price = '40.60', tag = 'a{i}'}}"
            for i in range(6)
        )
        + "\n]]\n[[strategy]]\nname = 'b'\nweight = 1\nbatches = [[\n"
        + "  {symbol = '2891', side = 'Sell', quantity = 1000, price = '41.00', tag = 'b0'}\n]]\n",
        encoding="utf-8",
    )
    ran = await run_fubon_cli(
        env, "run", "run.toml", "--broker", "fubon", "--journal", "run.sqlite", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.output
    source = write_orders(tmp_path / "rush.csv", 4)
    # The SDK has no clock call: the adapter's broker time is ours.
    soon = datetime.fromtimestamp(time.time() + CLI_LEAD_S, TAIPEI).time()  # after the login
    rushed = await run_fubon_cli(
        env, "rush", str(source), "--at", soon.isoformat(), "--broker", "fubon",
        "--journal", "rush.sqlite", cwd=tmp_path,
    )  # fmt: skip
    assert rushed.returncode == 0, rushed.output
    records = await placed(session, market.url, ADMIN)
    intents = [*journal_of(tmp_path / "run.sqlite")[1], *journal_of(tmp_path / "rush.sqlite")[1]]
    assert len(intents) == 11
    assert per_user_def(records) == Counter({i.user_def: 1 for i in intents})
    assert journal_of(tmp_path / "run.sqlite")[0].broker == "fubon"
    assert journal_of(tmp_path / "rush.sqlite")[0].broker == "fubon"
