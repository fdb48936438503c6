"""Inside the SDK worker: one logged-in `fubon_neo` SDK and the stock account it trades,
answering each `Call` with a `Reply` of plain values. It keeps the SDK's own `OrderResult`
of every order it has seen (cancel and modify take that object), and reads callbacks into
`Pushed` values for the pipe.

Nothing here decides what an answer means: a failed `Result` goes back with its message,
a call that raises (a `PanicException`, a `BaseException`, included) with its text, and
the engine's process classifies both (`_mapping.ANSWERS`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from tradeburst.brokers.fubon._account_book import holdings_reply, working_reply
from tradeburst.brokers.fubon._mapping import fill_of, price_of, sdk_order, state_of
from tradeburst.brokers.fubon._sdk import load_factory, real_sdk, sdk_module
from tradeburst.brokers.fubon._wire import (
    Call,
    Event,
    Login,
    Placed,
    Pushed,
    PushedFill,
    Quote,
    Reply,
    ToParent,
)

__all__ = ["WorkerAccount", "failure_text"]

Send = Callable[[ToParent], None]


def failure_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class WorkerAccount:
    def __init__(self, login: Login, send: Send) -> None:
        self._login = login
        self._send = send
        self._sdk: Any = None
        self._account: Any = None
        self._raw: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- logging in -------------------------------------------------------------------

    def open(self, account_no: str | None) -> Reply:
        """Build the SDK (it connects), log in, pick the account, register the callbacks."""
        login = self._login
        factory = load_factory(login.factory) if login.factory else real_sdk
        self._sdk = sdk = factory(login.url, **login.factory_options)
        sdk.set_on_event(self._on_event)
        # Positional: the SDK's parameter is named `pass`.
        if login.api_key is not None and login.cert_path is None:
            result = sdk.apikey_dma_login(login.personal_id, login.api_key)
        elif login.api_key is not None:
            result = sdk.apikey_login(
                login.personal_id, login.api_key, login.cert_path, login.cert_password
            )
        else:
            result = sdk.login(
                login.personal_id, login.password, login.cert_path, login.cert_password
            )
        if not result.is_success:
            return Reply(id=0, message=result.message)
        stock = [a for a in (result.data or []) if getattr(a, "account_type", "stock") == "stock"]
        if account_no is not None:
            chosen = [a for a in stock if str(a.account) == account_no]
            if not chosen:
                return Reply(id=0, message=f"no stock account {account_no} on this login")
        elif len(stock) != 1:
            names = ", ".join(str(a.account) for a in stock) or "none"
            return Reply(
                id=0,
                message=f"{len(stock)} stock accounts ({names}); choose one with "
                "TRADEBURST_FUBON_ACCOUNT or `account` in the config file",
            )
        else:
            chosen = stock
        self._account = chosen[0]
        sdk.set_on_order(self._on_order)
        sdk.set_on_order_changed(self._on_order)
        sdk.set_on_filled(self._on_filled)
        return Reply(id=0, ok=True, accounts=[str(self._account.account)])

    def close(self) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is None:
            return
        for end in (sdk.logout, sdk.shutdown):
            with contextlib.suppress(BaseException):
                end()

    # -- calls --------------------------------------------------------------------------

    def serve(self, call: Call) -> Reply:
        try:
            reply: Reply = getattr(self, f"_{call.method}")(call)
            return reply
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            return Reply(id=call.id, raised=failure_text(exc))

    def _place(self, call: Call) -> Reply:
        built = sdk_order(call.orders[0])
        if call.unblock:
            result = self._sdk.stock.place_order(self._account, built, True)
        else:
            result = self._sdk.stock.place_order(self._account, built)
        return self._answer(call, result, single=True)

    def _batch(self, call: Call) -> Reply:
        built = [sdk_order(order) for order in call.orders]
        result = self._sdk.stock.batch_place_order(self._account, built)
        return self._answer(call, result, single=False)

    def _cancel(self, call: Call) -> Reply:
        return self._change(call, lambda raw: raw, self._sdk.stock.cancel_order)

    def _modify_price(self, call: Call) -> Reply:
        stock = self._sdk.stock
        return self._change(
            call, lambda raw: stock.make_modify_price_obj(raw, call.price, None), stock.modify_price
        )

    def _modify_quantity(self, call: Call) -> Reply:
        stock = self._sdk.stock
        return self._change(
            call,
            lambda raw: stock.make_modify_quantity_obj(raw, call.quantity),
            stock.modify_quantity,
        )

    def _orders(self, call: Call) -> Reply:
        result = self._sdk.stock.get_order_results(self._account)
        return self._answer(call, result, single=False)

    def _fills(self, call: Call) -> Reply:
        result = self._sdk.stock.filled_history(self._account, call.day)
        if not result.is_success:
            return Reply(id=call.id, message=result.message)
        return Reply(id=call.id, ok=True, fills=[fill_of(f) for f in result.data or []])

    def _working(self, call: Call) -> Reply:
        result = self._sdk.stock.get_order_results(self._account)
        return working_reply(call.id, result, self._remember)

    def _holdings(self, call: Call) -> Reply:
        result = self._sdk.accounting.unrealized_gains_and_loses(self._account)
        return holdings_reply(call.id, result)

    def _snapshot(self, call: Call) -> Reply:
        module = sdk_module()
        kind = module.StockType.EtfAndEtn if call.kind == "etf" else module.StockType.Stock
        result = self._sdk.stock.query_symbol_snapshot(
            self._account, module.MarketType.Common, [kind]
        )
        if not result.is_success:
            return Reply(id=call.id, message=result.message)
        quotes = []
        for quote in getattr(result.data, "symbols", result.data) or []:
            prices = (quote.reference_price, quote.limitup_price, quote.limitdown_price)
            if None in prices:
                continue  # no price today: not tradable
            reference, up, down = (str(price_of(p)) for p in prices)
            quotes.append(Quote(symbol=quote.symbol, reference=reference, limit_up=up,
                                limit_down=down))  # fmt: skip
        return Reply(id=call.id, ok=True, quotes=quotes)

    # -- plumbing -----------------------------------------------------------------------

    def _answer(self, call: Call, result: Any, *, single: bool) -> Reply:
        if not result.is_success:
            return Reply(id=call.id, message=result.message)
        raws = [result.data] if single else list(result.data or [])
        placed = [Placed(seq_no=raw.seq_no, state=self._remember(raw)) for raw in raws]
        return Reply(id=call.id, ok=True, placed=placed)

    def _change(self, call: Call, build: Callable[[Any], Any], send: Callable[..., Any]) -> Reply:
        assert call.order_no is not None
        raw = self._raw.get(call.order_no)
        if raw is None:
            self._orders(call)
            raw = self._raw.get(call.order_no)
        if raw is None:
            return Reply(id=call.id, missing=True)
        result = send(self._account, build(raw))
        if not result.is_success:  # the order as it stood, for the refused change's state
            before = Placed(seq_no=raw.seq_no, state=state_of(raw))
            return Reply(id=call.id, message=result.message, placed=[before])
        return self._answer(call, result, single=True)

    def _remember(self, raw: Any, code: Any = None) -> Any:
        state = state_of(raw, str(code) if code else None)
        if state.order_no and state.symbol:  # a full record (a refused cancel's is not)
            with self._lock:
                self._raw[state.order_no] = raw
        return state

    # -- callbacks, on the SDK's thread -------------------------------------------------

    def _on_order(self, code: Any, content: Any) -> None:
        try:
            message: ToParent = Pushed(seq_no=content.seq_no, state=self._remember(content, code))
        except BaseException as exc:
            message = Event(code="unreadable", content=f"order callback: {failure_text(exc)}")
        self._send(message)

    def _on_filled(self, code: Any, content: Any) -> None:
        try:
            message: ToParent = PushedFill(fill=fill_of(content))
        except BaseException as exc:
            message = Event(code="unreadable", content=f"fill callback: {failure_text(exc)}")
        self._send(message)

    def _on_event(self, code: Any, content: Any) -> None:
        self._send(Event(code=str(code), content=str(content)))
