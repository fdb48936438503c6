"""Orders on a warm socket: complete HTTP/1.1 `POST /v1/orders` requests built before the
market moves (headers, key and JSON body as bytes), and one keep-alive TCP connection to
the exchange opened and used once ahead of time, so a decision costs one `send` and no
connection setup, no JSON encoding, no header building. The answer is read after the
send, off the measured path. The requests hold the API key: they are never logged."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import msgspec

__all__ = ["OrderWire", "build_order_request"]

_ANSWER_TIMEOUT_S = 10.0


def build_order_request(host: str, port: int, api_key: str, order: dict[str, object]) -> bytes:
    """One whole request: request line, headers and body, ready for `send`."""
    body = msgspec.json.encode(order)
    head = (
        f"POST /v1/orders HTTP/1.1\r\nHost: {_authority(host, port)}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


def _authority(host: str, port: int) -> str:
    """`host:port` for a Host header: an IPv6 address goes in brackets (RFC 9110)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class OrderWire:
    """A warm connection and the pre-built requests it fires, in order."""

    def __init__(self, url: str, api_key: str, orders: Sequence[dict[str, object]]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._requests = [build_order_request(self.host, self.port, api_key, o) for o in orders]
        self._warmup = (
            f"GET /v1/time HTTP/1.1\r\nHost: {_authority(self.host, self.port)}\r\n"
            f"Authorization: Bearer {api_key}\r\n\r\n"
        ).encode("ascii")
        self._next = 0
        self._pending = b""
        self._socket: socket.socket | None = None

    @property
    def remaining(self) -> int:
        return len(self._requests) - self._next

    def connect(self) -> None:
        """Open the connection and use it once, so its setup is paid before the market."""
        self._socket = socket.create_connection((self.host, self.port))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.sendall(self._warmup)
        status, _ = self.answer()
        if status != 200:
            raise ConnectionError(f"the exchange answered the warm-up with HTTP {status}")

    def fire(self) -> int:
        """Send the next pre-built order; the `perf_counter_ns` at which the kernel had it."""
        assert self._socket is not None, "connect() first"
        request = self._requests[self._next]
        self._next += 1
        self._socket.sendall(request)
        return time.perf_counter_ns()

    def answer(self) -> tuple[int, bytes]:
        """Read one answer: its HTTP status and body."""
        assert self._socket is not None, "connect() first"
        self._socket.settimeout(_ANSWER_TIMEOUT_S)
        try:
            head = self._read_until_headers()
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(self._pending) < length:
                self._pending += self._recv()
            body, self._pending = self._pending[:length], self._pending[length:]
        finally:
            self._socket.settimeout(None)
        return status, body

    def _read_until_headers(self) -> bytes:
        while b"\r\n\r\n" not in self._pending:
            self._pending += self._recv()
        head, self._pending = self._pending.split(b"\r\n\r\n", 1)
        return head

    def _recv(self) -> bytes:
        assert self._socket is not None
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the exchange closed the order connection")
        return chunk

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> OrderWire:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
