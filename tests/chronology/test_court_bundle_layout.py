"""The court bundle's PDF as it is laid out fast: every entry's first line, summary and labelled
details in the PDF's text, the HTML read by the XML parser (and by WeasyPrint's HTML5 parser,
with the same result, when typed text is not allowed in XML). No test here asserts a time:
bench/chronology_pdf_bench.py measures that."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timezone

from pypdf import PdfReader

from portal.chronology import pdf
from portal.chronology.bundle import bundle_html
from portal.chronology.document import ChronologyDocument, PupilIdentifiers
from portal.chronology.entries import Entry
from portal.chronology.service import Filters

PUPIL = PupilIdentifiers("Amelia Hartley-Nkemelu", None, "9 March 2014", "V938123456789")


def document(account: str, count: int = 1) -> ChronologyDocument:
    at = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    entries = [
        Entry(at=at, kind="concern", summary="Neglect & <hunger>", object_type="concern", object_id=uuid.uuid4(),
              who="Sam \"Staff\" O'Neill", urgent=True,
              details=(("Where", "Dining hall"), ("What was seen or heard", account), ("Action taken", "Told the DSL.")))
        for _ in range(count)
    ]
    filters = Filters(categories=frozenset({"neglect"}), date_from=date(2025, 9, 1))
    return ChronologyDocument(PUPIL, "Oakfield Primary School", entries, filters, "Dana Lead", at)


def text_of(content: bytes) -> str:
    return " ".join(re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages)


def test_each_entry_reads_when_what_who_then_its_labelled_details(app):
    html = bundle_html(document("Said there was no food at home.\nWas wearing the same clothes as on Monday."))
    assert pdf._BundleHTML(string=html, url_fetcher=pdf._NoFetching()).parsed_as == "xml"
    text = text_of(pdf.render_in_this_process(html))
    assert "5 January 2026 at 10am · Concern · Urgent · Sam \"Staff\" O'Neill" in text
    assert "Neglect & <hunger>" in text
    assert "Where: Dining hall" in text
    assert "What was seen or heard: Said there was no food at home. Was wearing the same clothes" in text
    assert "Action taken: Told the DSL." in text
    assert "Filters applied Categories: Neglect Dates: from 1 September 2025" in text
    assert "Page 1 of 1" in text


def test_the_xml_parser_and_the_html5_parser_make_the_same_pdf_text(app):
    html = bundle_html(document("Said there was no food at home. " * 12, count=12))

    class Html5Parsed(pdf.HTML):  # WeasyPrint's own parser, the bundle's user-agent stylesheet
        def _ua_stylesheets(self, forms=False):
            return [pdf._bundle_ua()]

    by_html5 = Html5Parsed(string=html, url_fetcher=pdf._NoFetching()).write_pdf(stylesheets=[pdf._stylesheet()])
    by_xml = pdf.render_in_this_process(html)
    pages = [PdfReader(io.BytesIO(content)).pages for content in (by_html5, by_xml)]
    assert len(pages[0]) == len(pages[1]) > 1
    assert [page.extract_text() for page in pages[0]] == [page.extract_text() for page in pages[1]]
    assert PdfReader(io.BytesIO(by_xml)).metadata.title == "Safeguarding chronology (OFFICIAL-SENSITIVE)"


def test_text_that_xml_does_not_allow_is_read_by_the_html5_parser_and_still_printed(app):
    html = bundle_html(document("Wrote \x0b in the note \x01 and left"))
    assert pdf._BundleHTML(string=html, url_fetcher=pdf._NoFetching()).parsed_as == "html"
    # The fonts have no glyph for a control character: pypdf then reads the font's text as UTF-16.
    text = text_of(pdf.render_in_this_process(html)).replace("\x00", "")
    assert "Wrote" in text and "in the note" in text and "and left" in text
    assert "Where: Dining hall" in text
