"""The config file: it alone supplies the exchange's URL and key to `fire`; a flag wins
over it and it wins over the built-in default; `~/.config/tradeburst/config.toml` is read
when the folder has none; unknown keys, bad values and secrets are refused naming the
file and the key; `tradeburst config` says where each setting comes from, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradeburst.cli import app
from tradeburst.exchange import Exchange

from _engine_support import run_cli, write_orders
from _support import KEY_A, Api, orders_of

runner = CliRunner()


def _key_file(folder: Path) -> Path:
    key = folder / "key.txt"
    key.write_text(KEY_A)
    key.chmod(0o600)
    return key


async def test_a_config_file_alone_supplies_the_url_and_the_key(
    exchange: Exchange, api: Api, tmp_path: Path
) -> None:
    """No --url, no key option, no environment: tradeburst.toml in the folder has both
    (the key file named relative to it), and the orders reach the exchange."""
    _key_file(tmp_path)
    (tmp_path / "tradeburst.toml").write_text(
        f'url = "{exchange.url}"\napi_key_file = "key.txt"\n', encoding="utf-8"
    )
    source = write_orders(tmp_path / "orders.csv", 3)
    done = await run_cli("fire", str(source), cwd=tmp_path)
    assert done.returncode == 0, done.output
    assert len(await orders_of(api)) == 3


def test_a_flag_wins_over_the_file_and_the_file_over_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`realtime_ms = 6000` in the file is over the default --delayed-ms, so `fire` stops
    before any connection; with `--realtime-ms 100` it goes on to the file's URL (where
    nothing listens)."""
    config = tmp_path / "elsewhere" / "my.toml"
    config.parent.mkdir()
    _key_file(config.parent)
    config.write_text('url = "http://127.0.0.1:9"\napi_key_file = "key.txt"\nrealtime_ms = 6000\n')
    source = write_orders(tmp_path / "orders.csv", 2)
    monkeypatch.chdir(tmp_path)
    env = {"TRADEBURST_URL": None, "TRADEBURST_API_KEY": None, "COLUMNS": "200"}
    refused = runner.invoke(app, ["--config", str(config), "fire", str(source)], env=env)
    assert refused.exit_code == 2, refused.output
    assert "--delayed-ms" in refused.output and "6000" in refused.output
    flagged = runner.invoke(
        app, ["--config", str(config), "fire", str(source), "--realtime-ms", "100"], env=env
    )
    assert flagged.exit_code == 2, flagged.output
    assert "--delayed-ms" not in flagged.output
    assert "127.0.0.1:9" in flagged.output


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('urll = "http://127.0.0.1:1"\n', "unknown key 'urll' (did you mean url?)"),
        ("[fubon]\ntimeout = 3\n", "unknown key 'fubon.timeout'"),
        ("[fire]\nat = '09:00:00'\n", "unknown key 'fire.at'"),
        ("[bench]\nurl = 'x'\n", "unknown key 'bench.url'"),
        ('max_orders = "many"\n', "max_orders:"),
        ('api_key = "k"\n', "api_key: secrets are not kept here"),
        ('throttle = "redis://u:S3CRET@h:6379/0"\n', "throttle: passwords are not kept here"),
        ('[fire]\njournal = "postgresql://u:p/w@h/db"\n', "fire.journal: passwords are not"),
        ("url = \n", "not TOML"),
    ],
)
def test_a_bad_config_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, named: str
) -> None:
    """Exit 2, the file's name and the key in the message, no traceback."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tradeburst.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["config"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    flat = " ".join(result.output.replace("│", " ").split())
    assert "tradeburst.toml" in flat and named in flat
    assert "Traceback" not in result.output
    assert "S3CRET" not in result.output and "p/w" not in result.output


def test_config_says_where_each_setting_comes_from_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home config is read when the folder has none; a setting from the environment
    says so; the API key is masked; unset ones are the built-in defaults."""
    home = tmp_path / "home"
    config = home / ".config" / "tradeburst" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('profile = "shioaji"\n[rush]\njson_path = "r.json"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {"HOME": str(home), "TRADEBURST_API_KEY": "secret-key-value",
           "TRADEBURST_URL": "http://127.0.0.1:4321", "COLUMNS": "200",
           "TRADEBURST_THROTTLE": "redis://bot:pa/ss-value@127.0.0.1:6379/0"}  # fmt: skip
    result = runner.invoke(app, ["config"], env=env)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines()
            if line.count("│") == 4}  # fmt: skip
    assert f"config file: {config}" in result.output
    assert str(config) in rows["profile"] and "shioaji" in rows["profile"]
    assert "environment TRADEBURST_URL" in rows["url"]
    assert "****" in rows["api_key"]
    assert "secret-key-value" not in result.output
    assert "redis://bot@127.0.0.1:6379/0" in rows["throttle"] and "ss-value" not in result.output
    assert "built-in default" in rows["max_orders"]
    assert "r.json" in rows["rush.json_path"]
