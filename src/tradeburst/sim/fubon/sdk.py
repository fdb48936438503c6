"""`fubon_neo.sdk`, imitated on the rehearsal exchange: `FubonSDK`, `Order` and `Mode`.

`FubonSDK()` and `FubonSDK(pong_inteval, missed_count, url)` take the real constructor's
arguments and ignore them: every SDK talks to the rehearsal exchange it was pointed at
(`tradeburst.sim.configure`, `tradeburst rehearse`, or `TRADEBURST_URL` and
`TRADEBURST_API_KEY`). Any credentials log in; the account is the API key's. The methods
keep the binary's names and positional order (`login(personal_id, pass, cert_path,
cert_pass=None)`: pass them positionally, as with the real one) and answer in `Result`
objects, never raising for a refusal.
"""

from __future__ import annotations

import atexit
import functools
import weakref
from typing import Any

from tradeburst.sim.fubon._accounting import Accounting
from tradeburst.sim.fubon._objects import result
from tradeburst.sim.fubon._order import Order
from tradeburst.sim.fubon._realtime import MarketData, Mode, market_data
from tradeburst.sim.fubon._session import NOT_LOGGED_IN, Session, target
from tradeburst.sim.fubon._stock_changes import StockChanges
from tradeburst.sim.fubon._stock_orders import StockOrders
from tradeburst.sim.fubon._stock_queries import StockQueries
from tradeburst.sim.fubon._transport import CallFailed

__all__ = ["FubonSDK", "Mode", "Order"]


class Stock(StockOrders, StockChanges, StockQueries):
    """`sdk.stock`: orders, changes and queries on one session."""

    def __init__(self, session: Session) -> None:
        StockOrders.__init__(self, session)


class _LoggedIn:
    """`sdk.stock` and `sdk.accounting` answer `Not Login Error` until a login."""

    def __init__(self, session: Session, inner: Any) -> None:
        self._session = session
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if name.startswith("make_") or not callable(method):
            return method

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._session.transport is None:
                return result(False, NOT_LOGGED_IN)
            return method(*args, **kwargs)

        return call


class FubonSDK:
    """The SDK object: log in, register callbacks, then `stock` and `accounting`."""

    def __init__(
        self, pong_inteval: int | None = None, missed_count: int | None = None, url: Any = None
    ) -> None:
        self._session = Session(target())
        self.stock: Any = _LoggedIn(self._session, Stock(self._session))
        self.accounting: Any = _LoggedIn(self._session, Accounting(self._session))
        self.marketdata: MarketData | None = None
        ref = weakref.ref(self, lambda _: atexit.unregister(_shutdown_at_exit))

        def _shutdown_at_exit() -> None:
            sdk = ref()
            if sdk is not None:
                sdk.shutdown()

        atexit.register(_shutdown_at_exit)
        self._session.callbacks.emit("on_event", "100", "connected")

    # -- login ----------------------------------------------------------------------------

    def login(self, personal_id: Any, *args: Any, **kwargs: Any) -> Any:
        """`login(personal_id, pass, cert_path, cert_pass=None)`."""
        return self._login()

    def apikey_login(
        self, personal_id: Any, api_key: Any, cert_path: Any, cert_pass: Any = None
    ) -> Any:
        return self._login()

    def apikey_dma_login(self, personal_id: Any, api_key: Any) -> Any:
        return self._login()

    def _login(self) -> Any:
        try:
            accounts = self._session.login()
        except CallFailed as exc:
            return result(False, str(exc))
        self._session.callbacks.emit("on_event", "200", "logged in")
        return result(True, None, accounts)

    def logout(self) -> bool:
        self._session.logout()
        return True

    def shutdown(self) -> None:
        """Stop the callbacks (what was raised before is delivered first); idempotent."""
        self._session.shutdown()

    # -- callbacks ------------------------------------------------------------------------

    def set_on_order(self, callback: Any) -> None:
        self._session.callbacks.register("on_order", callback)

    def set_on_order_changed(self, callback: Any) -> None:
        self._session.callbacks.register("on_order_changed", callback)

    def set_on_filled(self, callback: Any) -> None:
        self._session.callbacks.register("on_filled", callback)

    def set_on_event(self, callback: Any) -> None:
        self._session.callbacks.register("on_event", callback)

    # -- market data ----------------------------------------------------------------------

    def init_realtime(
        self, mode: Mode = Mode.Speed, version: Any = None, base_url: Any = None
    ) -> None:
        """Fugle's market-data clients on the rehearsal exchange; `version` and `base_url`
        are accepted and ignored (the exchange serves stock v1.0 at its own address)."""
        if self._session.transport is None:
            raise ValueError(NOT_LOGGED_IN)
        where = self._session.where
        self.marketdata = market_data(where.url, where.api_key, mode)
