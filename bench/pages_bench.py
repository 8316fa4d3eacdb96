"""Every signed-in page of issue 22 beside a bare Flask hello-world, at demo and at national scale,
in one run (PostgreSQL, gunicorn, wrk).

For each scale it makes a database of its own, migrates it and seeds it with
`bench/seed_national.py` (real encryption, COPY): "demo" is 2 schools of 10 pupils; "national" is
`--scale` of the national volumes (1.0: 500 schools, 1M pupils, 1M concerns, 200k referrals, 400k
updates; each school 2,000 pupils whatever the scale, so the per-school pages see a real
secondary school's size). Then, for each page: the SQL statements one request makes (counted with
a SQLAlchemy hook through the test client), and under gunicorn (sync workers) with wrk (16
connections by default) its p50/p95, requests a second, CPU ms per request (gunicorn + its
PostgreSQL backends) and its share of the hello-world's requests a second, measured in the same
run on the same gunicorn settings. The machine (CPUs, model, load) is printed first.

    .venv/bin/python bench/pages_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        [--scale 0.02] [--seconds 8] [--workers 2] [--connections 16] [--keep] [--compare DIR]

With `--compare DIR` (another checkout of the portal, e.g. `git worktree add /tmp/before <commit>`,
with static/govuk-frontend fetched or linked) that code is served too, from the same database on
the same gunicorn settings, and measured right after this code page by page: "before" and
"after" side by side in one run, each with its share of the same hello-world measurement.

Needs `wrk` (Debian: apt-get install wrk). Ratios are comparable only within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from triage_bench import cpu_seconds, environ_for, run_wrk, serving_pids, wait_for  # noqa: E402

HELLO = '''
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "Hello, world"

@app.get("/healthz")
def healthz():
    return "ok"
'''

WRK_SCRIPT = """
local method, body, cookie = "%(method)s", "%(body)s", "%(cookie)s"
request = function()
  local headers = {["Cookie"] = cookie}
  if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  return wrk.format(method, nil, headers, method == "POST" and body or nil)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f requests=%%d errors=%%d non2xx=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"nproc {os.cpu_count()}, {model}, load {load}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _hook(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hook)


def prepare(app, ids) -> dict:
    """Cookies for the school's DSL and the council's worker, the CSRF token for the name search,
    and the statements each page makes (a warm second request through the test client)."""
    from portal.auth.models import User
    from portal.db import db
    from tests.signing_in import sign_in

    pages = {
        # /healthz no longer checks the session (a load balancer's probe answers about the
        # service, 6fc7442): the session's status is the signed-in page that does nothing else.
        "signed-in /session/status (the session check alone)": ("dsl", "GET", "/session/status", None),
        "triage home / queue (cached)": ("worker", "GET", "/triage", None),
        "DSL home": ("dsl", "GET", "/home", None),
        "updates inbox": ("dsl", "GET", "/updates", None),
        "pupil page": ("dsl", "GET", f"/pupils/{ids['pupil_id']}", None),
        "pupil chronology": ("dsl", "GET", f"/pupils/{ids['pupil_id']}/chronology", None),
        "roll, first page": ("dsl", "GET", "/pupils", None),
        "name search": ("dsl", "POST", "/pupils", {"name-name": "smi", "name-submit": "Search"}),
    }
    clients, cookies, tokens = {}, {}, {}
    name = app.config["SESSION_COOKIE_NAME"]
    for who, user_id in (("dsl", ids["dsl_id"]), ("worker", ids["worker_id"])):
        client = app.test_client()
        sign_in(client, db.session.get(User, user_id))
        page = client.get("/pupils" if who == "dsl" else "/triage").get_data(as_text=True)
        match = re.search(r'name="name-csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page)
        tokens[who] = match.group(1) if match else ""
        clients[who] = client
        cookies[who] = f"{name}={client.get_cookie(name).value}"
    plan = {}
    for label, (who, method, path, form) in pages.items():
        body = None
        if form is not None:
            body = urlencode({**form, "name-csrf_token": tokens[who]})
        client = clients[who]
        ask = (lambda: client.get(path)) if method == "GET" else (
            lambda: client.post(path, data=body, content_type="application/x-www-form-urlencoded"))
        ask()
        with StatementCounter(db.engine) as counter:
            response = ask()
        plan[label] = {"who": who, "method": method, "path": path, "body": body or "", "cookie": cookies[who],
                       "statements": counter.count, "status": response.status_code}
    return plan


def in_process(app, plan: dict, pages: re.Pattern, *, rounds: int = 3, batches: int = 6, per_batch: int = 30) -> dict:
    """Each page through the test client, in this process: Python CPU and wall ms a request, the
    least of `batches` batches in each of `rounds` rounds, with the roll's kept names
    (`PORTAL_ROLL_NAMES_SECONDS`, portal/pupils/roll_names.py) on and off taking turns round by
    round; "off" decrypts the school's names on every request as the code before it did. Steadier
    than the figures under load: no wrk, no other process, the same requests."""
    from portal.auth.models import UserSession  # noqa: F401 (the app's models are loaded)

    clients = {}
    results: dict = {}
    for label, spec in plan.items():
        if not pages.search(label):
            continue
        client = clients.setdefault(spec["cookie"], app.test_client())
        name, value = spec["cookie"].split("=", 1)
        client.set_cookie(name, value)
        body = spec["body"] or None
        ask = (lambda c=client, s=spec: c.get(s["path"])) if spec["method"] == "GET" else (
            lambda c=client, s=spec, b=body: c.post(s["path"], data=b, content_type="application/x-www-form-urlencoded"))
        for round_ in range(rounds):
            for variant, seconds in (("kept", 120), ("off", 0)) if round_ % 2 == 0 else (("off", 0), ("kept", 120)):
                app.config["PORTAL_ROLL_NAMES_SECONDS"] = seconds
                ask()  # warm: the kept names read once, as the first request after a change would
                for _ in range(batches):
                    cpu, wall = time.process_time(), time.perf_counter()
                    for _ in range(per_batch):
                        response = ask()
                        assert response.status_code == 200, (label, response.status_code)
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    best = results.setdefault((label, variant), [float("inf"), float("inf")])
                    best[0], best[1] = min(best[0], 1000 * cpu / per_batch), min(best[1], 1000 * wall / per_batch)
    app.config["PORTAL_ROLL_NAMES_SECONDS"] = 120
    return results


def serve(checkout: Path, app_spec: str, env: dict, port: int, workers: int, name: str):
    env = {**env, "PGAPPNAME": name}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", app_spec],
        cwd=checkout, env=env, start_new_session=True)
    wait_for(port)
    return process


def settle(pids, quiet: float = 0.05, longest: float = 180.0) -> float:
    """Wait until these processes are idle (under `quiet` CPU seconds in half a second), and
    return how long that took. wrk stops at its deadline, but requests it had sent or queued are
    still served after it: without this, a slow page's leftovers were counted as the next page's
    CPU (the previous run charged the updates inbox's backlog to the pupil page)."""
    started = time.perf_counter()
    last = cpu_seconds(pids)
    while time.perf_counter() - started < longest:
        time.sleep(0.5)
        now = cpu_seconds(pids)
        if now - last < quiet:
            break
        last = now
    return time.perf_counter() - started


def measure(url: str, script: Path, connections: int, seconds: int, pids) -> dict:
    settle(pids)
    before = cpu_seconds(pids)
    result = run_wrk(url, script, connections, seconds, threads=2)
    # The requests still being served when wrk stopped belong to this page: count their CPU
    # here (not the next page's), though not their requests (wrk no longer waits for them).
    result["drain_s"] = settle(pids)
    used = cpu_seconds(pids) - before
    result["cpu_ms"] = 1000 * used / max(1, result["requests"])
    return result


def run_scale(label: str, args, admin, base: str, scale: float, pupils_per_school: int, hello_port: int) -> list:
    from flask_migrate import upgrade

    from portal import create_app
    from seed_national import seed

    name = f"pages_bench_{label}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix=f"pages-bench-{label}-"))
    env = environ_for(url, instance)
    env["PORTAL_QUEUE_CACHE_SECONDS"] = "10"
    rows, server, compared = [], None, None
    try:
        app = create_app(env)
        with app.app_context():
            from portal.db import db

            upgrade()
            print(f"[{label}] seeding (scale {scale}, {pupils_per_school} pupils a school)...", flush=True)
            ids = seed(scale, pupils_per_school=pupils_per_school, progress=lambda m: print(f"[{label}] {m}", flush=True))
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
            plan = prepare(app, ids)
            if args.in_process:
                for (page, variant), (cpu, wall) in in_process(app, plan, re.compile(args.pages)).items():
                    measured = (label, page, variant, cpu, wall)
                    print(f"[{label}] in process, {page}, names {variant}: {cpu:.2f} CPU ms, {wall:.2f} wall ms",
                          flush=True)
                    args.in_process_rows.append(measured)
            db.session.remove()
            db.engine.dispose()
        server = serve(ROOT, "wsgi:app", env, args.port, args.workers, f"pages-{label}")
        pids = serving_pids(server.pid, admin, f"pages-{label}")
        if args.compare:
            compared = serve(Path(args.compare).resolve(), "wsgi:app", env, args.port + 2, args.workers,
                             f"pages-{label}-compared")
            compared_pids = serving_pids(compared.pid, admin, f"pages-{label}-compared")
        # Every page once on each server for 2 s, unmeasured: the first page measured otherwise
        # met workers that had not yet opened their database connections or compiled their
        # templates and statements (session 26 saw the session check 20% slower that way).
        for page, spec in plan.items():
            if args.in_process_only or not re.search(args.pages, page):
                continue
            script = instance / "warm.lua"
            script.write_text(WRK_SCRIPT % {"method": spec["method"], "body": spec["body"], "cookie": spec["cookie"]})
            for port in (args.port, args.port + 2) if compared is not None else (args.port,):
                run_wrk(f"http://127.0.0.1:{port}{spec['path']}", script, args.connections, 2, threads=2)
        for page, spec in plan.items():
            if args.in_process_only or not re.search(args.pages, page):
                continue
            script = instance / "page.lua"
            script.write_text(WRK_SCRIPT % {"method": spec["method"], "body": spec["body"], "cookie": spec["cookie"]})
            hello_script = instance / "hello.lua"
            hello_script.write_text(WRK_SCRIPT % {"method": "GET", "body": "", "cookie": ""})
            # The PostgreSQL backends each server has opened so far count too (made as they come).
            pids = serving_pids(server.pid, admin, f"pages-{label}")
            if compared is not None:
                compared_pids = serving_pids(compared.pid, admin, f"pages-{label}-compared")
            # Hello-world just before each page, so that both meet the machine in the same mood.
            hello = measure(f"http://127.0.0.1:{hello_port}/", hello_script, args.connections, args.seconds,
                            serving_pids(args.hello_pid, admin, "none"))
            result = measure(f"http://127.0.0.1:{args.port}{spec['path']}", script, args.connections, args.seconds,
                             pids)
            before = None
            if compared is not None:
                before = measure(f"http://127.0.0.1:{args.port + 2}{spec['path']}", script, args.connections,
                                 args.seconds, compared_pids)
            rows.append((label, page, spec, result, hello, before))
            print(f"[{label}] {page}: {spec['statements']} statements, status {spec['status']}, "
                  f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, {result['rps']:.0f} req/s "
                  f"(non-2xx {int(result['non2xx'])}, errors {int(result['errors'])}, drained in {result['drain_s']:.1f} s), {result['cpu_ms']:.1f} CPU ms, "
                  f"hello {hello['rps']:.0f} req/s, share {result['rps'] / hello['rps']:.3f}", flush=True)
            if before is not None:
                print(f"[{label}] {page} (compared code): p50 {before['p50']:.0f} ms, p95 {before['p95']:.0f} ms, "
                      f"{before['rps']:.0f} req/s (non-2xx {int(before['non2xx'])}, errors {int(before['errors'])}), "
                      f"{before['cpu_ms']:.1f} CPU ms, share {before['rps'] / hello['rps']:.3f}", flush=True)
    finally:
        for process in (server, compared):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"[{label}] kept {url}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=0.02, help="share of the national volumes (1.0: 1M pupils)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--port", type=int, default=5331)
    parser.add_argument("--hello-port", type=int, default=5332)
    parser.add_argument("--scales", default="demo,national")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--compare", metavar="DIR", help="another checkout to serve and measure beside this code")
    parser.add_argument("--pages", default="", help="only the pages whose label matches this regular expression")
    parser.add_argument("--in-process", action="store_true",
                        help="also time each page through the test client in this process, the roll's kept names on and off")
    parser.add_argument("--in-process-only", action="store_true", help="only that: no gunicorn, no wrk")
    args = parser.parse_args()
    args.in_process = args.in_process or args.in_process_only
    args.in_process_rows = []
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    scales = args.scales.split(",")
    if len(scales) > 1:
        # One process a scale: the portal's per-process caches (the keyring's data keys among
        # them) belong to one database.
        for label in scales:
            subprocess.run([sys.executable, __file__, *[a for a in sys.argv[1:]], "--scales", label], check=True)
        return
    from portal.config import normalise_database_url

    print("machine:", machine(), flush=True)
    revision = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True).stdout.strip()[:70]
    print("code:", revision, flush=True)
    base = normalise_database_url(args.database_url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    hello_dir = Path(tempfile.mkdtemp(prefix="pages-bench-hello-"))
    (hello_dir / "hello.py").write_text(HELLO)
    hello = serve(hello_dir, "hello:app", dict(os.environ), args.hello_port, args.workers, "hello")
    args.hello_pid = hello.pid
    rows = []
    try:
        for label in args.scales.split(","):
            if label == "demo":
                rows += run_scale("demo", args, admin, base, 0.004, 10, args.hello_port)
            else:
                rows += run_scale("national", args, admin, base, args.scale, 2000, args.hello_port)
    finally:
        os.killpg(hello.pid, signal.SIGTERM)
        hello.wait(30)
    print()
    print("machine:", machine())
    print(f"gunicorn {args.workers} sync workers, wrk {args.connections} connections, {args.seconds} s a page")
    print("| scale | page | SQL statements | p50 / p95 ms | req/s | CPU ms/request | hello-world req/s | share |"
          + (" compared: p50 / p95 ms | req/s | CPU ms/request | share |" if args.compare else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|---|---|---|" if args.compare else ""))
    for label, page, spec, result, hello_result, before in rows:
        line = (f"| {label} | {page} | {spec['statements']} | {result['p50']:.0f} / {result['p95']:.0f} | "
                f"{result['rps']:.0f} | {result['cpu_ms']:.1f} | {hello_result['rps']:.0f} | "
                f"{result['rps'] / hello_result['rps']:.3f} |")
        if before is not None:
            line += (f" {before['p50']:.0f} / {before['p95']:.0f} | {before['rps']:.0f} | {before['cpu_ms']:.1f} | "
                     f"{before['rps'] / hello_result['rps']:.3f} |")
        print(line)
    if args.in_process_rows:
        print()
        print("In process (test client), least of the batches: Python CPU / wall ms a request")
        print("| scale | page | names kept | names read every time |")
        print("|---|---|---|---|")
        found = {(label, page, variant): (cpu, wall) for label, page, variant, cpu, wall in args.in_process_rows}
        for label, page in dict.fromkeys((label, page) for label, page, *_ in args.in_process_rows):
            kept, off = found[(label, page, "kept")], found[(label, page, "off")]
            print(f"| {label} | {page} | {kept[0]:.2f} / {kept[1]:.2f} | {off[0]:.2f} / {off[1]:.2f} |")

if __name__ == "__main__":
    main()
