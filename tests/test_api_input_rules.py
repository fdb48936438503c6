"""What the exchange takes as input, over real HTTP: every route, found in its own
`/openapi.json`, answers invalid UTF-8 in any string field, huge and odd numbers, and
junk in paths and queries below 500; bodies must be declared JSON; prices follow the one
strict rule (`tradeburst.rules.parse_price`), the same for placing and modifying, and the
schema's pattern and the server agree on it."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from tradeburst.exchange import Exchange

from _support import ADMIN, Api, admin_orders, order, place

FULL_ORDER = order(
    price="40.00",
    price_type="Limit",
    time_in_force="ROD",
    market_type="Common",
    order_type="Stock",
    user_def="tag1",
)
SEEDS: dict[str, list[Any]] = {
    "PlaceOrderBody": [FULL_ORDER],
    "BatchBody": [{"orders": [FULL_ORDER, FULL_ORDER]}],
    "ModifyPriceBody": [{"price": "40.05"}, {"price_type": "LimitUp"}],
    "ModifyQuantityBody": [{"quantity": 1000}],
    "BatchCancelBody": [{"order_nos": ["00001", "00002"]}],
    "BatchModifyPriceBody": [
        {"changes": [{"order_no": "00001", "price": "40.05"}]},
        {"changes": [{"order_no": "00001", "price_type": "LimitUp"}]},
    ],
    "BatchModifyQuantityBody": [{"changes": [{"order_no": "00001", "quantity": 1000}]}],
}
"""Valid bodies per request schema, between them filling every field the schema has."""

BAD_UTF8 = [
    b"\xff",
    b"\xc3\x28",  # a lead byte without its continuation
    b"\xc0\xaf",  # an overlong "/"
    b"\xed\xa0\x80",  # a UTF-16 surrogate, encoded
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xe2\x82",  # cut short
]
ODD_NUMBERS = [
    b"1" + b"0" * 400,
    b"-1" + b"0" * 400,
    b"1e999",
    b"-1e999",
    b"1e-999",
    b"18446744073709551616",
    b"-0",
    b"1.5",
    b"0.000000001",
    b"4E1",
]
SLOT = "\x01slot\x01"
_SLOT_JSON = json.dumps(SLOT).encode()


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every leaf of a JSON value."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _with_slot(value: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return SLOT
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _with_slot(value[path[0]], path[1:])
    return copy


def _bodies(seed: Any) -> list[bytes]:
    """`seed` with each leaf in turn replaced by invalid UTF-8 (inside a string, and
    around text) and by huge and odd numbers, byte for byte."""
    bodies = []
    for leaf in _leaves(seed):
        template = json.dumps(_with_slot(seed, leaf)).encode()
        assert template.count(_SLOT_JSON) == 1
        for bad in BAD_UTF8:
            for text in (b'"' + bad + b'"', b'"40' + bad + b'.5"', b'"Buy' + bad + b'"'):
                bodies.append(template.replace(_SLOT_JSON, text))
        for number in ODD_NUMBERS:
            bodies.append(template.replace(_SLOT_JSON, number))
    return bodies


def _string_fields(schema: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """Names of the properties the schema says are strings, at any depth."""
    if "$ref" in schema:
        return _string_fields(_resolved(schema["$ref"], spec), spec)
    names: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        options = [_resolved(o["$ref"], spec) if "$ref" in o else o for o in sub.get("anyOf", [])]
        options.append(_resolved(sub["$ref"], spec) if "$ref" in sub else sub)
        if any(o.get("type") == "string" for o in options):
            names.add(name)
        if sub.get("type") == "array":
            names |= _string_fields(sub["items"], spec)
    return names


def _resolved(ref: str, spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


async def _spec(api: Api) -> dict[str, Any]:
    status, spec = await api.get("/openapi.json")
    assert status == 200
    result: dict[str, Any] = spec
    return result


async def _status(api: Api, method: str, url: URL, raw: bytes | None = None) -> int:
    headers = {**api.headers, "Content-Type": "application/json"}
    async with api.session.request(method, url, headers=headers, data=raw) as response:
        await response.read()
        return response.status


def _target(api: Api, path: str, order_no: str) -> URL:
    return URL(api.url + path.replace("{order_no}", order_no).replace("{symbol}", "2891"))


# -- no 500, whatever the input ----------------------------------------------------------


async def test_every_route_answers_bad_bytes_and_odd_numbers_below_500(
    api: Api, exchange: Exchange
) -> None:
    """Every POST route of the spec, with invalid UTF-8 in each string field and huge or
    odd numbers in each field, byte for byte: never a 500, and nothing placed by any."""
    spec = await _spec(api)
    posts = {p: item["post"] for p, item in spec["paths"].items() if "post" in item}
    assert len(posts) == 8
    placed = await place(api, price="40.00", quantity=50_000)
    server_errors = []
    for path, operation in posts.items():
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
        seeds = SEEDS[schema["schema"]["$ref"].rsplit("/", 1)[-1]] if schema else [{}]
        if schema:
            covered = {leaf[-1] for seed in seeds for leaf in _leaves(seed) if leaf}
            assert _string_fields(schema["schema"], spec) <= covered, path
        for seed in seeds:
            for raw in _bodies(seed):
                url = _target(api, path, placed["order_no"])
                status = await _status(api, "POST", url, raw)
                if status >= 500:
                    server_errors.append((path, raw))
    assert server_errors == []
    admin = Api(api.session, exchange.url, ADMIN)
    assert [r["order_no"] for r in await admin_orders(admin)] == [placed["order_no"]]


JUNK_IN_URLS = ["%FF", "%C3%28", "%ED%A0%80", "%00", "1" * 5000, "%25", "..%2F..", "%E2%82"]


async def test_every_route_answers_junk_in_paths_and_queries_below_500(api: Api) -> None:
    """Every route of the spec, with invalid UTF-8 and odd text percent-encoded into its
    path parameters and query: never a 500."""
    spec = await _spec(api)
    server_errors = []
    for path, item in spec["paths"].items():
        for method in item:
            for junk in JUNK_IN_URLS:
                filled = path.replace("{order_no}", junk).replace("{symbol}", junk)
                query = f"?user_def={junk}&{junk}={junk}"
                url = URL(api.url + filled + query, encoded=True)
                raw = b"{}" if method == "post" else None
                if await _status(api, method.upper(), url, raw) >= 500:
                    server_errors.append((method, filled + query))
    assert server_errors == []


def _invalid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


async def test_any_invalid_bytes_in_any_field_are_400(api: Api, admin: Api) -> None:
    """Hypothesis: any invalid UTF-8 byte string, put inside any string of an order or a
    batch, is a 400 naming UTF-8, and nothing is placed."""
    loop = asyncio.get_running_loop()
    batch = {"orders": [FULL_ORDER]}
    leaves = [("/v1/orders", FULL_ORDER, leaf) for leaf in _leaves(FULL_ORDER)]
    leaves += [("/v1/orders/batch", batch, leaf) for leaf in _leaves(batch)]
    strings = [(p, s, leaf) for p, s, leaf in leaves if leaf[-1] != "quantity"]

    async def send(target: tuple[str, Any, tuple[Any, ...]], bad: bytes) -> None:
        path, seed, leaf = target
        template = json.dumps(_with_slot(seed, leaf)).encode()
        raw = template.replace(_SLOT_JSON, b'"a' + bad + b'"')
        status, answer = await api.post(path, raw=raw)
        assert status == 400, (raw, answer)
        assert "UTF-8" in answer["message"]

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(target=st.sampled_from(strings), bad=st.binary(min_size=1, max_size=8))
    def probe(target: tuple[str, Any, tuple[Any, ...]], bad: bytes) -> None:
        if _invalid_utf8(bad) and b'"' not in bad and b"\\" not in bad:
            asyncio.run_coroutine_threadsafe(send(target, bad), loop).result()

    await asyncio.to_thread(probe)
    assert await admin_orders(admin) == []


# -- declared JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/batch"])
async def test_a_body_not_declared_json_is_415(
    api: Api, admin: Api, content_type: str | None, path: str
) -> None:
    """A valid JSON body sent under another Content-Type (or none) is 415, saying what
    to send, and nothing is placed."""
    body = FULL_ORDER if path == "/v1/orders" else {"orders": [FULL_ORDER]}
    headers = dict(api.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    raw = json.dumps(body).encode()
    async with api.session.post(
        api.url + path, headers=headers, data=raw, skip_auto_headers=["Content-Type"]
    ) as response:
        assert response.status == 415
        assert "application/json" in (await response.json())["message"]
    assert await admin_orders(admin) == []


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
async def test_json_with_its_charset_is_taken(api: Api, content_type: str) -> None:
    """application/json with the UTF-8 charset, or in other letter case, is JSON."""
    headers = {**api.headers, "Content-Type": content_type}
    raw = json.dumps(FULL_ORDER).encode()
    async with api.session.post(api.url + "/v1/orders", headers=headers, data=raw) as response:
        assert response.status == 200


# -- prices -------------------------------------------------------------------------------

BAD_PRICES = ["４０", " 40 ", "40 ", "4e1", "4E+1", "NaN", "Infinity", "+40", "-40", "40.", ".5"]
BAD_PRICES += ["1.2.3", "", "0", "0.00", "40\n", "40,5", "1234567890", "1.1234567", "٤٠"]


@pytest.mark.parametrize("price", BAD_PRICES)
async def test_a_price_not_written_plainly_is_400(api: Api, admin: Api, price: str) -> None:
    """Full-width or Arabic-Indic digits, spaces, exponents, signs, NaN, a bare point,
    zero: 400 on placing, nothing placed."""
    status, answer = await api.post("/v1/orders", order(price=price))
    assert status == 400, answer
    assert "price" in answer["message"]
    assert await admin_orders(admin) == []


@pytest.mark.parametrize("price", ["NaN", "４０", "4e1", " 40.05", "-40.05"])
async def test_modifying_to_a_price_not_written_plainly_is_400(api: Api, price: str) -> None:
    """Modifying to such a price is 400 as placing is, not a 200 refusal."""
    placed = await place(api, price="40.00")
    status, answer = await api.post(
        f"/v1/orders/{placed['order_no']}/modify-price", {"price": price}
    )
    assert status == 400, answer


@pytest.mark.parametrize("price", [40, 40.5, 4e1])
async def test_a_json_number_as_price_is_400(api: Api, admin: Api, price: float) -> None:
    """The schema says a price is a string: a JSON number is refused, not converted."""
    status, answer = await api.post("/v1/orders", order(price=price))  # type: ignore[arg-type]
    assert status == 400, answer
    assert await admin_orders(admin) == []


CANDIDATE_PRICES = [*BAD_PRICES, "40", "40.65", "0.5", "40.00", "999.5", "1000", "40.650"]


@pytest.mark.parametrize("schema_name", ["PlaceOrderBody", "ModifyPriceBody"])
async def test_the_schema_and_the_server_agree_on_prices(api: Api, schema_name: str) -> None:
    """For each candidate price, the server refuses it (400) exactly when the price
    pattern in /openapi.json does not match it (read as ECMA-262 reads it: `$` is the
    end of the text) or it is zero."""
    spec = await _spec(api)
    [string] = [
        o
        for o in spec["components"]["schemas"][schema_name]["properties"]["price"]["anyOf"]
        if o.get("type") == "string"
    ]
    pattern = re.compile(string["pattern"].removesuffix("$") + r"\Z")
    disagreements = []
    for price in CANDIDATE_PRICES:
        schema_says = bool(pattern.match(price)) and float(price) > 0
        if schema_name == "PlaceOrderBody":
            status, _ = await api.post("/v1/orders", order(price=price, quantity=1000))
        else:
            placed = await place(api, price="40.00")
            path = f"/v1/orders/{placed['order_no']}/modify-price"
            status, _ = await api.post(path, {"price": price})
        if (status != 400) != schema_says:
            disagreements.append((price, status, schema_says))
    assert disagreements == []
