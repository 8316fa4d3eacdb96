"""A small JSON-schema-like validator in plain Python, for the contract's payloads.

Why not the jsonschema package: the contract needs a dozen rules (types, lengths, patterns, choices,
required fields, no unknown fields, a couple of cross-field rules), and a readable Python schema is
easier to keep in step with docs/connector-contract.md than a JSON document plus a dependency.

Problems name the field's path and a code, never the value: payloads carry children's details, and
problems are logged, sent back in 422 answers and kept with dead-lettered deliveries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Problem:
    path: str
    code: str  # required, unknown_field, wrong_type, empty, too_long, too_short, invalid, not_allowed,
    #            too_many, too_few

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code}

    def __str__(self) -> str:
        return f"{self.path}: {self.code}"


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


class Field(ABC):
    def __init__(self, *, required: bool = True, nullable: bool = False):
        self.required = required
        self.nullable = nullable

    def check(self, value, path: str, problems: list[Problem]) -> None:
        if value is None:
            if not self.nullable:
                problems.append(Problem(path, "required"))
            return
        self.check_value(value, path, problems)

    @abstractmethod
    def check_value(self, value, path: str, problems: list[Problem]) -> None:
        """Each kind of field checks a present value its own way."""


class Str(Field):
    def __init__(
        self,
        max_length: int = 200,
        *,
        min_length: int = 1,
        pattern: str | None = None,
        choices: Sequence[str] | None = None,
        check: Callable[[str], bool] | None = None,
        **kw,
    ):
        super().__init__(**kw)
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = frozenset(choices) if choices is not None else None
        self.extra_check = check

    def check_value(self, value, path, problems):
        if not isinstance(value, str):
            problems.append(Problem(path, "wrong_type"))
            return
        if len(value.strip()) < self.min_length:
            problems.append(Problem(path, "empty" if not value.strip() else "too_short"))
            return
        if len(value) > self.max_length:
            problems.append(Problem(path, "too_long"))
            return
        if self.choices is not None and value not in self.choices:
            problems.append(Problem(path, "not_allowed"))
            return
        if self.pattern is not None and not self.pattern.fullmatch(value):
            problems.append(Problem(path, "invalid"))
            return
        if self.extra_check is not None and not self.extra_check(value):
            problems.append(Problem(path, "invalid"))


class Bool(Field):
    def check_value(self, value, path, problems):
        if not isinstance(value, bool):
            problems.append(Problem(path, "wrong_type"))


class Int(Field):
    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kw):
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def check_value(self, value, path, problems):
        # bool is a subclass of int in Python; true/false is not a number in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(Problem(path, "wrong_type"))
        elif (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            problems.append(Problem(path, "not_allowed"))


class Const(Field):
    def __init__(self, value, **kw):
        super().__init__(**kw)
        self.value = value

    def check_value(self, value, path, problems):
        if type(value) is not type(self.value) or value != self.value:
            problems.append(Problem(path, "not_allowed"))


class IsoDate(Field):
    """A calendar date as YYYY-MM-DD."""

    _SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

    def check_value(self, value, path, problems):
        if not isinstance(value, str):
            problems.append(Problem(path, "wrong_type"))
            return
        try:
            if not self._SHAPE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            problems.append(Problem(path, "invalid"))


class IsoDateTime(Field):
    """An ISO 8601 date and time with a UTC offset (a time without one is ambiguous)."""

    def check_value(self, value, path, problems):
        if not isinstance(value, str):
            problems.append(Problem(path, "wrong_type"))
            return
        try:
            if len(value) > 40:
                raise ValueError
            parsed = datetime.fromisoformat(value)
        except ValueError:
            problems.append(Problem(path, "invalid"))
            return
        if parsed.tzinfo is None:
            problems.append(Problem(path, "invalid"))


class UuidStr(Field):
    def check_value(self, value, path, problems):
        if not isinstance(value, str):
            problems.append(Problem(path, "wrong_type"))
            return
        try:
            if len(value) != 36 or str(uuid.UUID(value)) != value.lower():
                raise ValueError
        except ValueError:
            problems.append(Problem(path, "invalid"))


class Array(Field):
    def __init__(self, item: Field, *, min_items: int = 0, max_items: int = 100, **kw):
        super().__init__(**kw)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def check_value(self, value, path, problems):
        if not isinstance(value, list):
            problems.append(Problem(path, "wrong_type"))
            return
        if len(value) < self.min_items:
            problems.append(Problem(path, "too_few"))
        if len(value) > self.max_items:
            problems.append(Problem(path, "too_many"))
            return
        for index, item in enumerate(value):
            self.item.check(item, _join(path, index), problems)


Rule = Callable[[dict, str, list[Problem]], None]


class Obj(Field):
    """An object with known fields. Unknown fields are refused unless allow_extra.

    `rules` are cross-field checks, run only when the fields themselves are well formed.
    """

    def __init__(self, fields: dict[str, Field], *, allow_extra: bool = False, rules: Sequence[Rule] = (), **kw):
        super().__init__(**kw)
        self.fields, self.allow_extra, self.rules = fields, allow_extra, tuple(rules)

    def check_value(self, value, path, problems):
        if not isinstance(value, dict):
            problems.append(Problem(path or "$", "wrong_type"))
            return
        before = len(problems)
        for name, field in self.fields.items():
            if name not in value:
                if field.required:
                    problems.append(Problem(_join(path, name), "required"))
                continue
            field.check(value[name], _join(path, name), problems)
        if not self.allow_extra:
            for name in value:
                if name not in self.fields:
                    # The name of an unknown field is echoed only if it looks like a field name.
                    shown = name if isinstance(name, str) and re.fullmatch(r"[a-z_]{1,40}", name) else "?"
                    problems.append(Problem(_join(path, shown), "unknown_field"))
        if len(problems) == before:
            for rule in self.rules:
                rule(value, path, problems)


def validate(schema: Field, data) -> list[Problem]:
    problems: list[Problem] = []
    schema.check(data, "", problems)
    return problems
