"""Normalisation of values before they are blind-indexed (and before candidates are compared).

`text` (names and other words):
  1. Unicode NFKC (full-width letters, ligatures and compatibility forms become plain ones);
  2. accents removed (NFKD, combining marks dropped): "Zoë" matches "Zoe";
  3. case-folded (Unicode casefold, so "STRASSE" matches "straße");
  4. apostrophes (' ’ ‘ ʼ `) removed: "O'Brien" matches "OBrien" and "O’Brien";
  5. every other punctuation or symbol character becomes a space: "Smith-Jones" matches
     "Smith Jones";
  6. runs of whitespace become one space, and leading and trailing whitespace is removed.

`compact` (identifiers: UPN, NHS number, postcode): NFKC, case-folded, and every whitespace,
punctuation and symbol character removed: "943 476 5919" matches "9434765919", "sw1a 1aa"
matches "SW1A1AA".

Dates are written as ISO 8601 (YYYY-MM-DD); integers in decimal; anything else is refused.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Callable

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`´"), None)
_WHITESPACE = re.compile(r"\s+")


def _is_punctuation_or_symbol(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _normalise_text_unicode(value: str) -> str:
    text = _strip_accents(unicodedata.normalize("NFKC", value)).casefold()
    text = text.translate(_APOSTROPHES)
    text = "".join(" " if _is_punctuation_or_symbol(c) else c for c in text)
    return _WHITESPACE.sub(" ", text).strip()


# For ASCII text the steps above reduce to one translation: NFKC and NFKD leave ASCII as it is
# (no ASCII character has a decomposition or is a combining mark), casefold() of ASCII is lower(),
# the apostrophes ' and ` go, and every other ASCII punctuation or symbol character (categories P
# and S: exactly string.punctuation) becomes a space. The same result, checked character by
# character against the full path in tests/crypto/test_normalise.py; a name search normalises
# every name of a school's roll, so this is most of its cost.
_ASCII_TEXT = {ord(c): " " for c in "!\"#$%&()*+,-./:;<=>?@[\\]^_{|}~"}
_ASCII_TEXT.update({ord("'"): None, ord("`"): None})
_ASCII_TEXT.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def normalise_text(value: str) -> str:
    if value.isascii():
        # split() and strip() know the same whitespace as the pattern (str.isspace).
        return " ".join(value.translate(_ASCII_TEXT).split())
    return _normalise_text_unicode(value)


def normalise_compact(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(c for c in text if not (c.isspace() or _is_punctuation_or_symbol(c)))


NORMALISERS: dict[str, Callable[[str], str]] = {"text": normalise_text, "compact": normalise_compact}


def normaliser(name: str) -> Callable[[str], str]:
    try:
        return NORMALISERS[name]
    except KeyError:
        raise ValueError(f"unknown normaliser {name!r}; use one of {sorted(NORMALISERS)}") from None


def normalise_value(value, text_normaliser: Callable[[str], str]) -> str:
    if isinstance(value, str):
        return text_normaliser(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("blind indexes take strings, dates and integers")
