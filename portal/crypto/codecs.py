"""How each supported Python type becomes bytes before encryption, and back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

JSON = "json"


@dataclass(frozen=True)
class Codec:
    name: str
    check: Callable[[Any], bool]
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]
    # JSON values are mutable: each read decodes a fresh copy, so that changing a returned dict
    # in place cannot look saved when it is not (assign a new value to change it).
    immutable: bool = True


def _dump_datetime(value: datetime) -> bytes:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to an encrypted field; use an aware UTC datetime")
    return value.astimezone(timezone.utc).isoformat().encode()


def _dump_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


CODECS = {
    str: Codec("str", lambda v: isinstance(v, str), lambda v: v.encode(), lambda b: b.decode()),
    bytes: Codec("bytes", lambda v: isinstance(v, (bytes, bytearray)), bytes, bytes),
    date: Codec(
        "date",
        lambda v: isinstance(v, date) and not isinstance(v, datetime),
        lambda v: v.isoformat().encode(),
        lambda b: date.fromisoformat(b.decode()),
    ),
    datetime: Codec(
        "datetime",
        lambda v: isinstance(v, datetime),
        _dump_datetime,
        lambda b: datetime.fromisoformat(b.decode()),
    ),
    int: Codec(
        "int",
        lambda v: isinstance(v, int) and not isinstance(v, bool),
        lambda v: str(v).encode(),
        lambda b: int(b.decode()),
    ),
    bool: Codec("bool", lambda v: isinstance(v, bool), lambda v: b"1" if v else b"0", lambda b: b == b"1"),
    JSON: Codec(
        "json",
        lambda v: isinstance(v, (dict, list, str, int, float, bool)),
        _dump_json,
        lambda b: json.loads(b.decode()),
        immutable=False,
    ),
}
CODECS[dict] = CODECS[JSON]
CODECS[list] = CODECS[JSON]


def codec_for(python_type) -> Codec:
    try:
        return CODECS[python_type]
    except (KeyError, TypeError):
        raise TypeError(
            "encrypted() takes str, bytes, date, datetime, int, bool, dict, list or 'json'"
        ) from None
