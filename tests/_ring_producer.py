"""A producer process for the ring tests: it waits for (ring name, records, pause every,
pause s) on a pipe, publishes that many records whose every field follows from the
record's number (so a torn read cannot pass for a whole one), closes the ring for
readers, answers "done", and waits for the next command."""

from __future__ import annotations

import time
from multiprocessing.connection import Connection

from tradeburst.hotpath import Kind, RingWriter, Tick


def fields(number: int) -> tuple[bytes, int, int, int, int, int]:
    """symbol, price_milli, quantity, other_price_milli, other_quantity, time_ns."""
    return (
        b"S%06d" % (number % 1_000_000),
        number * 7 + 3,
        number ^ 0x5A5A5A,
        -number,
        number * number,
        number + 11,
    )


def is_whole(tick: Tick) -> bool:
    symbol, price, quantity, other_price, other_quantity, time_ns = fields(tick.number)
    return (
        tick.symbol.rstrip(b"\0") == symbol
        and tick.kind == Kind.SYNTHETIC
        and (tick.price_milli, tick.quantity, tick.other_price_milli)
        == (price, quantity, other_price)
        and (tick.other_quantity, tick.time_ns) == (other_quantity, time_ns)
    )


def serve(commands: Connection) -> None:
    while True:
        command = commands.recv()
        if command is None:
            return
        name, records, pause_every, pause_s = command
        ring = RingWriter.attach(name)
        for number in range(records):
            symbol, price, quantity, other_price, other_quantity, time_ns = fields(number)
            ring.publish(
                Kind.SYNTHETIC, symbol, price, quantity, other_price, other_quantity, time_ns
            )
            if pause_every and number % pause_every == pause_every - 1:
                time.sleep(pause_s)
        ring.close()
        commands.send("done")
