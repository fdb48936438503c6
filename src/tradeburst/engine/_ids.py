"""Client order ids, carried in `user_def` (at most 10 letters or digits).

An id is a 6-character run id and a 4-character sequence number, both base 36. The run id
is the two-second slot of the exchange day the run started in (3 characters cover a day)
and 3 random characters, so two runs on one account started in the same two seconds still
differ with odds of 46,655 in 46,656; the engine also asks the broker, before sending,
whether the day already has an order with this run id, and draws again if so. The
sequence covers 36⁴ = 1,679,616 orders a run.
"""

from __future__ import annotations

import secrets

__all__ = ["MAX_ORDERS_PER_RUN", "RUN_ID_LEN", "client_order_id", "new_run_id", "run_of"]

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
RUN_ID_LEN = 6
_SEQ_LEN = 4
MAX_ORDERS_PER_RUN = 36**_SEQ_LEN
_SLOT_NS = 2_000_000_000
_SLOTS_PER_DAY = 43_200


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 36)
        digits.append(_DIGITS[rest])
    if number:
        raise ValueError(f"does not fit in {width} base-36 digits")
    return "".join(reversed(digits))


def new_run_id(day_ns: int) -> str:
    """A run id for a run starting `day_ns` nanoseconds into the exchange day."""
    slot = (day_ns // _SLOT_NS) % _SLOTS_PER_DAY
    return _base36(slot, 3) + "".join(secrets.choice(_DIGITS) for _ in range(3))


def client_order_id(run_id: str, seq: int) -> str:
    """The `user_def` of the run's `seq`-th order (0-based)."""
    if not 0 <= seq < MAX_ORDERS_PER_RUN:
        raise ValueError(f"a run holds at most {MAX_ORDERS_PER_RUN} orders")
    return run_id + _base36(seq, _SEQ_LEN)


def run_of(user_def: str) -> str:
    """The run a client order id belongs to (its first characters)."""
    return user_def[:RUN_ID_LEN]
