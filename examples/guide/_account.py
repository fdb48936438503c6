"""Shared by the three cases: log in as a Fubon user does, with the credentials from the
environment (under `tradeburst rehearse` any will do: the account is the exchange's)."""

import os

from fubon_neo.sdk import FubonSDK


def login():
    """The SDK and the first account, or exit with the reason."""
    sdk = FubonSDK(30, 2, os.environ.get("FUBON_URL", "wss://neoapitest.fbs.com.tw/TASP/XCPXWS"))
    accounts = sdk.login(
        os.environ.get("FUBON_ID", "A123456789"),
        os.environ.get("FUBON_PASSWORD", "12345678"),
        os.environ.get("FUBON_CERT", "cert.pfx"),
        os.environ.get("FUBON_CERT_PASSWORD", "12345678"),
    )
    if not accounts.is_success:
        raise SystemExit(f"login failed: {accounts.message}")
    return sdk, accounts.data[0]
