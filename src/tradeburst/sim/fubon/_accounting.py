"""`sdk.accounting.inventories` and `sdk.accounting.unrealized_gains_and_loses`, from the
day's fills at the rehearsal exchange (its accounts hold nothing overnight): per symbol
and order type, what was bought and sold today, the position that leaves, its average
cost and its gain or loss at the last trade (the reference price before the first).
Money is whole TWD, computed in `Decimal`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from tradeburst.model import Side
from tradeburst.sim.fubon import constant
from tradeburst.sim.fubon._objects import Inventory, InventoryOdd, UnrealizedData, result
from tradeburst.sim.fubon._session import Session
from tradeburst.sim.fubon._transport import CallFailed
from tradeburst.wire import FilledData, Quote

__all__ = ["Accounting"]


@dataclass(slots=True)
class _Position:
    bought: int = 0
    bought_twd: Decimal = Decimal(0)
    sold: int = 0
    sold_twd: Decimal = Decimal(0)

    @property
    def held(self) -> int:
        return self.bought - self.sold


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Accounting:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _positions(self) -> tuple[str, dict[tuple[str, str], _Position]]:
        answer = self._session.request("GET", "/v1/fills")
        if not answer.get("is_success"):
            raise CallFailed(str(answer.get("message")))
        positions: dict[tuple[str, str], _Position] = defaultdict(_Position)
        day = ""
        for fill in msgspec.convert(answer["data"], list[FilledData]):
            day = fill.date
            position = positions[(fill.stock_no, fill.order_type.value)]
            value = fill.filled_price * fill.filled_qty
            if fill.buy_sell is Side.BUY:
                position.bought += fill.filled_qty
                position.bought_twd += value
            else:
                position.sold += fill.filled_qty
                position.sold_twd += value
        return day, positions

    def inventories(self, account: Any) -> Any:
        try:
            day, positions = self._positions()
        except CallFailed as exc:
            return result(False, str(exc))
        account_no = getattr(account, "account", None)
        branch = getattr(account, "branch_no", None)
        rows = [
            Inventory(
                date=day,
                account=account_no,
                branch_no=branch,
                stock_no=symbol,
                order_type=getattr(constant.OrderType, order_type),
                lastday_qty=0,
                buy_qty=p.bought,
                buy_filled_qty=p.bought,
                buy_value=_whole(p.bought_twd),
                today_qty=p.held,
                tradable_qty=max(p.held, 0),
                sell_qty=p.sold,
                sell_filled_qty=p.sold,
                sell_value=_whole(p.sold_twd),
                odd=InventoryOdd(
                    lastday_qty=0,
                    buy_qty=0,
                    buy_filled_qty=0,
                    buy_value=0,
                    today_qty=0,
                    tradable_qty=0,
                    sell_qty=0,
                    sell_filled_qty=0,
                    sell_value=0,
                ),
            )
            for (symbol, order_type), p in sorted(positions.items())
        ]
        return result(True, None, rows)

    def unrealized_gains_and_loses(self, account: Any) -> Any:
        try:
            day, positions = self._positions()
            rows = []
            for (symbol, order_type), p in sorted(positions.items()):
                if p.held == 0:
                    continue
                rows.append(self._unrealized(account, day, symbol, order_type, p))
        except CallFailed as exc:
            return result(False, str(exc))
        return result(True, None, rows)

    def _unrealized(
        self, account: Any, day: str, symbol: str, order_type: str, p: _Position
    ) -> Any:
        answer = self._session.request("GET", f"/v1/quotes/{symbol}")
        if not answer.get("is_success"):
            raise CallFailed(str(answer.get("message")))
        quote = msgspec.convert(answer["data"], Quote)
        mark = quote.last_price if quote.last_price is not None else quote.reference_price
        long = p.held > 0
        cost = (p.bought_twd / p.bought) if long else (p.sold_twd / p.sold)
        gain = (mark - cost) * p.held
        return UnrealizedData(
            date=day,
            account=getattr(account, "account", None),
            branch_no=getattr(account, "branch_no", None),
            stock_no=symbol,
            buy_sell=constant.BSAction.Buy if long else constant.BSAction.Sell,
            order_type=getattr(constant.OrderType, order_type),
            cost_price=float(cost.quantize(Decimal("0.0001"))),
            tradable_qty=abs(p.held),
            today_qty=abs(p.held),
            unrealized_profit=_whole(max(gain, Decimal(0))),
            unrealized_loss=_whole(max(-gain, Decimal(0))),
        )
