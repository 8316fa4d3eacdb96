"""The chronology as a PDF, made with WeasyPrint from the same HTML as the printable view.

WeasyPrint implements CSS paged media, so the things a court bundle needs on every page are
plain CSS (static/chronology-pdf.css): a running header with the pupil's identifiers, the
OFFICIAL-SENSITIVE marking, "Page X of Y" and who produced it. It needs no browser and no
network: this renderer refuses to fetch anything at all, so text typed into a concern can never
make the server load a URL (the HTML is autoescaped too; this is the second line of defence).

Each PDF is laid out in a process of its own, never in the web worker: WeasyPrint's layout of a
100-page chronology grows a process by about 100 MiB that Python keeps afterwards.

- The court bundle is a background job (portal.chronology.bundle): the jobs worker forks a child
  for each job, already warm (`warm_up` ran in the worker), and the child calls
  `render_in_this_process`, reporting each page laid out.
- A small PDF made during a request (the transfer receipt) uses `render_pdf`: a child forked from
  a small fork server that has already imported WeasyPrint and laid out a one-line document, so it
  starts warm in a few milliseconds. Only the HTML goes in and the PDF bytes (or the name of the
  error) come back through a pipe.
"""

from __future__ import annotations

import logging
import multiprocessing
from functools import lru_cache
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree

import cssselect2
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


# Longer than any real chronology takes (about 3 s for 100 pages), shorter than the worker timeout.
CHILD_SECONDS = 90


class PdfFailed(RuntimeError):
    """The child process did not produce the PDF (the error's name only, never its message)."""


# What the court bundle's elements need from a user-agent stylesheet, and nothing more.
# WeasyPrint's own (html5_ua.css) has some 250 rules that every element is matched against: with
# this one the bundle's styles are computed about a fifth faster (bench/chronology_pdf_bench.py).
# templates/chronology/_document.html (mode "pdf") uses only these elements.
BUNDLE_UA = """
html, body, article, div, p, h1, h2, dl, dt, dd { display: block; }
head, title, meta, style, script, link, [hidden] { display: none; }
b, strong, h1, h2 { font-weight: bold; }
br::before { content: "\\A"; white-space: pre-line; }
"""


class _BundleHTML(HTML):
    """A document laid out with BUNDLE_UA instead of WeasyPrint's whole HTML stylesheet. (If a
    WeasyPrint release stopped asking `_ua_stylesheets`, its own would apply: slower, the same.)

    Read by the XML parser where it can be: the bundle's template writes well-formed XHTML
    (void elements closed, text escaped by Jinja), which Expat reads in C some 30 times faster
    than WeasyPrint's HTML5 parser in Python (about 5% of a 100-page bundle). Text that XML does
    not allow (a control character typed into a concern) sends the document to the HTML5
    parser, which reads anything; so does anything else Expat refuses."""

    def __init__(self, string: str, url_fetcher: URLFetcher, media_type: str = "print"):
        try:
            root = ElementTree.fromstring(string)  # no DTD, no entities: nothing is fetched
        except ElementTree.ParseError:
            super().__init__(string=string, url_fetcher=url_fetcher, media_type=media_type)
            self.parsed_as = "html"
            return
        # WeasyPrint's own set-up on an empty document (whatever attributes a release adds),
        # then the tree read above in its place.
        super().__init__(string="<html></html>", url_fetcher=url_fetcher, media_type=media_type)
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element
        self.parsed_as = "xml"

    def _ua_stylesheets(self, forms=False):
        return [_bundle_ua()]


@lru_cache(maxsize=1)
def _bundle_ua() -> CSS:
    return CSS(string=BUNDLE_UA, url_fetcher=_NoFetching())


def _render_here(html: str, document_class: type[HTML] = HTML) -> bytes:
    document = document_class(string=html, url_fetcher=_NoFetching(), media_type="print")
    return document.write_pdf(stylesheets=[_stylesheet()])


class _PageCounter(logging.Handler):
    """Hears WeasyPrint's "Creating layout - Page N" progress lines and passes N on."""

    def __init__(self, on_page: Callable[[int], None]):
        super().__init__(logging.INFO)
        self.on_page = on_page

    def emit(self, record: logging.LogRecord) -> None:
        if "Creating layout - Page" in str(record.msg) and record.args:
            self.on_page(int(record.args[0]))


def render_in_this_process(html: str, on_page: Callable[[int], None] | None = None) -> bytes:
    """The court bundle's PDF bytes (templates/chronology/pdf.html) made here, for a process that
    exists to make it (a background job's child). `on_page(n)` is called as page n is laid out."""
    if on_page is None:
        return _render_here(html, _BundleHTML)
    progress = logging.getLogger("weasyprint.progress")
    counter = _PageCounter(on_page)
    level = progress.level
    progress.addHandler(counter)
    progress.setLevel(logging.INFO)
    progress.propagate = False  # heard here, not written to the log 100 times
    try:
        return _render_here(html, _BundleHTML)
    finally:
        progress.removeHandler(counter)
        progress.setLevel(level)
        progress.propagate = True


def warm_up() -> None:
    """What every PDF needs and costs the first one most (fonts found, stylesheet parsed): run
    once in the fork server, and in the jobs worker before it forks."""
    for document_class in (HTML, _BundleHTML):
        _render_here("<!DOCTYPE html><html><body><p>warm</p></body></html>", document_class)


_warm_up = warm_up  # the fork server's preload (portal.chronology._preload)


def _child(html: str, connection) -> None:
    try:
        connection.send((True, _render_here(html)))
    except BaseException as error:  # noqa: BLE001 - reported by name; the parent raises
        connection.send((False, type(error).__name__))
    finally:
        connection.close()


_context = None


def _fork_server():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # Imported (and warmed up) once by the fork server; each PDF's process is forked from it.
        multiprocessing.set_forkserver_preload(["portal.chronology._preload"])
    return _context


def render_pdf(html: str) -> bytes:
    """PDF bytes for a complete HTML document (templates/chronology/pdf.html), made in a child
    process that exits afterwards. Raises PdfFailed if it fails or takes too long."""
    context = _fork_server()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(html, sending), daemon=True)
    process.start()
    sending.close()
    try:
        if not receiving.poll(CHILD_SECONDS):
            raise PdfFailed("timed out")
        ok, payload = receiving.recv()
    except EOFError:
        raise PdfFailed("the PDF process ended without an answer") from None
    finally:
        receiving.close()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
    if not ok:
        raise PdfFailed(payload)
    return payload
