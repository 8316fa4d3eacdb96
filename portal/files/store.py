"""Encrypted file storage: where the bytes go, and how they are encrypted on the way.

Format of a stored file (version 1):
  header  "SGPF" | 0x01 | 7-byte random nonce prefix
  chunks  AES-256-GCM of 64 KiB of plaintext each (the last one shorter, possibly empty),
          nonce = prefix | chunk number (4 bytes) | 1 if last else 0,
          associated data = header | the StoredFile's id.
Each file has a random key of its own (kept encrypted in its StoredFile row). Chunk numbers and
the last-chunk flag in the nonce make reordered, dropped or truncated chunks fail to decrypt
(the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár), so a file is read back
exactly as written or not at all, and never has to sit in memory whole.
"""

from __future__ import annotations

import os
import secrets
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.crypto.errors import IntegrityCheckFailed

MAGIC = b"SGPF\x01"
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + PREFIX_BYTES
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
MAX_CHUNKS = 2**32


class FileStore(ABC):
    """Somewhere to keep opaque (already encrypted) blobs by name: a directory, or an object
    store in future."""

    @abstractmethod
    def writer(self, name: str) -> BinaryIO: ...

    @abstractmethod
    def reader(self, name: str) -> BinaryIO: ...

    @abstractmethod
    def delete(self, name: str) -> None: ...

    @abstractmethod
    def exists(self, name: str) -> bool: ...


class LocalFileStore(FileStore):
    """Files under a directory (default instance/attachments), fanned out by name prefix."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not name.isalnum():
            raise ValueError("storage names are random alphanumeric strings")
        return self.root / name[:2] / name

    def writer(self, name: str) -> BinaryIO:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb")

    def reader(self, name: str) -> BinaryIO:
        return open(self._path(name), "rb")

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            pass

    def exists(self, name: str) -> bool:
        return self._path(name).exists()


def new_storage_name() -> str:
    return secrets.token_hex(16)


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    if number >= MAX_CHUNKS:
        raise ValueError("file too large for the chunk counter")
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class ChunkEncryptor:
    """Write plaintext in pieces of any size; produces the encrypted stream."""

    def __init__(self, out: BinaryIO, key: bytes, file_id):
        self._out = out
        self._aead = AESGCM(key)
        prefix = os.urandom(PREFIX_BYTES)
        self._header = MAGIC + prefix
        self._prefix = prefix
        self._ad = self._header + str(file_id).encode()
        self._buffer = bytearray()
        self._number = 0
        out.write(self._header)

    def write(self, data: bytes) -> None:
        self._buffer += data
        # Keep at least one byte back: only close() knows which chunk is the last.
        while len(self._buffer) > CHUNK_BYTES:
            self._emit(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]

    def _emit(self, plaintext: bytes, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._prefix, self._number, last), plaintext, self._ad))
        self._number += 1

    def close(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()


def decrypt_chunks(source: BinaryIO, key: bytes, file_id) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; IntegrityCheckFailed if anything was changed."""
    header = source.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise IntegrityCheckFailed(f"stored file {file_id} has no valid header")
    aead = AESGCM(key)
    prefix = header[len(MAGIC):]
    ad = header + str(file_id).encode()
    block = source.read(CHUNK_BYTES + TAG_BYTES)
    number = 0
    while True:
        following = source.read(CHUNK_BYTES + TAG_BYTES)
        last = not following
        try:
            yield aead.decrypt(_nonce(prefix, number, last), block, ad)
        except InvalidTag:
            raise IntegrityCheckFailed(
                f"stored file {file_id} failed its integrity check at chunk {number} (altered or truncated)"
            ) from None
        if last:
            return
        block, number = following, number + 1
