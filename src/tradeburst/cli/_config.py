"""The config file: defaults for the commands' options, read from `--config PATH`, else
`tradeburst.toml` in the current folder, else `~/.config/tradeburst/config.toml` (the
first found; none is fine).

    url = "http://127.0.0.1:8765"
    api_key_file = "key.txt"       # relative paths are from the file's folder
    profile = "fubon"
    max_orders = 500
    [fubon]                        # the --fubon-* options, without the prefix
    config = "fubon.toml"
    [rush]                         # a table named after a command: for that command only
    json_path = "out/rush.json"

A key is an option's parameter name (`--max-run-notional` is `max_run_notional`; `--json`
is `json_path`); a top-level key applies to every command that has that option. Values
become click's `default_map` on the root context, so the commands' option definitions do
not change: a flag, or the option's environment variable, still wins over the file, and
the file wins over the built-in default. Every key and value is checked against the
commands' real parameters when the file is read: an unknown key, or a value the option
would refuse, is a usage error naming the file and the key (exit 2). Secrets have no key:
the API key comes from the environment or `api_key_file` (0600), and a URL's password from
the environment, never from this file.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup, TyperOption

from tradeburst._inputs import InputFileError, read_input
from tradeburst._shown_urls import without_password

__all__ = [
    "CONFIG_MAX_BYTES",
    "ConfigOption",
    "LoadedConfig",
    "find_config",
    "load_config",
    "loaded_config",
]

CONFIG_MAX_BYTES = 1024 * 1024
LOCAL_NAME = "tradeburst.toml"
SECRETS = frozenset({"api_key", "admin_key", "api_keys"})
"""Options whose values are secrets: refused in the file."""
_META = "tradeburst.config"

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=f"Defaults for the options, from this TOML file (else ./{LOCAL_NAME}, else "
        "~/.config/tradeburst/config.toml).",
        show_default=False,
    ),
]


@dataclass(slots=True, kw_only=True)
class LoadedConfig:
    path: Path | None
    """The file read; None when there was none."""
    values: dict[str, Any] = field(default_factory=dict)
    """Each setting as written, `fubon.config` and `rush.json_path` style, checked."""
    default_map: dict[str, Any] = field(default_factory=dict)


def find_config(given: Path | None) -> Path | None:
    if given is not None:
        return given
    for candidate in (Path(LOCAL_NAME), Path.home() / ".config" / "tradeburst" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def loaded_config(ctx: typer.Context) -> LoadedConfig:
    """What the root callback read (an empty config when it did not run)."""
    found = ctx.find_root().meta.get(_META)
    return found if isinstance(found, LoadedConfig) else LoadedConfig(path=None)


def load_config(ctx: typer.Context, config: ConfigOption = None) -> None:
    """The root callback: read the file and make it the commands' defaults."""
    loaded = LoadedConfig(path=find_config(config))
    if loaded.path is not None:
        document = _read(loaded.path)
        root = ctx.command
        assert isinstance(root, TyperGroup)
        loaded.default_map = _default_map(root, document, loaded, ctx)
    ctx.meta[_META] = loaded
    ctx.default_map = loaded.default_map


def _read(path: Path) -> dict[str, Any]:
    try:
        text = read_input(path, CONFIG_MAX_BYTES).decode("utf-8")
    except InputFileError as exc:
        raise _problem(path, f"cannot read it: it {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(path, f"cannot read it ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _problem(path, f"not TOML ({exc})") from None  # names line and column
    except RecursionError:
        raise _problem(path, "nested too deeply") from None


def _problem(path: Path, reason: str) -> typer.BadParameter:
    return typer.BadParameter(f"config file {path}: {reason}", param_hint="--config")


def _options(command: object) -> dict[str, TyperOption]:
    params = getattr(command, "params", [])
    return {p.name: p for p in params if isinstance(p, TyperOption) and p.name}


def _all_options(group: TyperGroup) -> dict[str, TyperOption]:
    """Every option of every command under `group`, by parameter name (the first found)."""
    found: dict[str, TyperOption] = {}
    for command in group.commands.values():
        inner = _all_options(command) if isinstance(command, TyperGroup) else {}
        for name, option in {**_options(command), **inner}.items():
            found.setdefault(name, option)
    return found


def _default_map(
    group: TyperGroup, document: dict[str, Any], loaded: LoadedConfig, ctx: typer.Context
) -> dict[str, Any]:
    """Check `document` against the commands under `group` and build their default map."""
    path = loaded.path
    assert path is not None
    shared: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    known = _all_options(group)
    for key, value in document.items():
        if key == "fubon" and isinstance(value, dict):
            for inner, setting in value.items():
                name = f"fubon_{inner}"
                _check(path, f"fubon.{inner}", name, setting, known, ctx)
                shared[name] = _resolved(path, known[name], setting)
                loaded.values[f"fubon.{inner}"] = setting
        elif key in group.commands and isinstance(value, dict):
            tables[key] = value
        else:
            _check(path, key, key, value, known, ctx)
            shared[key] = _resolved(path, known[key], value)
            loaded.values[key] = value
    return _per_command(group, shared, tables, loaded, ctx, prefix="")


def _per_command(
    group: TyperGroup,
    shared: dict[str, Any],
    tables: dict[str, dict[str, Any]],
    loaded: LoadedConfig,
    ctx: typer.Context,
    *,
    prefix: str,
) -> dict[str, Any]:
    path = loaded.path
    assert path is not None
    result: dict[str, Any] = {}
    for name, command in group.commands.items():
        own = tables.get(name, {})
        if isinstance(command, TyperGroup):
            for key, value in own.items():
                if key not in command.commands or not isinstance(value, dict):
                    raise _problem(
                        path,
                        f"unknown key '{prefix}{name}.{key}': a table of "
                        f"{name}'s commands ({', '.join(command.commands)})",
                    )
            result[name] = _per_command(command, shared, own, loaded, ctx,
                                        prefix=f"{prefix}{name}.")  # fmt: skip
            continue
        options = _options(command)
        values = {k: v for k, v in shared.items() if k in options}
        for key, value in own.items():
            _check(path, f"{prefix}{name}.{key}", key, value, options, ctx)
            values[key] = _resolved(path, options[key], value)
            loaded.values[f"{prefix}{name}.{key}"] = value
        if values:
            result[name] = values
    return result


def _check(
    path: Path,
    where: str,
    name: str,
    value: Any,
    options: dict[str, TyperOption],
    ctx: typer.Context,
) -> None:
    """`name` is an option of these commands and `value` one it takes, or a usage error
    naming the file and the key."""
    if name in SECRETS:
        raise _problem(path, f"{where}: secrets are not kept here; use TRADEBURST_API_KEY "
                             "or api_key_file (mode 0600)")  # fmt: skip
    if isinstance(value, str) and without_password(value) != value:
        raise _problem(path, f"{where}: passwords are not kept here; give the URL without it "
                             "and set PGPASSWORD (a journal), or give the whole URL in "
                             "TRADEBURST_THROTTLE (a throttle)")  # fmt: skip
    option = options.get(name)
    if option is None:
        close = difflib.get_close_matches(name, list(options), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _problem(path, f"unknown key {where!r}{hint}")
    if isinstance(value, dict | list) and not option.multiple:
        raise _problem(path, f"{where}: a single value, not a {type(value).__name__}")
    try:
        option.process_value(ctx, _resolved(path, option, value))
    except typer.BadParameter as exc:
        raise _problem(path, f"{where}: {exc.message}") from None


def _resolved(path: Path, option: TyperOption, value: Any) -> Any:
    """A relative path in the file is relative to the file's folder, not to where the
    command runs."""
    if option.type_descriptor.is_path and isinstance(value, str) and value:
        if value != "-" and not Path(value).expanduser().is_absolute():
            return str(path.parent / value)
        return str(Path(value).expanduser()) if value != "-" else value
    return value
