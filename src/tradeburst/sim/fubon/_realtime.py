"""`sdk.init_realtime()` and `sdk.marketdata`: the real `fugle_marketdata` clients (the
optional `rehearse` extra), pointed at the rehearsal exchange's Fugle-protocol routes
(`ws://HOST:PORT/marketdata`, `http://HOST:PORT/marketdata`) with the account's API key.
As in the binary's Speed mode (the default), the WebSocket client refuses the `aggregates`
and `candles` channels before sending.
"""

from __future__ import annotations

import enum
from typing import Any

from tradeburst.errors import TradeburstError

__all__ = ["MarketData", "Mode", "NeedsFugle", "market_data"]


class Mode(enum.Enum):
    """`fubon_neo.sdk.Mode`, as the real SDK's Python layer defines it."""

    Speed = "speed"
    Normal = "normal"


class NeedsFugle(TradeburstError, ImportError):
    """`init_realtime` without the `fugle_marketdata` package."""


class _SpeedModeStock:
    """The binary's Speed-mode wrapper around the WebSocket stock client."""

    def __init__(self, client: Any, mode: Mode) -> None:
        self._client = client
        self._mode = mode

    def subscribe(self, params: Any) -> Any:
        channel = params.get("channel") if isinstance(params, dict) else None
        if self._mode is Mode.Speed and channel in ("aggregates", "candles"):
            raise ValueError(f"Speed mode doesn't support {channel} channel")
        return self._client.subscribe(params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _WebSocketClient:
    def __init__(self, client: Any, mode: Mode) -> None:
        self.stock = _SpeedModeStock(client.stock, mode)
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class MarketData:
    def __init__(self, websocket_client: Any, rest_client: Any) -> None:
        self.websocket_client = websocket_client
        self.rest_client = rest_client


def market_data(url: str, api_key: str, mode: Mode) -> MarketData:
    """Fugle's clients on the exchange at `url` (http://HOST:PORT)."""
    try:
        from fugle_marketdata import RestClient, WebSocketClient
    except ImportError:
        raise NeedsFugle(
            "init_realtime needs the fugle_marketdata package: pip install 'tradeburst[rehearse]'"
        ) from None
    base = url.rstrip("/") + "/marketdata"
    websocket = WebSocketClient(api_key=api_key, base_url="ws" + base.removeprefix("http"))
    rest = RestClient(api_key=api_key, base_url=base)
    return MarketData(_WebSocketClient(websocket, mode), rest)
