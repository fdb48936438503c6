"""The shared throttle's connection to Redis: the Lua scripts (shipped beside this module
in `lua/`), one account's keys under one `{account}` hash tag (so a cluster keeps them on
one node and every script stays atomic), the wake-ups published on the account's channel,
and what an unreachable server means.

At the start Redis must answer, or `ThrottleUnreachable` (nothing is sent). Mid-run a call
that cannot reach it is tried again for the URL's `grace_s` (a restart), then
`ThrottleLost`: sending stops; nothing ever falls back to a throttle of this process only.
Every script answers from the server's clock; nothing here reads the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from importlib.resources import files
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from tradeburst.engine._throttle_url import ThrottleLost, ThrottleUnreachable, ThrottleUrl

__all__ = ["SCRIPTS", "AccountKeys", "RedisLink"]

log = logging.getLogger(__name__)

SCRIPTS = ("acquire", "release", "renew", "block", "arm", "connections")
CALL_TIMEOUT_S = 1.0
RETRY_PAUSE_S = 0.05
LISTEN_RETRY_S = 0.25


class AccountKeys:
    """One account's keys and channel, all under its `{account}` hash tag."""

    def __init__(self, account: str) -> None:
        tag = account.replace("{", "(").replace("}", ")")
        self.prefix = prefix = f"tradeburst:{{{tag}}}:"
        self.epoch = prefix + "epoch"
        self.blocked = prefix + "blocked"
        self.tickets = prefix + "tickets"
        self.queue = prefix + "queue"
        self.waiters = prefix + "waiters"
        self.connections = prefix + "connections"
        self.channel = prefix + "wake"

    def slots(self, limit_class: str) -> str:
        return f"{self.prefix}slots:{limit_class}"


class RedisLink:
    """One process's connection to the shared throttle's Redis."""

    def __init__(self, url: ThrottleUrl) -> None:
        self.url = url
        self._client = aioredis.Redis(
            host=url.host, port=url.port, db=url.db, username=url.username,
            password=url.password, ssl=url.tls, socket_timeout=CALL_TIMEOUT_S,
            socket_connect_timeout=CALL_TIMEOUT_S, retry=Retry(NoBackoff(), 0),
        )  # fmt: skip
        lua = files("tradeburst.engine").joinpath("lua")
        self._scripts = {
            name: self._client.register_script(lua.joinpath(f"{name}.lua").read_text("utf-8"))
            for name in SCRIPTS
        }
        self._out_since = 0.0
        """Monotonic time since when calls have failed; 0 while Redis answers."""
        self.lost: ThrottleLost | None = None
        self.closing = False
        """Set when closing: `listen` ends at its next read's timeout."""

    async def open(self) -> tuple[str, int]:
        """Check Redis answers; its run id and uptime in seconds."""
        try:
            return await self._server()
        except (RedisError, OSError) as exc:
            await self.aclose()
            raise ThrottleUnreachable(
                f"the shared throttle at {self.url.shown} cannot be reached: {_said(exc)}"
            ) from None

    async def server(self) -> tuple[str, int]:
        """Redis's run id (new at every start) and uptime, trying again within the grace."""
        run_id, uptime_s = await self._retrying(self._server)
        return str(run_id), int(uptime_s)

    async def run(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run one script, trying again within the grace while Redis is out of reach."""
        function = self._scripts[script]
        return await self._retrying(lambda: function(keys=list(keys), args=list(args)))

    async def forget(self, key: str, members: Sequence[str]) -> None:
        """Remove `members` from `key` if Redis answers at once (closing: no grace)."""
        if members and self.lost is None:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await asyncio.wait_for(self._client.zrem(key, *members), CALL_TIMEOUT_S)

    async def listen(self, channel: str, heard: Callable[[], None]) -> None:
        """Call `heard` at each message on `channel`, until closing; subscribe again after
        Redis was out of reach (waiters poll meanwhile). A pub/sub read may swallow its
        cancellation, hence the short reads and the `closing` flag."""
        while not self.closing:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(channel)
                while not self.closing:
                    if await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2):
                        heard()
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(LISTEN_RETRY_S)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), 0.5)  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        # A server out of reach has nothing to close.
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self._client.aclose(), CALL_TIMEOUT_S)

    async def _server(self) -> tuple[str, int]:
        info = await self._client.info("server")
        return str(info["run_id"]), int(info["uptime_in_seconds"])

    async def _retrying(self, call: Any) -> Any:
        if self.lost is not None:
            raise self.lost
        while True:
            try:
                answer = await call()
            except ResponseError:
                raise  # a script's own error: a bug, never a reason to wait
            except (RedisError, OSError) as exc:
                now = time.monotonic()
                self._out_since = self._out_since or now
                if now - self._out_since >= self.url.grace_s:
                    self.lost = ThrottleLost(
                        f"the shared throttle at {self.url.shown} was out of reach for "
                        f"{self.url.grace_s:g} s ({_said(exc)}); sending stopped"
                    )
                    raise self.lost from None
                log.info("shared throttle out of reach (%s); trying again", _said(exc))
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            self._out_since = 0.0
            return answer


def _said(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
