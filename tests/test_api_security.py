"""Who may do what, and what bad input gets: keys are checked on every /v1 route, one
account never sees or touches another's orders or events, and malformed bodies are
answered 4xx, never 500, including bodies fuzzed from the server's own OpenAPI spec."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote as url_quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.exchange import Exchange

from _support import KEY_A, KEY_B, Api, admin_orders, order, orders_of, place, post_status, receive

ACCOUNT_ROUTES = [
    ("GET", "/v1/time"),
    ("GET", "/v1/symbols"),
    ("GET", "/v1/quotes/2891"),
    ("GET", "/v1/orders"),
    ("GET", "/v1/fills"),
    ("POST", "/v1/orders"),
    ("POST", "/v1/orders/batch"),
    ("POST", "/v1/orders/00001/cancel"),
]
ADMIN_ROUTES = ["/v1/admin/orders", "/v1/admin/stats"]


async def _call(api: Api, method: str, path: str) -> tuple[int, Any]:
    if method == "GET":
        return await api.get(path)
    return await api.post(path, order())


# -- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
async def test_a_missing_key_is_401(
    session: aiohttp.ClientSession, exchange: Exchange, method: str, path: str
) -> None:
    """Every account route without an Authorization header is 401."""
    status, body = await _call(Api(session, exchange.url, None), method, path)
    assert status == 401
    assert body["is_success"] is False


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
async def test_a_wrong_key_is_401(
    session: aiohttp.ClientSession, exchange: Exchange, method: str, path: str
) -> None:
    """Every account route with an unknown key is 401."""
    status, _ = await _call(Api(session, exchange.url, "not-a-key"), method, path)
    assert status == 401


async def test_a_key_without_the_bearer_scheme_is_401(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """The bare key in the Authorization header, without `Bearer`, is 401."""
    headers = {"Authorization": KEY_A}
    async with session.get(exchange.url + "/v1/orders", headers=headers) as response:
        assert response.status == 401


async def test_a_wrong_key_places_nothing(
    session: aiohttp.ClientSession, exchange: Exchange, admin: Api
) -> None:
    """An order sent with a wrong key does not exist afterwards."""
    await Api(session, exchange.url, "not-a-key").post("/v1/orders", order())
    assert await admin_orders(admin) == []


@pytest.mark.parametrize("path", ADMIN_ROUTES)
async def test_a_wrong_admin_key_is_401(
    session: aiohttp.ClientSession, exchange: Exchange, path: str
) -> None:
    """The admin routes refuse an unknown key."""
    assert (await Api(session, exchange.url, "not-the-admin").get(path))[0] == 401


@pytest.mark.parametrize("path", ADMIN_ROUTES)
async def test_an_account_key_is_not_an_admin_key(api: Api, path: str) -> None:
    """An account's own valid key opens no admin route."""
    assert (await api.get(path))[0] == 401


async def test_the_admin_key_is_not_an_account_key(admin: Api) -> None:
    """The admin key cannot place orders."""
    assert (await admin.post("/v1/orders", order()))[0] == 401


async def test_the_openapi_description_needs_no_key(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """GET /openapi.json is public."""
    status, spec = await Api(session, exchange.url, None).get("/openapi.json")
    assert status == 200
    assert spec["openapi"].startswith("3.")


# -- accounts apart -----------------------------------------------------------------------


async def test_an_account_does_not_see_another_accounts_orders(api: Api, api_b: Api) -> None:
    """Account B's order results do not include A's order, even by A's user_def."""
    await place(api, price="40.00", user_def="SECRET")
    assert await orders_of(api_b) == []
    assert await orders_of(api_b, "SECRET") == []


async def test_an_account_does_not_see_another_accounts_fills(api: Api, api_b: Api) -> None:
    """Fills of A's own trade are not in B's fills."""
    await place(api, side="Sell", price="40.60")
    await place(api, side="Buy", price="40.60")
    status, body = await api_b.get("/v1/fills")
    assert status == 200
    assert body["data"] == []


@pytest.mark.parametrize(
    ("action", "body"),
    [("cancel", None), ("modify-price", {"price": "40.05"}), ("modify-quantity", {"quantity": 0})],
)
async def test_an_account_cannot_change_another_accounts_order(
    api: Api, api_b: Api, action: str, body: Any
) -> None:
    """B's cancel or modify of A's order is 404 and A's order is untouched."""
    placed = await place(api, price="40.00", quantity=2000)
    status, answer = await api_b.post(f"/v1/orders/{placed['order_no']}/{action}", body)
    assert status == 404
    assert answer["is_success"] is False
    [after] = await orders_of(api)
    assert (after["status"], after["after_price"], after["after_qty"]) == (10, "40.00", 2000)


async def test_an_account_does_not_get_another_accounts_stream_events(
    session: aiohttp.ClientSession, exchange: Exchange, api: Api, api_b: Api
) -> None:
    """B's /v1/stream carries B's own order event and never A's, which came first."""
    url = exchange.url + "/v1/stream"
    async with (
        session.ws_connect(url, headers={"Authorization": f"Bearer {KEY_A}"}) as socket_a,
        session.ws_connect(url, headers={"Authorization": f"Bearer {KEY_B}"}) as socket_b,
    ):
        for socket in (socket_a, socket_b):  # `subscribed` proves the subscription exists
            assert (await receive(socket))["event"] == "subscribed"
        await place(api, price="40.00", user_def="FROMA")
        assert (await receive(socket_a))["data"]["user_def"] == "FROMA"
        await place(api_b, price="40.00", user_def="FROMB")
        event = await receive(socket_b)
        assert event["event"] == "order"
        assert event["data"]["user_def"] == "FROMB"


async def test_the_admin_list_shows_every_account(api: Api, api_b: Api, admin: Api) -> None:
    """The admin order list has both accounts' orders."""
    await place(api, price="40.00", user_def="A")
    await place(api_b, price="40.00", user_def="B")
    listed = await admin_orders(admin)
    assert {(r["account"], r["user_def"]) for r in listed} == {("9800001", "A"), ("9800002", "B")}


# -- bad payloads -------------------------------------------------------------------------


def _raw(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


BAD_ORDERS = [
    pytest.param(order(user_def="X" * 65), id="user-def-absurdly-long"),
    pytest.param(b"not json", id="not-json"),
    pytest.param(b"", id="empty-body"),
    pytest.param(b"{", id="truncated"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    pytest.param([order()], id="json-array"),
    pytest.param("2891", id="json-string"),
    pytest.param(None, id="json-null"),
    pytest.param({}, id="empty-object"),
    pytest.param(order(quantity="1000"), id="quantity-as-string"),
    pytest.param(order(quantity=1000.5), id="quantity-as-float"),
    pytest.param(order(quantity=-1000), id="negative-quantity"),
    pytest.param(order(quantity=0), id="zero-quantity"),
    pytest.param(order(quantity=10**30), id="huge-quantity"),
    pytest.param(order(price="forty"), id="price-garbage"),
    pytest.param(order(price=[40]), id="price-list"),
    pytest.param(order(price="NaN"), id="price-nan"),
    pytest.param(order(price="Infinity"), id="price-infinity"),
    pytest.param(order(price="-40.60"), id="price-negative"),
    pytest.param(order(side="Hold"), id="unknown-side"),
    pytest.param(order(symbol=2891), id="symbol-as-number"),
    pytest.param(order(symbol="28 91"), id="symbol-with-space"),
    pytest.param(order(price_type="Stop"), id="unknown-price-type"),
    pytest.param(order(time_in_force="GTC"), id="unknown-tif"),
    pytest.param(order(account="9800002"), id="unknown-field"),
    pytest.param(order(price=None), id="limit-without-price"),
    pytest.param(order(price_type="Market"), id="market-with-price"),
]


@pytest.mark.parametrize("body", BAD_ORDERS)
async def test_a_bad_order_body_is_400(api: Api, admin: Api, body: Any) -> None:
    """A malformed order is 400 with a message, and nothing is placed."""
    status, answer = await api.post("/v1/orders", raw=_raw(body))
    assert status == 400, answer
    assert answer["is_success"] is False
    assert answer["message"]
    assert await admin_orders(admin) == []


@pytest.mark.parametrize("price", ["1e100", 1e100], ids=["string", "number"])
async def test_a_huge_price_is_not_a_server_error(api: Api, price: Any) -> None:
    """An order priced 1e100 is refused as an answer (outside the limits), not a 500."""
    status = await post_status(api, "/v1/orders", order(price=price))
    assert status < 500


async def test_a_failed_placement_leaves_no_phantom_order(api: Api) -> None:
    """After a request that did not place an order, the account has no working order."""
    await post_status(api, "/v1/orders", order(price="1e100"))
    assert [r for r in await orders_of(api) if r["status"] != 90] == []


async def test_a_batch_is_placed_whole_or_not_at_all(api: Api, admin: Api) -> None:
    """A batch whose last order has a huge price is either answered or leaves nothing placed."""
    batch = {"orders": [order(price="40.00"), order(price="1e100")]}
    status = await post_status(api, "/v1/orders/batch", batch)
    placed = await admin_orders(admin)
    assert (status, len(placed)) in {(200, 1), (400, 0)}


BAD_BATCHES = [
    pytest.param({"orders": []}, id="batch-of-0"),
    pytest.param({"orders": [order() for _ in range(31)]}, id="batch-of-31"),
    pytest.param({}, id="no-orders"),
    pytest.param({"orders": order()}, id="orders-not-a-list"),
    pytest.param([order()], id="bare-list"),
    pytest.param({"orders": [order(), "x"]}, id="non-object-item"),
    pytest.param({"orders": [order()], "extra": 1}, id="unknown-field"),
]


@pytest.mark.parametrize("body", BAD_BATCHES)
async def test_a_bad_batch_body_is_400(api: Api, admin: Api, body: Any) -> None:
    """A malformed batch is 400 and places none of its orders."""
    status, _ = await api.post("/v1/orders/batch", body)
    assert status == 400
    assert await admin_orders(admin) == []


BAD_CHANGES = [
    pytest.param("modify-price", b"not json", id="price-not-json"),
    pytest.param("modify-price", {}, id="price-neither-field"),
    pytest.param("modify-price", {"price": "cheap"}, id="price-garbage"),
    pytest.param("modify-price", {"price_type": "Limit"}, id="price-limit-without-price"),
    pytest.param("modify-price", {"price": "40.00", "qty": 1}, id="price-unknown-field"),
    pytest.param("modify-quantity", {}, id="quantity-missing"),
    pytest.param("modify-quantity", {"quantity": -1000}, id="quantity-negative"),
    pytest.param("modify-quantity", {"quantity": "1000"}, id="quantity-as-string"),
    pytest.param("modify-quantity", {"quantity": 10**30}, id="quantity-huge"),
    pytest.param("modify-quantity", [1000], id="quantity-array"),
]


@pytest.mark.parametrize(("action", "body"), BAD_CHANGES)
async def test_a_bad_change_body_is_400(api: Api, action: str, body: Any) -> None:
    """A malformed modify body is 400 and the order is untouched."""
    placed = await place(api, price="40.00", quantity=2000)
    status, _ = await api.post(f"/v1/orders/{placed['order_no']}/{action}", raw=_raw(body))
    assert status == 400
    [after] = await orders_of(api)
    assert (after["status"], after["after_price"], after["after_qty"]) == (10, "40.00", 2000)


@pytest.mark.parametrize("price", ["NaN", "Infinity", "1e100"])
async def test_a_non_finite_new_price_is_not_a_server_error(api: Api, price: str) -> None:
    """modify-price to NaN, Infinity or 1e100 is refused, not a 500."""
    placed = await place(api, price="40.00")
    path = f"/v1/orders/{placed['order_no']}/modify-price"
    assert await post_status(api, path, {"price": price}) < 500


# -- fuzzing from the OpenAPI description -------------------------------------------------


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
"""Any JSON value."""

EDGE_PRICE_TEXTS = [
    "40.60", "40.05", "40.61", "0", "-0", "-1", "1e100", "1E-1000", "NaN", "sNaN",
    "Infinity", "-Infinity", "44.65", "36.55", "0.001", "1e28", " 40.60",
    "99999999999999999999999999999.99",
]  # fmt: skip
EDGE_PRICES = st.sampled_from(EDGE_PRICE_TEXTS)
DECIMAL_TEXT = st.one_of(
    EDGE_PRICES,
    EDGE_PRICES,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=12),
)
"""Strings where a decimal price is expected, valid or not, edge cases first."""

WHOLE_LOTS = st.integers(min_value=0, max_value=600).map(lambda lots: lots * 1000)
"""Share counts the market rules can accept, so a fuzzed body gets past the size check."""

SEED_BODIES = {
    "PlaceOrderBody": order(),
    "BatchBody": {"orders": [order(price="40.00"), order(side="Sell", price="41.00")]},
    "ModifyPriceBody": {"price": "40.05"},
    "ModifyQuantityBody": {"quantity": 1000},
    "BatchCancelBody": {"order_nos": ["00001", "00002"]},
    "BatchModifyPriceBody": {"changes": [{"order_no": "00001", "price": "40.05"}]},
    "BatchModifyQuantityBody": {"changes": [{"order_no": "00001", "quantity": 1000}]},
}
"""A valid body per request schema, for the fuzzer to mutate."""

_DELETE = object()


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def _from_schema(schema: dict[str, Any], spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the schema's shape, with its bounds and patterns stretched a little."""
    schema = _resolve(schema, spec)
    if "anyOf" in schema:
        return st.one_of([_from_schema(s, spec) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return st.fixed_dictionaries(
            {},
            optional={
                name: _from_schema(sub, spec) for name, sub in schema.get("properties", {}).items()
            },
        )
    if kind == "array":
        return st.lists(
            _from_schema(schema.get("items", {}), spec),
            max_size=schema.get("maxItems", 5) + 1,
        )
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum")
        return st.one_of(
            WHOLE_LOTS,
            st.integers(
                min_value=None if low is None else low - 1,
                max_value=None if high is None else high + 1,
            ),
        )
    if kind == "string" and schema.get("format") == "decimal":
        return DECIMAL_TEXT
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True) | st.text(max_size=12)
    if kind == "null":
        return st.none()
    return JSON_VALUES


def _mutants(schema: dict[str, Any], spec: dict[str, Any], seed: Any) -> st.SearchStrategy[Any]:
    """`seed` with up to three fields (at any depth) replaced, removed or added."""
    schema = _resolve(schema, spec)
    if isinstance(seed, dict) and schema.get("type") == "object":
        properties = schema.get("properties", {})

        def value_for(name: str) -> st.SearchStrategy[Any]:
            sub = properties.get(name, {})
            typed = _from_schema(sub, spec)
            options = [typed, typed, typed, JSON_VALUES, st.just(_DELETE)]
            if name in seed:
                options.insert(0, _mutants(sub, spec, seed[name]))
            return st.one_of(options)

        def apply(changes: dict[str, Any]) -> dict[str, Any]:
            body = {**seed, **changes}
            return {k: v for k, v in body.items() if v is not _DELETE}

        names = sorted({*properties, "unknown_field"})
        return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(
            lambda chosen: st.fixed_dictionaries({n: value_for(n) for n in chosen}).map(apply)
        )
    if isinstance(seed, list) and seed and schema.get("type") == "array":
        item = _mutants(schema.get("items", {}), spec, seed[0])
        return st.lists(item, min_size=0, max_size=schema.get("maxItems", 5) + 1)
    return st.one_of(st.just(seed), _from_schema(schema, spec))


def _post_operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {path: item["post"] for path, item in spec["paths"].items() if "post" in item}


def _bodies(operation: dict[str, Any], spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mutated valid bodies mostly, then schema-shaped ones, any JSON and any bytes."""
    anything = st.one_of(JSON_VALUES, st.binary(max_size=40))
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return anything
    seed = SEED_BODIES[schema["$ref"].rsplit("/", 1)[-1]]
    mutated = _mutants(schema, spec, seed)
    return st.one_of(mutated, mutated, mutated, _from_schema(schema, spec), anything)


async def _spec(session: aiohttp.ClientSession, exchange: Exchange) -> dict[str, Any]:
    status, spec = await Api(session, exchange.url, None).get("/openapi.json")
    assert status == 200
    result: dict[str, Any] = spec
    return result


async def test_the_spec_describes_every_order_action(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """The fuzzer reaches place, batch, cancel, both modifies and their batch forms
    through the spec."""
    assert set(_post_operations(await _spec(session, exchange))) == set(FUZZED)


FUZZED = [
    "/v1/orders",
    "/v1/orders/batch",
    "/v1/orders/{order_no}/cancel",
    "/v1/orders/{order_no}/modify-price",
    "/v1/orders/{order_no}/modify-quantity",
    "/v1/orders/batch-cancel",
    "/v1/orders/batch-modify-price",
    "/v1/orders/batch-modify-quantity",
]


@pytest.mark.parametrize("path", FUZZED)
async def test_fuzzed_bodies_never_cause_a_server_error(
    session: aiohttp.ClientSession, exchange: Exchange, path: str
) -> None:
    """Bodies from the spec's schemas, mutated or arbitrary, are answered below 500."""
    spec = await _spec(session, exchange)
    bodies = _bodies(_post_operations(spec)[path], spec)
    order_nos = st.one_of(st.just(None), st.just(None), st.text(min_size=1, max_size=8))
    api = Api(session, exchange.url, KEY_A)
    loop = asyncio.get_running_loop()

    async def send(body: Any, order_no: str | None) -> None:
        target = path
        if "{order_no}" in path:
            if order_no is None:  # a real, working order of this account
                order_no = (await place(api, price="40.00", quantity=5000))["order_no"]
            target = path.replace("{order_no}", url_quote(order_no, safe=""))
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        assert await post_status(api, target, raw=raw) < 500, (target, raw)

    # Hypothesis drives examples synchronously, so it runs in a worker thread and hands
    # each request to the event loop that serves the exchange.
    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(body=bodies, order_no=order_nos)
    def probe(body: Any, order_no: str | None) -> None:
        asyncio.run_coroutine_threadsafe(send(body, order_no), loop).result()

    await asyncio.to_thread(probe)


async def test_garbage_requests_leave_the_server_working(api: Api, admin: Api) -> None:
    """After garbage requests the server still places and lists a normal order."""
    for raw in (b"{", b"[]", b"\x00", b'{"symbol": null}'):
        await api.post("/v1/orders", raw=raw)
    placed = await place(api, price="40.00")
    assert [r["order_no"] for r in await admin_orders(admin)] == [placed["order_no"]]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/batch"])
async def test_a_body_not_in_its_content_encoding_is_400(
    session: aiohttp.ClientSession, exchange: Exchange, admin: Api, path: str, encoding: str
) -> None:
    """A body its Content-Encoding header lies about cannot be read: 400, nothing placed."""
    headers = {"Authorization": f"Bearer {KEY_A}", "Content-Encoding": encoding}
    async with session.post(exchange.url + path, data=b"not compressed", headers=headers) as r:
        assert r.status == 400, await r.text()
        assert (await r.json())["message"].startswith("invalid body")
    assert await admin_orders(admin) == []


# -- one field at a time: boundary values swept through the spec -------------------------


EDGE_INTEGERS = [-1, 0, 1, 999, 1000, 1500, 499_000, 500_000, 10**9, 10**9 + 1, 2**63, 10**30]
EDGE_STRINGS = ["", " ", "A" * 11, "A" * 100, "中信", "a-b", "2891", "9999", "\x00"]
TYPE_CONFUSERS = [None, True, 1.5, -1, "x", [], {}, [None], {"a": 1}]


def _edges(schema: dict[str, Any], spec: dict[str, Any], seed: Any) -> list[Any]:
    """Boundary values for one field of `schema`, and values of every other JSON type."""
    schema = _resolve(schema, spec)
    values: list[Any] = list(TYPE_CONFUSERS)
    for option in schema.get("anyOf", [schema]):
        option = _resolve(option, spec)
        kind = option.get("type")
        if "enum" in option:
            values += [*option["enum"], "", option["enum"][0].upper()]
        elif kind == "integer":
            values += EDGE_INTEGERS
        elif kind == "string" and option.get("format") == "decimal":
            values += EDGE_PRICE_TEXTS
        elif kind == "string":
            values += EDGE_STRINGS
        elif kind == "array" and isinstance(seed, list) and seed:
            values += [[], seed[:1] * 30, seed[:1] * 31]
    return values


def _swept_bodies(schema: dict[str, Any], spec: dict[str, Any], seed: Any) -> list[Any]:
    """`seed` with one field (at any depth) set to each of its edges, or removed."""
    schema = _resolve(schema, spec)
    bodies: list[Any] = []
    if isinstance(seed, dict):
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            bodies.append({k: v for k, v in seed.items() if k != name})
            bodies += [{**seed, name: value} for value in _edges(sub, spec, seed.get(name))]
            if name in seed and isinstance(seed[name], list | dict):
                inner = _swept_bodies(sub, spec, seed[name])
                bodies += [{**seed, name: value} for value in inner]
        bodies.append({**seed, "unknown_field": 1})
    elif isinstance(seed, list) and seed:
        item = schema.get("items", {})
        bodies += [[value, *seed[1:]] for value in _swept_bodies(item, spec, seed[0])]
    return bodies


SWEPT = [
    "/v1/orders",
    "/v1/orders/batch",
    "/v1/orders/{order_no}/modify-price",
    "/v1/orders/{order_no}/modify-quantity",
]


@pytest.mark.parametrize("path", SWEPT)
async def test_boundary_values_in_each_field_never_cause_a_server_error(
    session: aiohttp.ClientSession, exchange: Exchange, path: str
) -> None:
    """A valid body with any one field at a boundary or of the wrong type is answered < 500."""
    spec = await _spec(session, exchange)
    content = _post_operations(spec)[path]["requestBody"]["content"]
    schema = content["application/json"]["schema"]
    bodies = _swept_bodies(schema, spec, SEED_BODIES[schema["$ref"].rsplit("/", 1)[-1]])
    assert len(bodies) > 20
    api = Api(session, exchange.url, KEY_A)
    server_errors = []
    for body in bodies:
        target = path
        if "{order_no}" in path:
            order_no = (await place(api, price="40.00", quantity=5000))["order_no"]
            target = path.replace("{order_no}", order_no)
        status = await post_status(api, target, raw=json.dumps(body).encode())
        if status >= 500:
            server_errors.append(body)
    assert server_errors == []


async def _status_for_raw_authorization(exchange: Exchange, path: str, value: bytes) -> int:
    """HTTP status of a GET whose Authorization header carries `value` byte for byte."""
    host, port = exchange.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: " + value + b"\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize("path", ["/v1/time", "/v1/admin/stats"])
@pytest.mark.parametrize(
    "value",
    [b"Bearer \xff\xfe", b"Bearer \xed\xa0\x80", "Bearer 中信".encode(), b"Basic abc", b"Bearer"],
)
async def test_a_strange_authorization_header_is_401(
    exchange: Exchange, path: str, value: bytes
) -> None:
    """Undecodable, non-ASCII or wrong-scheme keys are refused with 401, never a 500."""
    assert await _status_for_raw_authorization(exchange, path, value) == 401


async def test_fuzzed_authorization_headers_never_cause_a_server_error(exchange: Exchange) -> None:
    """Any bytes in the Authorization header get a 4xx answer."""
    loop = asyncio.get_running_loop()
    header_bytes = st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(value=header_bytes)
    def probe(value: bytes) -> None:
        status = asyncio.run_coroutine_threadsafe(
            _status_for_raw_authorization(exchange, "/v1/orders", b"Bearer " + value), loop
        ).result()
        assert 400 <= status < 500

    await asyncio.to_thread(probe)
