"""The chronology as a PDF, made with WeasyPrint from the same HTML as the printable view.

WeasyPrint implements CSS paged media, so the things a court bundle needs on every page are
plain CSS (static/chronology-pdf.css): a running header with the pupil's identifiers, the
OFFICIAL-SENSITIVE marking, "Page X of Y" and who produced it. It needs no browser and no
network: this renderer refuses to fetch anything at all, so text typed into a concern can never
make the server load a URL (the HTML is autoescaped too; this is the second line of defence).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

# WeasyPrint logs every page it lays out at INFO: a 300-entry chronology would write 80 lines.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "chronology-pdf.css"


class _NoFetching(URLFetcher):
    def fetch(self, url, headers=None):
        raise ValueError("the chronology PDF loads nothing from outside the document")


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    return CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=_NoFetching())


def render_pdf(html: str) -> bytes:
    """PDF bytes for a complete HTML document (templates/chronology/pdf.html)."""
    document = HTML(string=html, url_fetcher=_NoFetching(), media_type="print")
    return document.write_pdf(stylesheets=[_stylesheet()])
