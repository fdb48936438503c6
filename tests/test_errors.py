"""One root for every exception: `except TradeburstError` catches whatever tradeburst raises."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import socket
from pathlib import Path

import tradeburst
from tradeburst import FireOptions, SimBroker, TradeburstError, fire, resume


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(tradeburst.__path__, "tradeburst."):
        if info.name.endswith("__main__"):  # importing it would run the command line
            continue
        for name, obj in vars(importlib.import_module(info.name)).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__.startswith("tradeburst.")
                and not name.startswith("_")
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_public_exception_is_a_tradeburst_error() -> None:
    """Every exception class of the package not named as private derives from the root."""
    classes = _exception_classes()
    assert "tradeburst.brokers._errors.NotSent" in classes  # the walk reached the modules
    assert [name for name, cls in classes.items() if not issubclass(cls, TradeburstError)] == []


def test_the_builtin_bases_are_kept() -> None:
    """The root is added beside the builtins callers already catch, not instead of them."""
    assert issubclass(tradeburst.NotSent, ConnectionError)
    assert issubclass(tradeburst.AnswerLost, TimeoutError)
    assert issubclass(tradeburst.OrderError, ValueError)
    assert issubclass(tradeburst.ExchangeError, ValueError)


async def test_one_except_catches_input_journal_and_broker_errors(tmp_path: Path) -> None:
    """A bad orders file, an unusable journal and an unreachable broker, in one handler."""
    orders = tmp_path / "orders.csv"
    orders.write_text("symbol,side,price,quantity\n2330,sideways,580,1000\n")
    not_a_journal = tmp_path / "journal.sqlite"
    not_a_journal.write_text("not a database")
    with socket.socket() as closed:  # bound, never listening: connecting is refused
        closed.bind(("127.0.0.1", 0))
        broker = SimBroker(f"http://127.0.0.1:{closed.getsockname()[1]}", "key")
        caught: list[str] = []
        for attempt in (
            lambda: fire(orders, broker, FireOptions()),
            lambda: resume(not_a_journal, broker, FireOptions()),
            broker.connect,
        ):
            try:
                await attempt()
            except TradeburstError as exc:
                caught.append(type(exc).__name__)
    assert caught == ["InvalidInput", "JournalError", "NotSent"]
