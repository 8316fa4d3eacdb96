"""How long the court bundle (the chronology's PDF) takes to make, beside the layout it had before,
in the same run on the same machine.

Renders synthetic entries shaped like real ones (a concern with six details and a paragraph of
account) through the real templates, stylesheet and renderer, in this process (as the jobs
worker's child does); no database is needed.

- "before": the four-column table with WeasyPrint's whole HTML user-agent stylesheet, as the
  bundle was until commit de82d1c (its template and stylesheet are read from git).
- "blocks": one block per entry with the minimal user-agent stylesheet, labels and the first
  line in <b>, as it was from commit e020b61 (template and stylesheet read from git).
- "now": the same blocks with no element inside a paragraph (the first line bold as a whole, a
  label set off by a hanging indent), the HTML read by the XML parser (portal/chronology/pdf.py).

    .venv/bin/python bench/chronology_pdf_bench.py            # 300 entries, and 100 pages of each
    .venv/bin/python bench/chronology_pdf_bench.py 300 600    # other entry counts as well

Each figure is the best of three runs (wall clock, and CPU seconds of this process), the
layouts interleaved so that other load on the machine falls on all alike; "ratio" is the median
of each round's CPU ratio to "now", and "spread" how far the slowest run was above the best (how
noisy the machine was).

A run after issue 22's change (2 shared cores, other developers' tests running):

    AMD EPYC, 2 cpus, load 3.2; python 3.11.7, WeasyPrint 70.0
      before  300 entries:  101 pages,   234 KiB,  4.68 s ( 4.11 s CPU, spread   5%),  41 ms CPU a page, ratio 2.74
      blocks  300 entries:   76 pages,   148 KiB,  2.89 s ( 2.70 s CPU, spread  10%),  36 ms CPU a page, ratio 1.80
      now     300 entries:   76 pages,   129 KiB,  1.63 s ( 1.51 s CPU, spread   3%),  20 ms CPU a page, ratio 1.00
      before  286 entries:   96 pages,   223 KiB,  4.17 s ( 4.10 s CPU, spread   5%),  43 ms CPU a page, ratio 2.11
      blocks  375 entries:   94 pages,   181 KiB,  3.45 s ( 3.27 s CPU, spread  21%),  35 ms CPU a page, ratio 1.88
      now     375 entries:   94 pages,   157 KiB,  1.99 s ( 1.97 s CPU, spread   3%),  21 ms CPU a page, ratio 1.00
    load 2.8 at the end
"""

from __future__ import annotations

import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEFORE = "de82d1c"  # the last commit with the table layout
BLOCKS = "e020b61"  # the block layout with <b> labels (issue 22's 3.44 s)
ROUNDS = 3
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


def git_show(path: str, commit: str = BEFORE) -> str:
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def machine() -> str:
    import weasyprint

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}; python {platform.python_version()}, "
            f"WeasyPrint {weasyprint.__version__}")


def main(counts: list[int]) -> None:
    from jinja2 import ChoiceLoader, DictLoader
    from pypdf import PdfReader
    from weasyprint import CSS

    from portal import create_app
    from portal.chronology import pdf
    from portal.chronology.bundle import bundle_html
    from portal.chronology.document import MARKING, ChronologyDocument, PupilIdentifiers
    from portal.chronology.service import Filters

    app = create_app({"PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": tempfile.mkdtemp(prefix="pdf-bench-"),
                      "PATH": os.environ.get("PATH", "")})
    def layout_of(commit):
        env = app.jinja_env.overlay(loader=ChoiceLoader([
            DictLoader({name: git_show(f"templates/{name}", commit)
                        for name in ("chronology/pdf.html", "chronology/_document.html")}),
            app.jinja_env.loader,
        ]))
        return env, CSS(string=git_show("static/chronology-pdf.css", commit), url_fetcher=pdf._NoFetching())

    class BlocksHTML(pdf.HTML):
        def _ua_stylesheets(self, forms=False):
            return [pdf._bundle_ua()]

    old_env, old_css = layout_of(BEFORE)
    blocks_env, blocks_css = layout_of(BLOCKS)
    pupil = PupilIdentifiers("Amelia Hartley-Nkemelu", None, "9 March 2014", "V938123456789")

    def document(count):
        return ChronologyDocument(pupil, "Oakfield Primary School", entries(count), Filters(), "Dana Lead",
                                  datetime.now(timezone.utc))

    def before(count) -> bytes:
        html = old_env.get_template("chronology/pdf.html").render(doc=document(count), marking=MARKING)
        return pdf.HTML(string=html, url_fetcher=pdf._NoFetching(), media_type="print").write_pdf(stylesheets=[old_css])

    def blocks(count) -> bytes:
        # As render_in_this_process was then: WeasyPrint's own HTML parser, the minimal UA stylesheet.
        html = blocks_env.get_template("chronology/pdf.html").render(doc=document(count), marking=MARKING)
        return BlocksHTML(string=html, url_fetcher=pdf._NoFetching(), media_type="print").write_pdf(
            stylesheets=[blocks_css])

    def now(count) -> bytes:
        return pdf.render_in_this_process(bundle_html(document(count)))

    def pages(content: bytes) -> int:
        return len(PdfReader(io.BytesIO(content)).pages)

    layouts = (("before", before), ("blocks", blocks), ("now", now))
    print(machine())
    with app.app_context():
        pdf.warm_up()
        before(1)
        blocks(1)
        # About how many entries make 100 pages in each layout.
        per_page = {name: 60 / pages(fn(60)) for name, fn in layouts}
        runs = [{name: count for name, _ in layouts} for count in counts]
        runs.append({name: round(100 * per_page[name]) for name, _ in layouts})
        for run in runs:
            results = {name: [] for name, _ in layouts}
            sizes = {}
            for _ in range(ROUNDS):
                for name, fn in layouts:
                    wall, cpu = time.perf_counter(), time.process_time()
                    content = fn(run[name])
                    results[name].append((time.perf_counter() - wall, time.process_time() - cpu))
                    sizes[name] = (run[name], pages(content), len(content))
            for name, _ in layouts:
                count, page_count, size = sizes[name]
                wall = min(w for w, _ in results[name])
                cpu = min(c for _, c in results[name])
                spread = max(c for _, c in results[name]) / cpu - 1
                ratios = sorted(c / n for (_, c), (_, n) in zip(results[name], results["now"]))
                print(f"  {name:6s} {count:4d} entries: {page_count:4d} pages, {size / 1024:5.0f} KiB, "
                      f"{wall:5.2f} s ({cpu:5.2f} s CPU, spread {100 * spread:3.0f}%), "
                      f"{1000 * cpu / page_count:3.0f} ms CPU a page, ratio {ratios[len(ratios) // 2]:4.2f}")
        print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300])
