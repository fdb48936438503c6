"""The memory reference of `bench engine`: one thread per order, each with its own blocking
`http.client` connection, all started at once, as a thread-per-order client is written.
Run as `python -m tradeburst.bench._thread_client URL KEY ORDERS.csv`; it prints how many
orders failed (10,000 connections at once overflow a listen queue; a failure still costs
its thread, which is what is measured)."""

from __future__ import annotations

import csv
import http.client
import json
import sys
import threading
from urllib.parse import urlsplit


def _send(host: str, port: int, key: str, body: bytes, failures: list[str]) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        _post(connection, key, body, failures)
    except OSError as exc:
        failures.append(type(exc).__name__)
    finally:
        connection.close()


def _post(
    connection: http.client.HTTPConnection, key: str, body: bytes, failures: list[str]
) -> None:
    connection.request(
        "POST",
        "/v1/orders",
        body=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        failures.append(f"HTTP {answer.status}")


def main(url: str, key: str, orders_path: str) -> int:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with open(orders_path, encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    failures: list[str] = []
    threads = []
    for row in rows:
        body = json.dumps(
            {
                "symbol": row["symbol"],
                "buy_sell": row["side"],
                "quantity": int(row["quantity"]),
                "price": row["price"],
            }
        ).encode()
        thread = threading.Thread(target=_send, args=(host, port, key, body, failures))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    print(len(failures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
