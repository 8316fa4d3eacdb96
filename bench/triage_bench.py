"""Benchmark of the LA's triage queue page with 200,000 referrals on PostgreSQL (issue 6).

What it does:
1. creates a database of its own on the PostgreSQL server and migrates it;
2. loads two councils, 45 schools, 20,000 pupils (encrypted, as in production) and 200,000
   submitted referrals with their queue items (180,000 in Northshire: about 3,000 still waiting,
   some overdue, some urgent, some assigned; the rest decided or sent on);
3. signs in 32 triage workers (real server-side sessions; each request picks one at random, as
   32 people at their desks would);
4. serves the portal with gunicorn and drives the queue page with wrk (16 connections, then 4),
   one run per view: the default queue, overdue only, one school, urgent only, all statuses at
   page 200, decided; for each view, one run per server, one after the other: the queue cache off
   (the baseline: every view computed) and on (the default), and with `--compare DIR` the code of
   another checkout (say, the last release: `git worktree add /tmp/base main`) served beside this
   one, so that two versions are measured in the same run, view by view; meanwhile a thread
   changes the queue twice a second (--changes-per-second), as workers deciding and assigning
   would, so that cached pages keep being recomputed;
5. prints p50/p95/p99, requests per second and CPU ms per request (gunicorn + PostgreSQL) for
   each, then drops the database.

    .venv/bin/python bench/triage_bench.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test [--referrals 200000] [--keep]

`--reuse triage_bench_NNN` runs against a database kept by `--keep` (no loading, never dropped):
handy for comparing two versions of the code on the same data.

Needs `wrk` on the PATH (Debian: apt-get install wrk) and gunicorn (in the project's dependencies).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

FORENAMES = ["Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Ivy", "Freddie", "Zara", "Kai"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Patel", "Khan", "Evans", "Hughes", "Okafor"]

WRK_SCRIPT = """
local cookies = {}
for line in io.lines("%(cookies)s") do cookies[#cookies + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", nil, {["Cookie"] = cookies[math.random(#cookies)]})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f requests=%%d errors=%%d non2xx=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def environ_for(url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_ENV": "development",
        "PORTAL_DATABASE_URL": url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_SECRET_KEY": "bench-" + "k" * 40,
        # A fixed, throwaway key for the throwaway database: the loader and gunicorn must agree.
        "PORTAL_MASTER_KEY": "5e" * 32,
    })
    return env


def load(app, referrals: int) -> dict:
    """Councils, schools, people, pupils, referrals and queue items. Returns ids the runs need."""
    from portal.auth.models import User
    from portal.auth.roles import Role
    from portal.db import utcnow
    from portal.db import db
    from portal.orgs.models import LocalAuthority, School
    from portal.pupils.models import Pupil
    from portal.referrals.models import Referral
    from portal.triage.decision_deadline import decision_due
    from portal.triage.models import TriageItem

    rng = random.Random(6)
    started = time.perf_counter()
    north = LocalAuthority(code="938", name="Northshire")
    south = LocalAuthority(code="939", name="Southmoor")
    db.session.add_all([north, south])
    db.session.flush()
    schools = []
    for i in range(45):
        la = north if i < 40 else south
        number = f"{2000 + i:04d}"
        schools.append(School(urn=f"{900000 + i}", local_authority_id=la.id, establishment_number=number,
                              laestab=f"{la.code}{number}", name=f"Bench School {i + 1}", phase="Primary"))
    db.session.add_all(schools)
    db.session.flush()
    dsls = [User(email=f"dsl{i}@bench.test", display_name=f"DSL {i}", role=Role.DSL.value, school_id=s.id,
                 password_hash="x") for i, s in enumerate(schools)]
    workers = [User(email=f"worker{i}@bench.test", display_name=f"Worker {i}", role=Role.TRIAGE_WORKER.value,
                    local_authority_id=north.id, password_hash="x") for i in range(32)]
    db.session.add_all(dsls + workers)
    db.session.commit()
    north_id, south_id = north.id, south.id
    school_ids = [(s.id, s.local_authority_id) for s in schools]
    dsl_of = {d.school_id: d.id for d in dsls}
    worker_ids = [w.id for w in workers]
    db.session.expunge_all()

    pupils_by_school: dict = {sid: [] for sid, _ in school_ids}
    for batch in range(20):
        rows = []
        for _ in range(1000):
            school_id, _ = rng.choice(school_ids)
            pupil = Pupil(school_id=school_id, on_roll=True)
            pupil.legal_forename = rng.choice(FORENAMES)
            pupil.legal_surname = rng.choice(SURNAMES)
            pupil.date_of_birth = date(2010, 1, 1) + timedelta(days=rng.randrange(4000))
            rows.append(pupil)
            pupils_by_school[school_id].append(pupil.id)
        db.session.add_all(rows)
        db.session.commit()
        db.session.expunge_all()
    print(f"  pupils: 20,000 in {time.perf_counter() - started:.0f}s", flush=True)

    now = utcnow()
    school_la = dict(school_ids)
    north_schools = [sid for sid, la in school_ids if la == north_id]
    south_schools = [sid for sid, la in school_ids if la == south_id]
    made = 0
    batch_size = 5000
    while made < referrals:
        referral_rows, item_rows = [], []
        for _ in range(min(batch_size, referrals - made)):
            made += 1
            school_id = rng.choice(north_schools if rng.random() < 0.9 else south_schools)
            la_id = school_la[school_id]
            waiting = rng.random() < 0.0167  # about 3,000 of 180,000 still waiting for a decision
            age = timedelta(hours=rng.uniform(0, 60)) if waiting else timedelta(days=rng.uniform(2, 900))
            received = now - age
            urgent = rng.random() < 0.08
            referral = Referral(school_id=school_id, pupil_id=rng.choice(pupils_by_school[school_id]),
                                local_authority_id=la_id, created_by_id=dsl_of[school_id], created_at=received,
                                updated_at=received, status="acknowledged" if waiting else "decided", urgent=urgent,
                                submitted_at=received, submitted_by_id=dsl_of[school_id],
                                reference=f"BENCH-{made:07d}")
            referral.form = {"bench": True}
            referral_rows.append(referral)
            due = decision_due(received)
            decided_at = None if waiting else received + timedelta(hours=rng.uniform(1, 40))
            state = rng.choice(["new", "in_triage"]) if waiting else ("routed" if rng.random() < 0.02 else "decided")
            item_rows.append(dict(
                id=uuid.uuid4(), referral_id=referral.id, round=1, current=state != "routed", local_authority_id=la_id,
                school_id=school_id, urgent=urgent, received_at=received, due_at=due, state=state, open=waiting,
                assigned_to_id=rng.choice(worker_ids) if (waiting and la_id == north_id and rng.random() < 0.5) else None,
                assigned_at=None, rag=None if waiting else rng.choice(["red", "amber", "green"]),
                first_opened_at=None, decided_at=decided_at,
                outcome=None if waiting else rng.choice(["no_further_action", "advice_and_signposting", "early_help",
                                                         "child_and_family_assessment", "section_47_enquiry"]),
            ))
        db.session.add_all(referral_rows)
        db.session.flush()
        db.session.execute(insert(TriageItem.__table__), item_rows)
        db.session.commit()
        db.session.expunge_all()
        if made % 50_000 == 0 or made == referrals:
            print(f"  referrals: {made:,} in {time.perf_counter() - started:.0f}s", flush=True)
    return {"north_id": north_id, "school_id": north_schools[0], "worker_ids": worker_ids}


def loaded_ids() -> dict:
    """The ids `load` returned, read back from a kept database."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.db import db
    from portal.orgs.models import LocalAuthority, School

    north_id = db.session.execute(select(LocalAuthority.id).where(LocalAuthority.code == "938")).scalar_one()
    school_id = db.session.execute(select(School.id).where(School.name == "Bench School 1")).scalar_one()
    worker_ids = db.session.execute(
        select(User.id).where(User.email.like("worker%@bench.test")).order_by(User.email)).scalars().all()
    return {"north_id": north_id, "school_id": school_id, "worker_ids": worker_ids}


def sign_in_cookies(app, worker_ids) -> list[str]:
    from portal.auth.models import User
    from portal.db import db
    from tests.signing_in import sign_in

    cookies = []
    for user_id in worker_ids:
        client = app.test_client()
        sign_in(client, db.session.get(User, user_id))
        # The cookie as a browser holds it after its first page: with the CSRF token that page put
        # in the session. Without it every request of the run would write a new cookie.
        client.get("/triage")
        cookies.append(app.config["SESSION_COOKIE_NAME"] + "=" + client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    return cookies


def _revision(root: Path) -> str:
    """The commit a checkout is at (and whether it has changes), to say what was measured."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return commit[:60] + (" + uncommitted changes" if dirty else "")


def wait_for(port: int, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def run_wrk(url: str, script: Path, connections: int, seconds: int, threads: int) -> dict:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    result = re.search(r"RESULT (.*)", out).group(1)
    values = dict(pair.split("=") for pair in result.split())
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    return {**{k: float(v) for k, v in values.items()}, "rps": float(rps)}


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def serving_pids(server_pid: int, admin, application_name: str) -> list[int]:
    """gunicorn's master and workers, and the PostgreSQL backends serving them."""
    pids = [server_pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server_pid:
                pids.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    with admin.connect() as connection:
        pids += connection.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"),
                                   {"n": application_name}).scalars().all()
    return pids


class QueueChanges:
    """Changes the Northshire queue in the background while wrk runs, as triage workers would:
    a RAG rating on a random open referral, committed through the portal's session, so that the
    hooks move the council's queue version and every cached queue page is recomputed."""

    def __init__(self, app, la_id, per_second: float):
        self.app, self.la_id, self.per_second = app, la_id, per_second
        self.made = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if self.per_second > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        from sqlalchemy import select, update

        from portal.db import db
        from portal.triage.models import TriageItem

        rng = random.Random(9)
        with self.app.app_context():
            open_ids = db.session.execute(select(TriageItem.id).where(
                TriageItem.local_authority_id == self.la_id, TriageItem.open)).scalars().all()
            while not self._stop.wait(1 / self.per_second):
                db.session.execute(update(TriageItem).where(TriageItem.id == rng.choice(open_ids))
                                   .values(rag=rng.choice(["red", "amber", "green"]))
                                   .execution_options(queue_of=self.la_id))
                db.session.commit()
                self.made += 1
            db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--referrals", type=int, default=200_000)
    # 3 sync workers: measured beside 4 on this 2-CPU machine, where PostgreSQL and wrk share the
    # CPUs, 3 served as many requests with a shorter tail (fewer processes taking turns).
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (more than 1: gthread workers)")
    parser.add_argument("--connections", default="16,4", help="comma-separated: one set of runs per value")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=5321)
    parser.add_argument("--cache", choices=["both", "on", "off"], default="both",
                        help="run with the queue cache off (the baseline), on, or both side by side (default)")
    parser.add_argument("--changes-per-second", type=float, default=2.0,
                        help="changes to the queue while wrk runs (each one empties the cached pages)")
    parser.add_argument("--compare", metavar="DIR",
                        help="also serve the code of this checkout (queue cache on), view by view beside this one")
    parser.add_argument("--compare-workers", type=int,
                        help="gunicorn worker processes for the --compare server (default: --workers)")
    parser.add_argument("--keep", action="store_true", help="keep the database (and print its URL)")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="run against a database kept by an earlier --keep run (no loading; never dropped)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")

    from portal.config import normalise_database_url

    base = normalise_database_url(args.database_url)
    name = args.reuse or f"triage_bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    if args.reuse:
        args.keep = True
    else:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    env = environ_for(url, instance)
    server = None
    try:
        from flask_migrate import upgrade

        from portal import create_app

        app = create_app(env)
        with app.app_context():
            upgrade()
            from portal.db import db

            if args.reuse:
                ids = loaded_ids()
            else:
                print(f"Loading {args.referrals:,} referrals...", flush=True)
                ids = load(app, args.referrals)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
            cookies = sign_in_cookies(app, ids["worker_ids"])
            db.session.remove()
            db.engine.dispose()
        cookie_file = instance / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
        script = instance / "queue.lua"
        script.write_text(WRK_SCRIPT % {"cookies": cookie_file})

        views = [
            ("default queue (awaiting a decision)", ""),
            ("overdue only", "?breached=yes"),
            ("one school", f"?school={ids['school_id']}"),
            ("urgent only", "?urgency=urgent"),
            ("all statuses, page 200", "?status=all&page=200"),
            ("decided, page 1", "?status=decided"),
        ]
        connection_counts = [int(n) for n in str(args.connections).split(",")]
        # Each server: (label, checkout it serves, queue cache seconds). All are started before the
        # runs and take turns, view by view, so that a drift in the machine's speed during the run
        # touches them alike.
        configurations = {"off": [("cache off", ROOT, "0", args.workers)], "on": [("cache on", ROOT, "10", args.workers)]}
        servers = configurations["off"] + configurations["on"] if args.cache == "both" else configurations[args.cache]
        if args.compare:
            servers.append(("compared, cache on", Path(args.compare).resolve(), "10", args.compare_workers or args.workers))
        print()
        print(f"Machine: {platform.node()} – {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}; PostgreSQL on the same machine; gunicorn {args.workers} "
              f"{'sync workers' if args.threads == 1 else f'gthread workers x {args.threads} threads'}; wrk, {args.seconds}s per view; load average before the runs "
              f"{os.getloadavg()[0]:.1f}")
        print(f"While wrk runs, the queue changes {args.changes_per_second:g} times a second (a RAG rating "
              "set on a random open referral, through the portal's own session hooks).")
        for label, root, seconds, workers in servers:
            print(f"  {label}: {root}" + (f" ({_revision(root)})" if _revision(root) else "") + f", {workers} workers")
        started = []
        for number, (label, root, seconds, workers) in enumerate(servers):
            port = args.port + number
            name = f"triage-bench-{number}"
            server_env = {**env, "PORTAL_QUEUE_CACHE_SECONDS": seconds,
                          # The PostgreSQL backends of each server are told apart by this name.
                          "PORTAL_DATABASE_URL": f"{url}?application_name={name}"}
            process = subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "--threads", str(args.threads),
                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                cwd=root, env=server_env, start_new_session=True)
            started.append((label, port, name, process))
            server = started  # for the clean-up below
            wait_for(port)
            # Warm up every worker process: the first request of each compiles the templates, loads the
            # bank-holiday tables and opens its database connection (a few seconds, once per process).
            for _, query in views:
                run_wrk(f"http://127.0.0.1:{port}/triage{query}", script, max(connection_counts), 3, 2)
        with QueueChanges(app, ids["north_id"], args.changes_per_second) as changes:
            for connections in connection_counts:
                print(f"\n{connections} connections")
                # CPU ms per request (gunicorn + PostgreSQL, not wrk): a steadier figure than
                # latency when other work shares the machine.
                print(f"{'view':38} {'server':20} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6} "
                      f"{'errors':>6} {'CPU ms/req':>10}")
                for view, query in views:
                    for label, port, name, process in started:
                        pids = serving_pids(process.pid, admin, name)
                        cpu_before = cpu_seconds(pids)
                        r = run_wrk(f"http://127.0.0.1:{port}/triage{query}", script, connections, args.seconds, 2)
                        cpu = (cpu_seconds(pids) - cpu_before) * 1000 / max(1, r["requests"])
                        print(f"{view:38} {label:20} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} {r['rps']:6.0f} "
                              f"{int(r['errors'] + r['non2xx']):6d} {cpu:10.1f}", flush=True)
                        view = ""
        print(f"(queue changes made during these runs: {changes.made})")
    finally:
        for _, _, _, process in (server or []):
            os.killpg(process.pid, signal.SIGTERM)
        for _, _, _, process in (server or []):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if args.keep:
            print(f"database kept: {url}")
        else:
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                                   {"n": name})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
