"""How long the chronology PDF takes to make, by number of entries (WeasyPrint layout + PDF).

Renders synthetic entries shaped like real ones (a concern with six details and a paragraph
of account) through the real template, stylesheet and renderer; no database is needed.

    .venv/bin/python bench/chronology_pdf_bench.py            # 30, 100 and 300 entries
    .venv/bin/python bench/chronology_pdf_bench.py 300 600

Layout time grows linearly with the pages: it is text layout (Pango), about a fifth of a second
per A4 page of dense entries on one core, so the export runs in the request; a worker timeout
well above the largest chronology's time (gunicorn's default 30 s) is enough.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACCOUNT = ("Said they had not eaten since lunchtime yesterday and that there was no food at home. "
           "Was wearing the same clothes as on Monday. ") * 2


def entries(count: int):
    from portal.chronology.entries import Entry

    now = datetime.now(timezone.utc)
    return [
        Entry(
            at=now - timedelta(hours=6 * i),
            kind="concern",
            summary="Neglect",
            object_type="concern",
            object_id=uuid.uuid4(),
            who="Sam Staff",
            details=(
                ("Role of this pupil", "Subject of the concern"),
                ("Where", "Dining hall"),
                ("What was seen or heard", ACCOUNT),
                ("Action taken", "Gave breakfast; told the DSL."),
                ("Who was told", "DSL"),
                ("Recorded", "1 May 2026 at 9:00am"),
            ),
        )
        for i in range(count)
    ]


def main(counts: list[int]) -> None:
    from flask import render_template

    from portal import create_app
    from portal.chronology.document import MARKING, ChronologyDocument, PupilIdentifiers
    from portal.chronology.pdf import render_pdf
    from portal.chronology.service import Filters

    instance = tempfile.mkdtemp(prefix="chronology-bench-")
    app = create_app({"PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": instance, "PATH": os.environ.get("PATH", "")})
    pupil = PupilIdentifiers("Amelia Hartley-Nkemelu", None, "9 March 2014", "V938123456789")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    with app.test_request_context():
        render_pdf(render_template("chronology/pdf.html", doc=ChronologyDocument(
            pupil, "Oakfield Primary School", entries(1), Filters(), "Dana Lead", datetime.now(timezone.utc)), marking=MARKING))
        for count in counts:
            doc = ChronologyDocument(pupil, "Oakfield Primary School", entries(count), Filters(), "Dana Lead",
                                     datetime.now(timezone.utc))
            times, size = [], 0
            for _ in range(3):
                started = time.perf_counter()
                pdf = render_pdf(render_template("chronology/pdf.html", doc=doc, marking=MARKING))
                times.append(time.perf_counter() - started)
                size = len(pdf)
            from pypdf import PdfReader
            import io

            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            print(f"{count:5d} entries: {pages:4d} pages, {size / 1024:7.0f} KiB, "
                  f"median {statistics.median(times):6.2f} s, best {min(times):6.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [30, 100, 300])
