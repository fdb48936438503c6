"""Decoding a request body as fast as it can be, and exactly as strictly as its wire type
says. msgspec checks a string field's `pattern` through Python's `re` at a cost of a few
microseconds each; two of them made most of the decoding of an order. `BodyDecoder` decodes
into a copy of the type without patterns (a subclass of it, so the handlers see the type
they expect), then applies each pattern itself as msgspec does (`re.search`), remembering
the texts that passed (a burst repeats its symbols and prices). Whatever that fast path
does not accept, the strict decoder decodes again: a refusal's message is msgspec's own,
naming the field, and a body the strict type takes is never refused.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import msgspec

__all__ = ["BodyDecoder"]

T = TypeVar("T")

Check = Callable[[Any], bool]
"""Whether a decoded value keeps the patterns its type's copy left out."""

_SEEN_TEXTS = 4096
"""Texts remembered per pattern as having passed it; past that they are searched anew."""

_KEPT_CONSTRAINTS = (
    "gt",
    "ge",
    "lt",
    "le",
    "multiple_of",
    "min_length",
    "max_length",
    "tz",
)


class BodyDecoder(Generic[T]):
    """Decodes JSON bytes as `kind`, raising exactly what `msgspec.json.decode` raises."""

    def __init__(self, kind: type[T]) -> None:
        self._strict: msgspec.json.Decoder[T] = msgspec.json.Decoder(kind)
        lenient, check = _without_patterns(kind)
        self._fast: msgspec.json.Decoder[T] | None = (
            msgspec.json.Decoder(lenient) if check is not None else None
        )
        self._check = check

    def decode(self, raw: bytes) -> T:
        fast, check = self._fast, self._check
        if fast is None or check is None:
            return self._strict.decode(raw)
        try:
            value = fast.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return self._strict.decode(raw)  # raises the strict decoder's own message
        if check(value):
            return value
        return self._strict.decode(raw)


def _without_patterns(kind: Any) -> tuple[Any, Check | None]:
    """`kind` with every string pattern left out, and the check that applies them; `kind`
    itself and None where it has none (or is of a shape left strict)."""
    origin = typing.get_origin(kind)
    if origin is Annotated:
        return _annotated(kind.__origin__, list(kind.__metadata__))
    if origin in (typing.Union, types.UnionType):
        return _optional(kind)
    if origin is list:
        (item,) = typing.get_args(kind)
        lenient, check = _without_patterns(item)
        if check is None:
            return kind, None
        return list[lenient], _each(check)  # type: ignore[valid-type]
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return _struct(kind)
    return kind, None


def _annotated(base: Any, metas: list[Any]) -> tuple[Any, Check | None]:
    lenient_base, base_check = _without_patterns(base)
    patterns = [m.pattern for m in metas if isinstance(m, msgspec.Meta) and m.pattern]
    if not patterns and base_check is None:
        return Annotated[(base, *metas)], None
    kept = [m for m in map(_without_pattern, metas) if m is not None]
    checks: list[Check] = [_Pattern(p) for p in patterns]
    if base_check is not None:
        checks.append(base_check)
    lenient = Annotated[(lenient_base, *kept)] if kept else lenient_base
    return lenient, checks[0] if len(checks) == 1 else _all(checks)


def _without_pattern(meta: Any) -> Any:
    """`meta` without its pattern (None if nothing that decoding checks is left)."""
    if not isinstance(meta, msgspec.Meta):
        return meta
    kept = {name: getattr(meta, name) for name in _KEPT_CONSTRAINTS}
    kept = {name: value for name, value in kept.items() if value is not None}
    return msgspec.Meta(**kept) if kept else None


def _optional(kind: Any) -> tuple[Any, Check | None]:
    args = typing.get_args(kind)
    others = [arg for arg in args if arg is not type(None)]
    if len(others) != 1 or len(args) != 2:
        return kind, None
    lenient, check = _without_patterns(others[0])
    if check is None:
        return kind, None
    if isinstance(check, _Pattern):
        return typing.Optional[lenient], _Pattern(check.pattern, optional=True)  # noqa: UP045
    return typing.Optional[lenient], (lambda value: value is None or check(value))  # noqa: UP045


def _struct(kind: type[msgspec.Struct]) -> tuple[Any, Check | None]:
    hints = typing.get_type_hints(kind, include_extras=True)
    changed: list[tuple[str, Any, Any]] = []
    checks: list[tuple[str, set[str | None] | None, Check]] = []
    for field in msgspec.structs.fields(kind):
        lenient, check = _without_patterns(hints[field.name])
        if check is None:
            continue
        # A text that passed before passes at once, looked up here rather than in a call.
        checks.append((field.name, check.passed if isinstance(check, _Pattern) else None, check))
        if field.default_factory is not msgspec.NODEFAULT:
            changed.append(
                (field.name, lenient, msgspec.field(default_factory=field.default_factory))
            )
        else:
            changed.append((field.name, lenient, field.default))
    if not checks:
        return kind, None
    fields = [
        (name, tp) if default is msgspec.NODEFAULT else (name, tp, default)
        for name, tp, default in changed
    ]
    lenient_kind = msgspec.defstruct(
        f"Lenient{kind.__name__}",
        fields,
        bases=(kind,),
        kw_only=True,  # decoded only, never built by position
        forbid_unknown_fields=kind.__struct_config__.forbid_unknown_fields,
    )

    def check_fields(value: Any) -> bool:
        for name, passed, check in checks:  # a loop, not all(): no generator per body
            field_value = getattr(value, name)
            if passed is not None and field_value in passed:
                continue
            if not check(field_value):
                return False
        return True

    return lenient_kind, check_fields


def _each(check: Check) -> Check:
    def check_each(values: list[Any]) -> bool:
        for value in values:  # noqa: SIM110 (a loop: no generator made per body)
            if not check(value):
                return False
        return True

    return check_each


def _all(checks: list[Check]) -> Check:
    def check_all(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 (a loop: no generator made per body)
            if not check(value):
                return False
        return True

    return check_all


class _Pattern:
    """One pattern, applied as msgspec applies it (`re.search`), with the texts that
    passed remembered in `passed` (None too, where the field is optional)."""

    def __init__(self, pattern: str, *, optional: bool = False) -> None:
        self.pattern = pattern
        self._search = re.compile(pattern).search
        self.passed: set[str | None] = {None} if optional else set()

    def __call__(self, text: Any) -> bool:
        if text in self.passed:
            return True
        if type(text) is not str or self._search(text) is None:
            return False
        if len(self.passed) < _SEEN_TEXTS:
            self.passed.add(text)
        return True
