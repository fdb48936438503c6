"""A PostgreSQL cluster of the tests' own: `initdb` into a temporary folder and `pg_ctl`
on a free loopback port, started once per test session and stopped after. Run as the
`postgres` user when the tests run as root (PostgreSQL refuses to run as root). Where the
binaries are missing, the tests that need them skip, saying how to install them.

TCP connections need a password (scram-sha-256), so a URL's password is really used;
`database(name)` gives each test a fresh database."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PASSWORD", "USER", "PostgresServer", "postgres"]

PG_BIN = Path(os.environ.get("TRADEBURST_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "tradeburst"
PASSWORD = "pg-secret-5d1e-never-printed"
START_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class PostgresServer:
    port: int
    folder: Path
    as_user: tuple[str, ...]

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def database(self, name: str) -> str:
        """A fresh, empty database `name`; its URL (with the password)."""
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _psql(self, statement: str) -> None:
        subprocess.run(
            [*self.as_user, str(PG_BIN / "psql"), "-h", str(self.folder), "-p", str(self.port),
             "-U", USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
            check=True, capture_output=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _runner() -> tuple[str, ...]:
    """How to run the server's commands: as `postgres` when we are root."""
    if os.geteuid() != 0:
        return ()
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root needs a postgres user: apt-get install -y postgresql")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root needs runuser (util-linux) to start PostgreSQL")
    return (runuser, "-u", "postgres", "--")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(
            f"PostgreSQL 15 binaries not found in {PG_BIN}: apt-get install -y postgresql "
            "(or set TRADEBURST_PG_BIN)"
        )
    as_user = _runner()
    folder = Path(tempfile.mkdtemp(prefix="tradeburst-pg-"))
    if as_user:
        shutil.chown(folder, "postgres", "postgres")
    data, secret = folder / "data", folder / "password"
    secret.write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(secret, "postgres", "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True,
                              timeout=START_TIMEOUT_S, check=False)  # fmt: skip
        if done.returncode != 0:
            log = folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}\n{tail}")

    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={secret}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")  # fmt: skip
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c max_connections=50")  # fmt: skip
    run(str(PG_BIN / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(folder / "server.log"),
        "-o", options)  # fmt: skip
    try:
        yield PostgresServer(port=port, folder=folder, as_user=as_user)
    finally:
        stop = [*as_user, str(PG_BIN / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data)]
        subprocess.run(stop, capture_output=True, timeout=START_TIMEOUT_S, check=False)
        shutil.rmtree(folder, ignore_errors=True)
