"""A real `redis-server` for the shared-throttle tests: started once per session on a free
port in a temporary folder, with no persistence (`--save '' --appendonly no`), stopped
after. Each test gets a database of its own, emptied, as a `redis://` URL. Where the
binary is missing the tests skip, saying how to install it (`.ci/run` installs it, so CI
never skips them)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

INSTALL = "redis-server is not installed: apt-get install -y redis-server"
START_TIMEOUT_S = 10.0
DATABASES = 64


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One `redis-server` process on 127.0.0.1; `restart` keeps its port, loses its data."""

    def __init__(self, directory: Path, bind: str = "127.0.0.1") -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip(INSTALL)
        self.binary = binary
        self.directory = directory
        self.bind = bind
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._next_db = 0

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", self.bind, "--protected-mode", "no",
             "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--databases", str(DATABASES)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(redis.RedisError):
                if self.client().ping():
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {self.log()[-2000:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host=self.bind, port=self.port, db=db, socket_timeout=2.0)

    def fresh_url(self) -> str:
        """A database no other test used, emptied: `redis://127.0.0.1:PORT/DB`."""
        db = self._next_db % DATABASES
        self._next_db += 1
        self.client(db).flushdb()
        return f"redis://127.0.0.1:{self.port}/{db}"

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="tradeburst-redis-") as directory:
        server = RedisServer(Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.fresh_url()
