"""Failover drill against the running cluster (`make cluster`, then `make failover-drill`).

Under a steady, bounded load through HAProxy (signed-in page views by four demo users and
concern submissions by two, each user one request at a time, loopback only), it:

1. kills one web node outright (SIGKILL to its gunicorn master and workers: a machine lost);
2. stops the PostgreSQL primary the hard way (`pg_ctl -m immediate`: a crash) and promotes the
   standby (`pg_ctl promote`); the portal finds the new primary by itself through its libpq
   multi-host URL (target_session_attrs=read-write).

It prints, for each event, the requests made and failed until the next event and the seconds
until requests succeeded again; then checks that every concern whose submission was acknowledged
to its user (the "concern logged" redirect) is in the promoted database. Afterwards it puts the
cluster back (the killed node restarted, the old primary rebuilt as the new standby) unless
--leave-broken.

    .venv/bin/python bench/failover.py [--phase-seconds 20] [--leave-broken]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pyotp

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "instance" / "cluster"
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
PORTS = {"pg1": int(os.environ.get("PG1_PORT", "15432")), "pg2": int(os.environ.get("PG2_PORT", "15433"))}
PASSWORD = "demo-Portal-2026"
TOTP = pyotp.TOTP("DEMODEMODEMODEMODEMODEMODEMODEMO")
UK = ZoneInfo("Europe/London")
VIEWERS = {  # who reads which page
    "triage@northshire.demo": "/triage",
    "manager@northshire.demo": "/home",
    "dsl@riverside.demo": "/home",
    "dsl@hillcrest.demo": "/home",
}
SUBMITTERS = ("staff@oakfield.demo", "dsl@oakfield.demo")  # Oakfield: Amelia is on its roll
INPUT = re.compile(r"<input\b[^>]*>", re.S)
VALUE = re.compile(r'\bvalue="([^"]*)"')


def field_value(html: str, name: str) -> str | None:
    """The value of the first <input name=NAME> on a page, whatever the order of its attributes."""
    for tag in INPUT.findall(html):
        if f'name="{name}"' in tag and (match := VALUE.search(tag)) and match.group(1):
            return match.group(1)
    return None


LOGGED = re.compile(r"/concerns/([0-9a-f-]{36})/logged$")


@dataclass
class Outcome:
    started: float
    ended: float
    ok: bool
    what: str


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def note(self, started: float, ok: bool, what: str) -> None:
        with self.lock:
            self.outcomes.append(Outcome(started, time.monotonic(), ok, what))


def secrets() -> dict[str, str]:
    values = {}
    for line in (CLUSTER / "secrets.env").read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = value
    return values


def database(password: str) -> psycopg.Connection:
    hosts = ",".join("127.0.0.1" for _ in PORTS)
    ports = ",".join(str(p) for p in PORTS.values())
    return psycopg.connect(f"host={hosts} port={ports} dbname=portal user=portal password={password} "
                           "target_session_attrs=read-write connect_timeout=3")


def in_recovery(node: str, password: str) -> bool | None:
    try:
        with psycopg.connect(host="127.0.0.1", port=PORTS[node], dbname="portal", user="portal",
                             password=password, connect_timeout=2) as connection:
            return connection.execute("select pg_is_in_recovery()").fetchone()[0]
    except psycopg.OperationalError:
        return None


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, verify=str(CLUSTER / "tls" / "cert.pem"), timeout=10.0,
                        follow_redirects=False)


def csrf(page: httpx.Response) -> str:
    value = field_value(page.text, "csrf_token")
    if not value:
        raise RuntimeError(f"no form token on {page.url} ({page.status_code})")
    return value


def sign_in(base: str, email: str) -> httpx.Client:
    """The real pages: address and password, then a TOTP code (each code is taken once per user;
    a code used in the last window is refused, so wait for the next)."""
    for _ in range(3):
        browser = client(base)
        page = browser.get("/sign-in")
        browser.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page)})
        page = browser.get("/sign-in/code")
        done = browser.post("/sign-in/code", data={"code": TOTP.now(), "csrf_token": csrf(page)})
        if done.status_code == 302 and "/sign-in" not in done.headers.get("location", ""):
            return browser
        time.sleep(31 - time.time() % 30)
    raise RuntimeError(f"could not sign in as {email}")


def view(load: Load, browser: httpx.Client, path: str) -> None:
    while not load.stop.is_set():
        started = time.monotonic()
        try:
            response = browser.get(path)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        load.note(started, ok, "view")
        time.sleep(0.05)


def step(load: Load, browser: httpx.Client, method: str, path: str, data: dict | None = None) -> httpx.Response | None:
    started = time.monotonic()
    try:
        if method == "GET":
            response = browser.get(path)
        else:
            response = browser.post(path, data=data)
    except httpx.HTTPError:
        load.note(started, False, "submit")
        return None
    ok = response.status_code < 400 and "/sign-in" not in response.headers.get("location", "")
    load.note(started, ok, "submit")
    return response if ok else None


def submit_concerns(load: Load, browser: httpx.Client, pupil_id: str) -> None:
    """The concern journey, again and again; a failed step starts the journey over (the draft
    keeps what was saved). Acknowledged = the 'concern logged' page was reached."""
    while not load.stop.is_set():
        page = step(load, browser, "GET", "/concerns/new/pupil")
        if page is None:
            time.sleep(0.2); continue
        token = csrf(page)
        moment = datetime.now(UK) - timedelta(minutes=30)
        answers = [
            ("/concerns/new/pupil", {"action": "continue", "pupil_id": pupil_id}),
            ("/concerns/new/when-and-where", {"occurred_date": [str(moment.day), str(moment.month), str(moment.year)],
                                              "occurred_time": moment.strftime("%H:%M"),
                                              "location": "Playground"}),
            ("/concerns/new/categories", {"categories": "neglect"}),
            ("/concerns/new/what-happened", {"account": "Said she had not eaten since yesterday lunchtime (failover drill)",
                                             "action_taken": "Breakfast club"}),
            ("/concerns/new/anything-else", {"urgent": "no"}),
        ]
        if any(step(load, browser, "POST", path, {**fields, "csrf_token": token}) is None for path, fields in answers):
            time.sleep(0.2); continue
        check = step(load, browser, "GET", "/concerns/new/check")
        if check is None or not field_value(check.text, "token"):
            time.sleep(0.2); continue
        sent = step(load, browser, "POST", "/concerns/new/submit",
                    {"token": field_value(check.text, "token"), "csrf_token": csrf(check)})
        if sent is not None and (match := LOGGED.search(sent.headers.get("location", ""))):
            with load.lock:
                load.acknowledged.append(match.group(1))


def pupil_for(browser: httpx.Client) -> str:
    page = browser.get("/concerns/new/pupil")
    found = browser.post("/concerns/new/pupil", data={"action": "search", "query": "Amel", "csrf_token": csrf(page)})
    if found.status_code == 302:
        found = browser.get(found.headers["location"])
    pupil_id = field_value(found.text, "pupil_id")
    if not pupil_id:
        raise RuntimeError("Amelia not found at Oakfield: is the cluster seeded?")
    return pupil_id


def kill_node(name: str) -> None:
    pid = int((CLUSTER / "run" / f"{name}.pid").read_text())
    os.killpg(pid, signal.SIGKILL)  # the master and its workers, as if the machine went


def fail_database_over(password: str) -> str:
    primary = next(n for n in PORTS if in_recovery(n, password) is False)
    standby = next(n for n in PORTS if n != primary)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(PGBIN / "pg_ctl"), "-D", str(CLUSTER / primary), "-m", "immediate", "stop"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, str(PGBIN / "pg_ctl"), "-D", str(CLUSTER / standby), "-w", "promote"],
                   check=True, capture_output=True)
    return f"{primary} crashed (pg_ctl -m immediate stop), {standby} promoted"


def summarise(load: Load, events: list[tuple[str, float]], end: float) -> list[str]:
    lines = []
    bounds = events + [("end", end)]
    for (name, at), (_, until) in zip(bounds, bounds[1:]):
        window = [o for o in load.outcomes if at <= o.ended < until]
        failed = [o for o in window if not o.ok]
        recovered = (max(o.ended for o in failed) - at) if failed else 0.0
        lines.append(f"{name}: {len(window)} requests, {len(failed)} failed; "
                     f"{'requests succeeded again after %.1f s' % recovered if failed else 'no request failed'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"https://127.0.0.1:{os.environ.get('HAPROXY_PORT', '18000')}")
    parser.add_argument("--phase-seconds", type=float, default=20.0, help="load before, between and after the events")
    parser.add_argument("--leave-broken", action="store_true", help="do not restart the node or rejoin the old primary")
    args = parser.parse_args()
    if not (CLUSTER / "secrets.env").exists():
        sys.exit("No cluster: run `make cluster` first.")
    password = secrets()["CLUSTER_DB_PASSWORD"]
    with open("/proc/loadavg") as f:
        loadavg = f.read().split()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, load {loadavg}; "
          f"Python {platform.python_version()}; PostgreSQL 15; everything on this machine")

    viewers = {email: sign_in(args.url, email) for email in VIEWERS}
    submitters = [sign_in(args.url, email) for email in SUBMITTERS]
    pupil_id = pupil_for(submitters[0])
    print(f"signed in {len(viewers) + len(submitters)} demo users through HAProxy; load: "
          f"{len(viewers)} page viewers, {len(submitters)} concern submitters, one request at a time each")

    load = Load()
    threads = [threading.Thread(target=view, args=(load, browser, VIEWERS[email])) for email, browser in viewers.items()]
    threads += [threading.Thread(target=submit_concerns, args=(load, browser, pupil_id)) for browser in submitters]
    for thread in threads:
        thread.start()
    events = [("steady load", time.monotonic())]
    try:
        time.sleep(args.phase_seconds)
        kill_node("node1")
        events.append(("node1 killed (SIGKILL to its gunicorn)", time.monotonic()))
        time.sleep(args.phase_seconds)
        at = time.monotonic()
        events.append((fail_database_over(password), at))
        time.sleep(args.phase_seconds * 1.5)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=15)
    end = time.monotonic()

    print()
    for line in summarise(load, events, end):
        print("  " + line)
    with database(password) as connection:
        ids = list(dict.fromkeys(load.acknowledged))
        present = connection.execute("select count(*) from concern where id = any(%s::uuid[])", (ids,)).fetchone()[0]
        port = connection.info.port
    print(f"  submissions acknowledged to users: {len(ids)}; in the database now (the promoted primary, "
          f"port {port}): {present}; missing: {len(ids) - present}")

    if not args.leave_broken:
        print("\nputting the cluster back: node1 restarted, the old primary rebuilt as the new standby")
        subprocess.run([str(ROOT / "deploy" / "cluster.sh"), "start"], check=True, capture_output=True)
        subprocess.run([str(ROOT / "deploy" / "cluster.sh"), "rejoin"], check=True)
    sys.exit(0 if present == len(ids) else 1)


if __name__ == "__main__":
    main()
