"""Order requests after a rush's opening go as pre-built bytes too: `PrebuiltPosts` borrows
an idle keep-alive connection of the client's pool for one POST, writes the whole request
(its head made once per path, the body `Broker.prepare` encoded) in one `write`, and hands
back the `OpeningLane` whose small reader takes the answer and returns the connection to
the pool. Profiled over a burst of single orders, aiohttp's request path (a request and a
response object, a task to write the body, headers merged per request, a read timer
re-armed per read) was most of the client's CPU an order, more than the engine's own
decisions. The connection is borrowed, never opened beside the pool: the broker counts
connections. Where none is idle, or the one borrowed has closed, nothing is written and the
caller sends the usual way, through aiohttp, which opens or waits for one."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

from tradeburst.brokers._opening import OpeningLane, borrow_idle, complete_request, request_head

__all__ = ["PrebuiltPosts"]

CACHED_HEADS = 8
"""Request heads kept: the order and batch paths come first and stay; a cancel's or a
change's path names its order, so it is built each time rather than kept forever."""


class PrebuiltPosts:
    """POSTs to the exchange at `url` with `headers` (the API key among them: the built
    requests are never logged)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self._authority = parts.netloc
        self._base_path = parts.path
        self._headers = headers
        self._heads: dict[str, bytes] = {}

    def request(self, path: str, body: bytes) -> bytes:
        head = self._heads.get(path)
        if head is None:
            head = request_head(self._authority, self._base_path + path, self._headers)
            if len(self._heads) < CACHED_HEADS:
                self._heads[path] = head
        return complete_request(head, body)

    async def write(
        self, session: aiohttp.ClientSession, path: str, body: bytes
    ) -> OpeningLane | None:
        """The lane the request went out on, its answer to be read; None where nothing
        was written (no connection idle, or it closed)."""
        connection = await borrow_idle(session)
        if connection is None:
            return None
        lane = OpeningLane(connection, self.request(path, body))
        if not lane.write():
            lane.release()
            return None
        return lane
