"""Decide a file's type from its content, as it streams past (never from its name or the
browser's claim).

Accepted: PDF, JPEG, PNG, Word documents (DOCX, without macros) and plain UTF-8 text.
"""

from __future__ import annotations

import codecs
import re

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain; charset=utf-8"

EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", DOCX: ".docx", TEXT: ".txt"}

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
_DOCX_NEEDS = (b"[Content_Types].xml", b"word/document.xml")
_DOCX_REFUSES = (b"word/vbaProject.bin", b"vbaProject.bin")
_OVERLAP = 32
# Text may hold tabs, line breaks and form feeds; any other control character means binary.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Sniffer:
    """Feed it every chunk in order, then ask `result()`: a content type, or None if refused."""

    def __init__(self):
        self._head = b""
        self._kind: str | None = None  # decided from the first bytes: a type, "zip" or "text"
        self._tail = b""
        self._seen: set[bytes] = set()
        self._text_ok = True
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._kind is None:
            self._head += chunk
            if len(self._head) < 8 and chunk:
                return
            self._kind = self._decide(self._head)
            chunk, self._head = self._head, b""
        if self._kind == "zip":
            window = self._tail + chunk
            for name in _DOCX_NEEDS + _DOCX_REFUSES:
                if name in window:
                    self._seen.add(name)
            self._tail = window[-_OVERLAP:]
        elif self._kind == "text" and self._text_ok:
            self._check_text(chunk)

    def _decide(self, head: bytes) -> str:
        for magic, kind in _MAGIC:
            if head.startswith(magic):
                return kind
        if head.startswith(_ZIP):
            return "zip"
        return "text"

    def _check_text(self, chunk: bytes) -> None:
        try:
            decoded = self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self._text_ok = False
            return
        if _CONTROL_CHARACTERS.search(decoded):
            self._text_ok = False

    def result(self) -> str | None:
        if self._kind is None:  # shorter than 8 bytes
            self._kind = self._decide(self._head)
            head, self._head = self._head, b""
            if self._kind == "text":
                self._check_text(head)
        if self._kind == "zip":
            if any(name in self._seen for name in _DOCX_REFUSES):
                return None
            return DOCX if all(name in self._seen for name in _DOCX_NEEDS) else None
        if self._kind == "text":
            if not self._text_ok:
                return None
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return None
            return TEXT
        return self._kind
