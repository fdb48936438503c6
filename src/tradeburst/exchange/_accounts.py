"""Accounts of the rehearsal exchange and the API keys that open them.

Each API key is one account. Keys are looked up by comparing against every known key in
constant time, so neither a match nor its position leaks through timing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["HOUSE", "Account", "KeyRing", "new_key"]

BRANCH_NO = "6460"


@dataclass(frozen=True, slots=True)
class Account:
    account: str
    branch_no: str = BRANCH_NO


HOUSE = Account("HOUSE")
"""The background liquidity provider; it has no key and is hidden from the admin order list."""


def new_key() -> str:
    return secrets.token_urlsafe(24)


class KeyRing:
    """Maps API keys to accounts (numbered 9800001, 9800002, … in key order)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._entries: list[tuple[bytes, Account]] = []
        for index, key in enumerate(keys, start=1):
            if not key:
                raise ValueError("an API key cannot be empty")
            self._entries.append((key.encode(), Account(f"98{index:05d}")))
        if len({key for key, _ in self._entries}) != len(self._entries):
            raise ValueError("API keys must be distinct")

    @property
    def accounts(self) -> list[Account]:
        return [account for _, account in self._entries]

    def account_for(self, key: str) -> Account | None:
        # Header values arrive decoded leniently; undecodable bytes must not raise.
        presented = key.encode("utf-8", "surrogateescape")
        found: Account | None = None
        for known, account in self._entries:
            if hmac.compare_digest(known, presented):
                found = account
        return found
