"""The seam between the adapter and the `fubon_neo` SDK: which SDK object gets built, and
where.

`real_sdk` builds `fubon_neo.sdk.FubonSDK` for a trading URL (production, Fubon's test
environment, or any `--fubon-url`); its constructor opens the WebSocket at once. Both run
only in the SDK worker process. Tests cannot reach Fubon's servers, so they name a
stand-in factory, `module:callable`, in `TRADEBURST_FUBON_SDK` or `FubonBroker(sdk_factory=)`;
the worker loads it by that name (`load_factory`). That seam is guarded against accidents:
the callable must carry `tradeburst_standin = True`, and whoever builds the broker from it
is told (the CLI prints a warning) — a stray variable cannot route real orders anywhere.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from tradeburst.brokers._errors import BrokerFatal
from tradeburst.errors import TradeburstError

__all__ = [
    "PRODUCTION_URL",
    "SDK_FACTORY_ENV",
    "TEST_URL",
    "SdkFactory",
    "StandinError",
    "load_factory",
    "real_sdk",
    "sdk_factory_from_env",
    "sdk_module",
]

PRODUCTION_URL = "wss://neoapi.fbs.com.tw/TASP/XCPXWS"
TEST_URL = "wss://neoapitest.fbs.com.tw/TASP/XCPXWS"
PING_INTERVAL_S = 30
"""The docs advise no lower than 30 s and 2 missed pongs."""
MISSED_PONGS = 2
SDK_FACTORY_ENV = "TRADEBURST_FUBON_SDK"

SdkFactory = Callable[..., Any]
"""Builds a logged-out SDK object connected to the trading URL it is given (and, for a
stand-in, the options the test gave)."""


class StandinError(TradeburstError, ValueError):
    """`TRADEBURST_FUBON_SDK` names something that is not a marked stand-in."""


def sdk_module() -> Any:
    """`fubon_neo.sdk` (for `Order`) with the enums of `fubon_neo.constant` beside it."""
    try:
        sdk = importlib.import_module("fubon_neo.sdk")
        constant = importlib.import_module("fubon_neo.constant")
    except ImportError as exc:
        raise BrokerFatal(
            "the Fubon broker needs the fubon_neo SDK: pip install 'tradeburst[fubon]'"
        ) from exc
    return _Sdk(sdk, constant)


class _Sdk:
    __slots__ = ("BSAction", "MarketType", "Order", "OrderType", "PriceType", "StockType",
                 "TimeInForce", "sdk")  # fmt: skip

    def __init__(self, sdk: Any, constant: Any) -> None:
        self.sdk = sdk
        self.Order = sdk.Order
        self.BSAction = constant.BSAction
        self.MarketType = constant.MarketType
        self.PriceType = constant.PriceType
        self.TimeInForce = constant.TimeInForce
        self.OrderType = constant.OrderType
        self.StockType = constant.StockType


def real_sdk(url: str) -> Any:
    """A `FubonSDK` connected to `url`; blocking (it opens the WebSocket)."""
    module = sdk_module().sdk
    return module.FubonSDK(PING_INTERVAL_S, MISSED_PONGS, url)


def load_factory(spec: str) -> SdkFactory:
    """The marked stand-in named `module:callable`; StandinError for anything else."""
    module_name, _, name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise StandinError(f"{SDK_FACTORY_ENV}={spec}: cannot load it ({exc})") from None
    if getattr(factory, "tradeburst_standin", False) is not True or not callable(factory):
        raise StandinError(
            f"{SDK_FACTORY_ENV}={spec} is not a test stand-in (no tradeburst_standin = True); "
            "unset it to trade through the real SDK"
        )
    return factory  # type: ignore[no-any-return]


def sdk_factory_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The stand-in the test seam names (checked here, loaded again in the worker), or
    None for the real SDK."""
    spec = (os.environ if environ is None else environ).get(SDK_FACTORY_ENV, "").strip()
    if not spec:
        return None
    load_factory(spec)
    return spec
