"""`sdk.accounting` of the stand-in SDK (`_fubon_standin`): what the account holds, from the
rehearsal exchange's positions, as SDK 2.3.1's `UnrealizedData` (cost price a float,
profit and loss whole TWD, a short as Sell). The call goes through the SDK object's `run`,
holding the GIL as the real query does."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from fubon_neo.constant import BSAction, OrderType

from _fubon_standin_objects import Obj, result

if TYPE_CHECKING:
    from _fubon_standin import StandinSDK


class Accounting:
    def __init__(self, sdk: StandinSDK) -> None:
        self._sdk = sdk

    def unrealized_gains_and_loses(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "unrealized_gains_and_loses", True, lambda: self._unrealized(*args, **kwargs)
        )

    def _unrealized(self, account: Any) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/positions")
        if status != 200:
            return result(False, answer.get("message"))
        rows = []
        for held in answer["data"]:
            shares, cost = held["shares"], float(held["average_cost"])
            last = float(held["last_price"] or held["average_cost"])
            gain = int((last - cost) * shares)
            rows.append(Obj(
                "UnrealizedData", date=date.today().strftime("%Y/%m/%d"), account="9800001",
                branch_no="6460", stock_no=held["stock_no"],
                buy_sell=BSAction.Buy if shares > 0 else BSAction.Sell,
                order_type=OrderType.Stock, cost_price=cost, tradable_qty=abs(shares),
                today_qty=abs(shares), unrealized_profit=max(gain, 0),
                unrealized_loss=max(-gain, 0),
            ))  # fmt: skip
        return result(True, None, rows)
