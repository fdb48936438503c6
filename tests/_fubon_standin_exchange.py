"""What stands behind the stand-in SDK (`_fubon_standin`): the rehearsal exchange over
blocking HTTP (loopback only) and its account stream of fills, and the log files the real
SDK writes in its current folder at each login, secrets included."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websocket


class Exchange:
    """Blocking JSON over HTTP/1.1 keep-alive, one connection per calling thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "the stand-in stays on loopback"
        self.host, self.port = parts.hostname, parts.port or 80
        self.key = ""
        self._local = threading.local()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._local.connection = connection
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        payload = None if body is None else json.dumps(body).encode()
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._local.connection = None
            raise ValueError(f"IO error: {type(exc).__name__}: {exc}") from None
        if status in (204, 503) or status >= 500:
            raise ValueError(f"IO error: the server answered HTTP {status}")
        return status, json.loads(raw)

    def follow_fills(self, on_fill: Callable[[dict[str, Any]], None]) -> websocket.WebSocket | None:
        """The account stream, each fill's JSON handed to `on_fill` on a thread of its own;
        None when the stream cannot be opened."""
        url = f"ws://{self.host}:{self.port}/v1/stream"
        try:
            socket = websocket.create_connection(
                url, header=[f"Authorization: Bearer {self.key}"], timeout=10
            )
        except Exception:
            return None
        threading.Thread(target=_read_fills, args=(socket, on_fill), daemon=True).start()
        return socket


def _read_fills(socket: websocket.WebSocket, on_fill: Callable[[dict[str, Any]], None]) -> None:
    socket.settimeout(None)
    while True:
        try:
            message = json.loads(socket.recv())
        except Exception:
            return
        if message.get("event") == "filled":
            on_fill(message["data"])


def write_sdk_log(personal_id: str, key: str) -> None:
    """What the real SDK writes in its current folder at each login."""
    folder = Path("log")
    folder.mkdir(exist_ok=True)
    day = date.today().strftime("%Y%m%d")
    request = json.dumps({"_oprn": "AthMFAAUTHN", "auin": key, "ptid": personal_id})
    line = base64.b64encode(f"DEBUG login request {request}".encode()).decode()
    with (folder / f"program.log.{day}").open("a", encoding="ascii") as out:
        out.write(line + "\n")
    with (folder / f"client.log.{day}").open("a", encoding="utf-8") as out:
        out.write(f"{time.strftime('%H:%M:%S')} login {personal_id}\n")
