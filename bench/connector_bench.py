"""Connector benchmark: referrals delivered per second with 1, 2 and 4 workers, and latency.

    .venv/bin/python bench/connector_bench.py [--referrals 2000] [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates its own PostgreSQL database (dropped at the end), starts the case-system simulator with
gunicorn workers (`casesim run --workers 4`), and real `flask connector run` worker processes.

- Throughput: N outbox rows are made due at once; the figure is N divided by the time from the
  workers' start to the last delivery (delivered_at), for 1, 2 and 4 workers.
- Latency: with 4 workers running, rows are added at a steady rate (as submissions would commit)
  and the time from each row's commit (created_at) to its case reference (delivered_at) is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


@contextmanager
def bench_database(server: str):
    name = f"portal_connector_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--server", default=os.environ.get("PORTAL_BENCH_DATABASE_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--sim-workers", type=int, default=4)
    parser.add_argument("--latency-rate", type=float, default=100.0, help="rows per second in the latency run")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, bench_database(args.server) as url:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update({"PORTAL_ENV": "development", "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(tmp / "instance"),
                    "PYTHONPATH": str(PROJECT), "CASESIM_ADMIN_TOKEN": "bench",
                    "PORTAL_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1:5190"})  # the simulator's port below
        os.environ.update({k: env[k] for k in ("PORTAL_ENV", "PORTAL_DATABASE_URL", "PORTAL_INSTANCE_PATH",
                                               "PORTAL_CONNECTOR_ALLOWED_HOSTS")})

        from flask_migrate import upgrade

        from portal import create_app
        from casesim.config import DEV_SECRETS
        from portal.connector.endpoints import set_endpoint
        from portal.connector.models import OutboxItem
        from portal.db import db
        from tests.connector.portal_setup import bulk_outbox
        from tests.factories import make_la

        import logging

        app = create_app()
        logging.getLogger().setLevel(logging.WARNING)
        port = 5190
        sim = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "casesim", "run", "--port", str(port),
             "--workers", str(args.sim_workers), "--db", str(tmp / "casesim.sqlite3")],
            env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workers: list[subprocess.Popen] = []
        try:
            with app.app_context():
                upgrade(directory=str(PROJECT / "migrations"))
                la = make_la(code="938", name="Northshire")
                set_endpoint(la, f"http://127.0.0.1:{port}/la/938", DEV_SECRETS["938"][0], allow_http=True)
                db.session.commit()
                from tests.referrals.factories import school_with_people

                setup = school_with_people(la)
                time.sleep(3)  # the simulator's workers start

                def delivered() -> int:
                    db.session.rollback()
                    return db.session.execute(select(func.count(OutboxItem.id)).where(OutboxItem.state == "delivered")).scalar_one()

                def start_workers(n: int) -> None:
                    for i in range(n):
                        workers.append(subprocess.Popen(
                            [sys.executable, "-m", "flask", "--app", "portal", "connector", "run", "--no-pull",
                             "--batch", "100", "--concurrency", "16", "--poll-interval", "0.05", "--worker-id", f"b{i}"],
                            env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

                def stop_workers() -> None:
                    for worker in workers:
                        worker.terminate()
                    for worker in workers:
                        worker.wait(30)
                    workers.clear()

                print(f"Machine: {machine()}")
                print(f"PostgreSQL {db.session.execute(text('SHOW server_version')).scalar_one()}; simulator: "
                      f"gunicorn, {args.sim_workers} processes; connector workers: batch 100, 16 requests in flight each")
                results = {}
                for n in (1, 2, 4):
                    db.session.execute(text("TRUNCATE connector_delivery_failure, connector_outbox"))
                    db.session.commit()
                    bulk_outbox(la, args.referrals, setup)
                    # Rows wait until the workers are up, so start-up time is not counted.
                    db.session.execute(text("UPDATE connector_outbox SET next_attempt_at = now() + interval '1 day'"))
                    db.session.commit()
                    before = delivered()
                    start_workers(n)
                    time.sleep(5)
                    db.session.execute(text("UPDATE connector_outbox SET next_attempt_at = now()"))
                    db.session.commit()
                    started = time.time()
                    while delivered() < before + args.referrals:
                        time.sleep(0.1)
                    last = db.session.execute(select(func.max(OutboxItem.delivered_at))).scalar_one().timestamp()
                    stop_workers()
                    rate = args.referrals / (last - started)
                    results[n] = rate
                    print(f"{n} worker(s): {args.referrals} referrals in {last - started:.2f} s = {rate:.0f} referrals/s")

                # Latency: 4 workers running, rows committed at a steady rate.
                db.session.execute(text("TRUNCATE connector_delivery_failure, connector_outbox"))
                db.session.commit()
                start_workers(4)
                time.sleep(4)  # let the workers start
                total = int(args.latency_rate * args.latency_seconds)
                started = time.time()
                for i in range(total):
                    bulk_outbox(la, 1, setup)
                    pause = started + (i + 1) / args.latency_rate - time.time()
                    if pause > 0:
                        time.sleep(pause)
                while delivered() < total:
                    time.sleep(0.1)
                stop_workers()
                rows = db.session.execute(select(OutboxItem.created_at, OutboxItem.delivered_at)).all()
                latencies = sorted((d - c).total_seconds() for c, d in rows)
                p50 = statistics.median(latencies)
                p95 = latencies[int(len(latencies) * 0.95) - 1]
                print(f"Latency, submit to case reference ({total} referrals at {args.latency_rate:.0f}/s, 4 workers, "
                      f"poll interval 0.05 s): p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
                print(json.dumps({"throughput": results, "latency_p50": p50, "latency_p95": p95}))
        finally:
            for worker in workers:
                worker.kill()
            sim.terminate()
            sim.wait(30)
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
