"""How long a Common Transfer File import takes for a school's whole roll (default 2,000 pupils).

Builds an invented CTF (demo/ctf), then, as Oakfield's DSL, times the three steps of the page:
upload (parse + keep the file encrypted), preview (match every pupil through the blind indexes)
and confirm (add every pupil, audited); then imports the same file again (idempotent: nothing
changes) and a third time with one address changed. A throwaway SQLite database by default, or
PostgreSQL with --database-url (a database that may be emptied: the test suite's schema).

    .venv/bin/python bench/ctf_import_bench.py            # 2,000 pupils, SQLite
    .venv/bin/python bench/ctf_import_bench.py 500 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Prints the machine and the figures; nothing asserts a time (the issue asks for under 30 s here).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pupils", nargs="?", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    args = parser.parse_args()

    from flask_login import login_user
    from flask_migrate import upgrade

    from demo.ctf import build_ctf, invented_pupils
    from portal import create_app
    from portal.auth.roles import Role
    from portal.db import db
    from portal.rolls import service
    from tests.conftest import environ_for_tests
    from tests.factories import make_la, make_school, make_user

    work = Path(tempfile.mkdtemp(prefix="ctf-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite'}"
    app = create_app(environ_for_tests(url, work / "instance"))
    pupils = invented_pupils(args.pupils)
    content = build_ctf(pupils)
    print(f"Machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{url.split(':')[0]}")
    print(f"CTF: {args.pupils:,} invented pupils, {len(content) / 1024 / 1024:.1f} MB")
    with app.app_context():
        upgrade()
        la = make_la(code="938", name="Northshire")
        school = make_school(la, establishment_number="2001", name="Oakfield Primary School")
        dsl = make_user(Role.DSL, school)
        with app.test_request_context("/pupils/import-ctf", method="POST"):
            login_user(dsl)

            def run(label: str, data: bytes):
                started = time.perf_counter()
                file_id = service.upload_ctf(dsl, school, "roll.xml", data)
                uploaded = time.perf_counter()
                plan = service.preview(dsl, school, file_id)
                previewed = time.perf_counter()
                service.confirm(dsl, school, file_id, {})
                result = service.run_import(dsl, school, file_id)
                done = time.perf_counter()
                print(f"{label:<34} upload {uploaded - started:6.2f} s  preview {previewed - uploaded:6.2f} s  "
                      f"confirm {done - previewed:6.2f} s  total {done - started:6.2f} s  "
                      f"(new {len(plan.new)}, changed {len(plan.changed)}, added {result.added}, updated {result.updated})")

            run("first import (every pupil new)", content)
            run("same file again (nothing changes)", content)
            pupils[0].street, pupils[0].postcode = "Kingfisher Lane", "NN9 9ZZ"
            run("one address changed", build_ctf(pupils))


if __name__ == "__main__":
    main()
