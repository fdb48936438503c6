"""The signals that stop a command the way Ctrl-C does. SIGTERM is what `docker stop`,
systemd and `kill` send: a command that sends orders or serves an exchange treats it as a
request to stop sending and settle what is in flight (then print its summary and the
`resume` command), never as an instant death. Every such command installs its stop handler
here, so SIGINT and SIGTERM can never again be wired apart. Where the loop takes no signal
handler (Windows), `tradeburst._platform` catches them another way, with the same outcome."""

from __future__ import annotations

import signal
from collections.abc import Callable

from tradeburst._platform import call_on_signals

__all__ = ["STOP_SIGNALS", "on_stop_signals"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C and the polite stop of process managers."""


def on_stop_signals(callback: Callable[[], None]) -> None:
    """Call `callback` on the running loop whenever SIGINT or SIGTERM arrives."""
    call_on_signals(STOP_SIGNALS, callback)
