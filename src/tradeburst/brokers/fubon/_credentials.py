"""Fubon login secrets: a personal id with a password or an API key, a `.pfx` certificate
and its password (an API key without a certificate logs in with `apikey_dma_login`), read
from the environment or from a TOML file only its owner can read (on Windows, which does not
report who may read a file: one outside shared folders); the file may also name
the trading `url`.

The file's keys and the variables (`TRADEBURST_FUBON_*`) carry the same names; a
variable fills in what the file leaves out. Every problem names where it is (the file,
the key or the variable). The values never appear in a repr, a log or an error.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tradeburst._inputs import FUBON_CONFIG_MAX_BYTES, InputFileError, read_input
from tradeburst._platform import private_file_problem
from tradeburst.errors import TradeburstError

__all__ = ["CredentialsError", "FubonCredentials", "load_credentials"]

_KEYS = ("personal_id", "password", "api_key", "cert_path", "cert_password", "account", "url")
_ENV = {
    "personal_id": "TRADEBURST_FUBON_ID",
    "password": "TRADEBURST_FUBON_PASSWORD",
    "api_key": "TRADEBURST_FUBON_API_KEY",
    "cert_path": "TRADEBURST_FUBON_CERT",
    "cert_password": "TRADEBURST_FUBON_CERT_PASSWORD",
    "account": "TRADEBURST_FUBON_ACCOUNT",
}


class CredentialsError(TradeburstError, ValueError):
    """The secrets are missing, unreadable, or readable by others; `where` names the
    file, key or variable."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class FubonCredentials:
    personal_id: str
    cert_path: Path | None
    """None: an API key logged in without a certificate (`apikey_dma_login`)."""
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    cert_password: str | None = field(default=None, repr=False)
    """None: the certificate's default password (the SDK's own default)."""
    account: str | None = None
    """Which of the login's accounts to trade; None takes the only stock account."""
    url: str | None = None
    """The trading URL the config file names, if it does."""

    def __post_init__(self) -> None:
        if (self.password is None) == (self.api_key is None):
            raise CredentialsError("credentials", "give exactly one of password and api_key")
        if self.password is not None and self.cert_path is None:
            raise CredentialsError("credentials", "a password login needs a certificate")

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be printed: for checks that it was not."""
        return tuple(s for s in (self.password, self.api_key, self.cert_password) if s)


def load_credentials(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> FubonCredentials:
    """The credentials from `path` (a 0600 TOML file), completed from the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    source: dict[str, str] = {}
    if path is not None:
        for key, value in _read_file(path).items():
            values[key] = value
            source[key] = f"{path}: {key}"
    for key, variable in _ENV.items():
        if key not in values and env.get(variable):
            values[key] = env[variable]
            source[key] = variable
    if "personal_id" not in values:
        raise CredentialsError(
            "credentials",
            f"no personal id: set {_ENV['personal_id']} or personal_id in the credentials file",
        )
    if ("password" in values) == ("api_key" in values):
        raise CredentialsError(
            "credentials",
            f"give exactly one of a password ({_ENV['password']}) and an API key "
            f"({_ENV['api_key']}), in the environment or the credentials file",
        )
    if "cert_path" not in values and "password" in values:
        raise CredentialsError(
            "credentials",
            f"no certificate: set {_ENV['cert_path']} or cert_path in the credentials file "
            "(only an API key logs in without one)",
        )
    cert = None
    if "cert_path" in values:
        cert = Path(values["cert_path"]).expanduser()
        if not cert.is_file():
            raise CredentialsError(source["cert_path"], f"no certificate file at {cert}")
    return FubonCredentials(
        personal_id=values["personal_id"],
        cert_path=cert,
        password=values.get("password"),
        api_key=values.get("api_key"),
        cert_password=values.get("cert_password"),
        account=values.get("account"),
        url=values.get("url"),
    )


def _read_file(path: Path) -> dict[str, str]:
    where = str(path)
    try:
        mode = path.stat().st_mode
        text = read_input(path, FUBON_CONFIG_MAX_BYTES).decode("utf-8")
    except InputFileError as exc:
        raise CredentialsError(where, f"cannot read it: it {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(where, f"cannot read it ({exc})") from None
    problem = private_file_problem(path, mode)
    if problem is not None:
        raise CredentialsError(where, problem)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CredentialsError(where, f"not TOML ({exc})") from None  # names line and column
    except RecursionError:
        raise CredentialsError(where, "not credentials: nested too deeply") from None
    values: dict[str, str] = {}
    for key, value in data.items():
        if key not in _KEYS:
            raise CredentialsError(
                f"{where}: {key}", f"unknown key; the keys are {', '.join(_KEYS)}"
            )
        if not isinstance(value, str) or not value:
            raise CredentialsError(f"{where}: {key}", "must be a non-empty string")
        values[key] = value
    return values
