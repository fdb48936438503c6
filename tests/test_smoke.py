"""The exchange answers a first order over real HTTP."""

from _support import Api, order


async def test_a_limit_order_is_accepted(api: Api) -> None:
    """A valid limit order gets status 10 and an order number."""
    status, body = await api.post("/v1/orders", order(user_def="A1"))
    assert status == 200
    assert body["is_success"] is True
    assert body["data"]["status"] == 10
    assert body["data"]["order_no"]
