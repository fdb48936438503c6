"""Both ends of each path `bench hotpath` measures, as entry points of separate processes.
Every producer stamps a tick with `time.perf_counter_ns` (CLOCK_MONOTONIC, one clock for
every process on the machine) as it hands it over; every consumer takes its own reading
as it holds the tick, ready to decide, and sends the differences back when done.

- ring: the shared-memory tick ring, read by the busy-poll consumer.
- asyncio_queue: a pipe between the processes; the consumer's event loop wakes on it
  (`add_reader`), puts each tick on an `asyncio.Queue`, and a task awaiting the queue decides.
- thread_queue: the same pipe; a reader thread blocks on it and puts each tick on a
  `queue.Queue`; the main thread blocks on the queue and decides.
- websocket: an aiohttp server in the producer process pushes each tick as a JSON frame
  shaped like the exchange's market data; the consumer's aiohttp client decodes it.
- polling: the same server answers `GET /ticks?after=N`; the consumer asks every 100 ms
  and decides on each tick it finds (a tick waits for the next poll).

Every consumer runs tuned the same way (pinned, SCHED_FIFO and memory locked where
permitted, collector frozen), so the mechanism is the only difference. The ring's and the
pipes' producers wait for their next tick by spinning on the clock, as a low-latency feed
handler polls its network card; the server's producer sleeps in its event loop, which
must stay free to answer. A spinning SCHED_FIFO process is stopped by the kernel's
real-time throttling for the rest of each second once it has used 95 % of it, so the ring
consumer spins in rounds, each followed by a probe of the bare core and a pause; ticks
published meanwhile are passed over rather than measured. The ring consumer also counts
the page faults it took in its measured rounds, which locking its memory should keep at
none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import struct
import threading
import time
from array import array
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any, NamedTuple

import aiohttp
import msgspec
from aiohttp import web

from tradeburst._platform import set_cores
from tradeburst.hotpath import (
    BusyPollConsumer,
    Hiccups,
    Kind,
    RingReader,
    RingWriter,
    Tick,
    measure_hiccups,
    restore,
    tune,
)

__all__ = [
    "pipe_producer",
    "queue_consumer",
    "ring_consumer",
    "ring_producer",
    "server_producer",
    "websocket_consumer",
]

ROUND_TICKS = 1000
ROUND_S = 0.4
"""A round ends at `ROUND_TICKS` or after this long, whichever comes first."""
PROBE_S = 0.1
PAUSE_S = 0.1
POLL_INTERVAL_S = 0.1
_STAMP = struct.Struct("<q")
_PRICE_MILLI = 580_000


class Outcome(NamedTuple):
    """What a consumer process sends back when it is done."""

    latencies: bytes
    """`array("q")` bytes: each tick's latency in ns."""
    notes: list[str]
    realtime: bool
    hiccups: Hiccups | None = None
    """The ring's only: its core probed bare between rounds."""
    unwarmed: bytes | None = None
    """The ring's only: the rounds that did not keep the decision path warm."""
    page_faults: int | None = None
    """The ring's only: page faults the consumer took during its measured rounds."""


def _pin(cpu: int) -> None:
    set_cores(0, {cpu})


def parent_alive() -> bool:
    """Whether the benchmark that started this process still runs: a child orphaned by a
    killed parent stops instead of spinning on for ever."""
    return os.getppid() == _PARENT


_PARENT = os.getppid()
"""The starting process (these are spawned: the module is imported afresh in each)."""


def _spun_ticks(interval_s: float, stop: Event) -> Iterator[None]:
    """Yield once every `interval_s` until `stop` (or the parent is gone), spinning on the
    clock in between, as a feed handler polling its network card does: the producer's
    core never sleeps, so its publishing is not slowed by waking up."""
    clock = time.perf_counter_ns
    interval_ns = int(interval_s * 1e9)
    due = clock()
    while not stop.is_set() and parent_alive():
        yield
        # After a stall the next tick goes at once and the rest keep the interval from
        # it: the ticks missed are not made up in a burst.
        due = max(due + interval_ns, clock())
        while clock() < due:
            pass


def ring_producer(name: str, stop: Event, interval_s: float, cpu: int) -> None:
    _pin(cpu)
    ring = RingWriter.attach(name)
    try:
        for _ in _spun_ticks(interval_s, stop):
            ring.publish(Kind.SYNTHETIC, b"2330", _PRICE_MILLI, 1000)
    finally:
        ring.close()


def ring_consumer(name: str, samples: int, cpu: int, realtime: bool, out: Connection) -> None:
    """Rounds of `ROUND_TICKS`: one to settle in, thrown away, then rounds that keep the
    decision path warm (A) and rounds that do not (B) in the order ABBA ABBA …, so neither
    has the other's start or end. Each round is followed by a probe of the bare core
    (`measure_hiccups`) and a pause."""
    reader = RingReader.attach(name)
    clock = time.perf_counter_ns
    notes: list[str] = []
    probes: list[Hiccups] = []
    granted = False
    faults = 0

    def consumer_into(latencies: array[int], keep_warm: bool) -> BusyPollConsumer:
        def decide(tick: Tick) -> None:
            latencies.append(clock() - tick.stamp_ns)

        def warm(tick: Tick) -> int:
            return clock() - tick.stamp_ns

        return BusyPollConsumer(
            reader, decide, cpu=cpu, realtime=realtime, warm=warm, keep_warm=keep_warm
        )

    def spin_round(consumer: BusyPollConsumer, ticks: int) -> None:
        nonlocal granted, faults
        report = consumer.run(max_ticks=ticks, timeout_s=ROUND_S, fresh=True)
        faults += report.page_faults or 0
        granted = granted or report.realtime
        notes.extend(n for n in report.notes if n not in notes)
        probes.append(measure_hiccups(PROBE_S, cpu=cpu, realtime=realtime))
        time.sleep(PAUSE_S)

    latencies = {True: array("q"), False: array("q")}
    consumers = {keep: consumer_into(latencies[keep], keep) for keep in latencies}
    try:
        spin_round(consumer_into(array("q"), True), ROUND_TICKS)
        probes.clear()
        faults = 0
        for keep in itertools.cycle((True, False, False, True)):
            if min(len(taken) for taken in latencies.values()) >= samples:
                break
            if (short := samples - len(latencies[keep])) > 0:
                spin_round(consumers[keep], min(ROUND_TICKS, short))
        notes.append(f"ring: {reader.missed} ticks missed in {reader.overruns} overruns")
    finally:
        reader.close()
    out.send(
        Outcome(
            latencies[True].tobytes(),
            notes,
            granted,
            hiccups=Hiccups.joined(probes),
            unwarmed=latencies[False].tobytes(),
            page_faults=faults,
        )
    )


def pipe_producer(
    conn: Connection, ready: Event, stop: Event, ticks: int, interval_s: float, cpu: int
) -> None:
    """Ticks start once the consumer is tuned and listening: a pipe keeps what it is
    given, and ticks queued while the consumer starts would measure its start-up."""
    _pin(cpu)
    ready.wait(60)
    try:
        for _ in itertools.islice(_spun_ticks(interval_s, stop), ticks):
            conn.send_bytes(_STAMP.pack(time.perf_counter_ns()))
    except (BrokenPipeError, ConnectionResetError):
        pass


def queue_consumer(
    kind: str,
    conn: Connection,
    ready: Event,
    samples: int,
    cpu: int,
    realtime: bool,
    out: Connection,
) -> None:
    tuning = tune(cpu=cpu, realtime=realtime)
    try:
        if kind == "asyncio_queue":
            latencies = asyncio.run(_asyncio_queue(conn, ready, samples))
        else:
            latencies = _thread_queue(conn, ready, samples)
    finally:
        restore(tuning)
    out.send(Outcome(latencies.tobytes(), tuning.notes, tuning.realtime))


async def _asyncio_queue(conn: Connection, ready: Event, samples: int) -> array[int]:
    ticks: asyncio.Queue[int] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), lambda: ticks.put_nowait(_read_stamp(conn)))
    ready.set()
    latencies = array("q")
    clock = time.perf_counter_ns
    while len(latencies) < samples:
        stamp = await ticks.get()
        latencies.append(clock() - stamp)
    loop.remove_reader(conn.fileno())
    return latencies


def _thread_queue(conn: Connection, ready: Event, samples: int) -> array[int]:
    ticks: queue.SimpleQueue[int] = queue.SimpleQueue()

    def read() -> None:
        for _ in range(samples):
            ticks.put(_read_stamp(conn))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.set()
    latencies = array("q")
    clock = time.perf_counter_ns
    while len(latencies) < samples:
        stamp = ticks.get()
        latencies.append(clock() - stamp)
    reader.join()
    return latencies


def _read_stamp(conn: Connection) -> int:
    stamp: int = _STAMP.unpack(conn.recv_bytes())[0]
    return stamp


def server_producer(
    ports: Connection, stop: Event, ticks: int, interval_s: float, cpu: int
) -> None:
    """An aiohttp server pushing ticks to WebSocket clients and keeping them for polls."""
    _pin(cpu)
    asyncio.run(_serve_ticks(ports, stop, ticks, interval_s))


async def _serve_ticks(ports: Connection, stop: Event, ticks: int, interval_s: float) -> None:
    stamps: list[int] = []
    sockets: list[web.WebSocketResponse] = []
    started = asyncio.Event()
    encode = msgspec.json.Encoder().encode

    async def push(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.append(socket)
        started.set()
        async for _ in socket:
            pass
        return socket

    async def poll(request: web.Request) -> web.Response:
        started.set()
        after = int(request.query.get("after", "0"))
        return web.Response(body=encode(stamps[after:]), content_type="application/json")

    app = web.Application()
    app.router.add_get("/ws", push)
    app.router.add_get("/ticks", poll)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ports.send(runner.addresses[0][1])
    await started.wait()
    loop = asyncio.get_running_loop()
    for seq in range(ticks):
        if stop.is_set():
            break
        stamp = time.perf_counter_ns()
        message = {
            "event": "data",
            "channel": "trades",
            "symbol": "2330",
            "seq": seq + 1,
            "data": {"price_milli": _PRICE_MILLI, "size": 1000, "stamp_ns": stamp},
        }
        stamps.append(stamp)
        for socket in [s for s in sockets if not s.closed]:
            with contextlib.suppress(ConnectionError):
                await socket.send_bytes(encode(message))
        await asyncio.sleep(interval_s)
    await loop.run_in_executor(None, stop.wait, 30)
    await runner.cleanup()


def websocket_consumer(
    kind: str, port: int, samples: int, cpu: int, realtime: bool, out: Connection
) -> None:
    tuning = tune(cpu=cpu, realtime=realtime)
    try:
        work = _websocket if kind == "websocket" else _polling
        latencies = asyncio.run(work(f"http://127.0.0.1:{port}", samples))
    finally:
        restore(tuning)
    out.send(Outcome(latencies.tobytes(), tuning.notes, tuning.realtime))


async def _websocket(url: str, samples: int) -> array[int]:
    decode = msgspec.json.Decoder(dict[str, Any]).decode
    latencies = array("q")
    clock = time.perf_counter_ns
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "/ws") as socket:
        async for message in socket:
            stamp = decode(message.data)["data"]["stamp_ns"]
            latencies.append(clock() - stamp)
            if len(latencies) >= samples:
                break
    return latencies


async def _polling(url: str, samples: int) -> array[int]:
    decode = msgspec.json.Decoder(list[int]).decode
    latencies = array("q")
    clock = time.perf_counter_ns
    seen = 0
    async with aiohttp.ClientSession() as session:
        while len(latencies) < samples:
            async with session.get(url + "/ticks", params={"after": str(seen)}) as response:
                stamps = decode(await response.read())
            now = clock()
            seen += len(stamps)
            latencies.extend(now - stamp for stamp in stamps[: samples - len(latencies)])
            await asyncio.sleep(POLL_INTERVAL_S)
    return latencies
