"""Column types that hold only ciphertext or blind-index tokens.

They are guards, not conveniences: whatever path a value takes to the database (the ORM, a bulk
update, a Core insert), these types refuse anything that is not in the stored form. A plaintext
value written by mistake into an encrypted column fails loudly instead of being saved.
"""

from __future__ import annotations

import re

from sqlalchemy import String, Text, TypeDecorator

from portal.crypto.errors import PlaintextRefused

CIPHERTEXT_VERSION = "v1"
KEY_ID_PATTERN = r"[0-9a-f]{8}"
CIPHERTEXT_FORM = re.compile(rf"^{CIPHERTEXT_VERSION}:({KEY_ID_PATTERN}):[A-Za-z0-9_-]+$")
TOKEN_FORM = re.compile(rf"^({KEY_ID_PATTERN}):[0-9a-f]{{1,16}}$")
TOKEN_LENGTH = 32


class Ciphertext(TypeDecorator):
    """Text holding `v1:<key id>:<base64url(nonce | ciphertext | tag)>`."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, str) or not CIPHERTEXT_FORM.match(value):
            raise PlaintextRefused(
                "refused to write a value that is not ciphertext to an encrypted column"
            )
        return value


class BlindIndexToken(TypeDecorator):
    """A short string `<key id>:<hex of the truncated HMAC>`."""

    impl = String(TOKEN_LENGTH)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, str) or not TOKEN_FORM.match(value):
            raise PlaintextRefused("refused to write a value that is not a blind-index token")
        return value
