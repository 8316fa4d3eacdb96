"""Seed national-scale volumes into a PostgreSQL database, with real encryption, by COPY.

At scale 1.0: 500 schools in 50 councils, 1,000,000 pupils (2,000 a school), 1,000,000 concerns
(each with its first version and the subject's link row), 200,000 submitted referrals with their
queue items, and 400,000 shared updates, of which each school's DSL has read those older than
two weeks (about 98%: the rest are their unread ones). `--scale` multiplies every volume (0.02 is
a "national-shaped" set: the same 2,000 pupils a school, across 10 schools).

Every personal field is encrypted exactly as the portal does it (the model's own descriptors:
AES-256-GCM bound to table, column and row, with the blind indexes computed by the portal's code);
only the INSERT is replaced by PostgreSQL's COPY. Each school gets a DSL, `dsl{n}@national.test`.

    .venv/bin/python bench/seed_national.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_national [--scale 0.02]

The database must exist and be migrated (`flask db upgrade`), with PORTAL_MASTER_KEY set as the
portal that will serve it has it. `bench/pages_bench.py` calls `seed()` on a database of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORENAMES = ["Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Ivy", "Freddie", "Zara", "Kai",
             "Olivia", "George", "Lily", "Muhammad", "Sofia", "Theo", "Grace", "Jack"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Patel", "Khan", "Evans", "Hughes", "Okafor",
            "Nowak", "Murphy", "Begum", "Ali", "Walker", "Wright", "Robinson", "Thompson", "Hartley"]
CATEGORIES = ["neglect", "emotional_abuse", "physical_abuse", "domestic_abuse", "online_safety", "attendance"]
ACCOUNT = "Said they had not eaten since lunchtime yesterday and that there was no food at home."


def _row(obj, table) -> tuple:
    """The row the ORM would insert for `obj`: encrypted columns as set, blind indexes computed."""
    from portal.crypto.fields import _settle
    from portal.db import db

    _settle(obj, db.session.connection(), inserting=True)
    mapper = obj.__mapper__
    values = []
    for column in table.columns:
        prop = mapper.get_property_by_column(column)
        values.append(obj.__dict__.get(prop.key))
    return tuple(values)


def _copy(table, rows) -> None:
    from portal.db import db

    if not rows:
        return
    raw = db.session.connection().connection.driver_connection
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    types = [c.type for c in table.columns]
    dialect = db.engine.dialect
    processors = [t.bind_processor(dialect) if hasattr(t, "bind_processor") else None for t in types]
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([p(v) if (p is not None and v is not None) else v for p, v in zip(processors, row)])


def seed(scale: float = 1.0, *, pupils_per_school: int = 2000, seed_value: int = 22, progress=print) -> dict:
    """Load the volumes into the app's database (inside an app context). Returns counts and the
    ids a bench needs: a school, its DSL, a pupil with concerns, a triage worker."""
    from sqlalchemy import func, select

    from portal.auth.models import User
    from portal.auth.roles import Role
    from portal.concerns.models import Concern, ConcernPupil, ConcernVersion
    from portal.db import db
    from portal.orgs.models import LocalAuthority, School
    from portal.pupils.models import Enrolment, Pupil
    from portal.referrals.models import Referral
    from portal.triage.decision_deadline import decision_due
    from portal.triage.models import TriageItem
    from portal.updates.models import SharedUpdate, SharedUpdateRead

    rng = random.Random(seed_value)
    started = time.perf_counter()
    schools_n = max(2, round(500 * scale))
    # Per pupil as nationally: one concern, 0.2 referrals, 0.4 updates.
    pupils_n = schools_n * pupils_per_school
    concerns_n = pupils_n
    referrals_n = max(1, pupils_n // 5)
    updates_n = max(1, pupils_n * 2 // 5)
    councils_n = max(1, schools_n // 10)
    now = datetime.now(timezone.utc)

    las = [LocalAuthority(code=f"{800 + i}", name=f"National Council {i + 1}") for i in range(councils_n)]
    db.session.add_all(las)
    db.session.flush()
    schools = []
    for i in range(schools_n):
        la = las[i % councils_n]
        number = f"{3000 + i:04d}"
        schools.append(School(urn=f"{800000 + i}", local_authority_id=la.id, establishment_number=number,
                              laestab=f"{la.code}{number}", name=f"National School {i + 1}", phase="Secondary"))
    db.session.add_all(schools)
    db.session.flush()
    dsls = [User(email=f"dsl{i}@national.test", display_name=f"DSL {i}", role=Role.DSL.value, school_id=s.id,
                 password_hash="x") for i, s in enumerate(schools)]
    workers = [User(email=f"worker{i}@national.test", display_name=f"Worker {i}", role=Role.TRIAGE_WORKER.value,
                    local_authority_id=la.id, password_hash="x") for i, la in enumerate(las)]
    db.session.add_all(dsls + workers)
    db.session.commit()
    school_ids = [s.id for s in schools]
    school_la = {s.id: s.local_authority_id for s in schools}
    dsl_of = {d.school_id: d.id for d in dsls}

    pupil_table, enrolment_table = Pupil.__table__, Enrolment.__table__
    pupils_of: dict = {sid: [] for sid in school_ids}
    made = 0
    for school_id in school_ids:
        rows, enrolments = [], []
        for _ in range(pupils_per_school):
            pupil = Pupil(id=uuid.uuid4(), school_id=school_id, on_roll=rng.random() > 0.03, created_at=now,
                          updated_at=now, transferred_out_at=None)
            pupil.legal_forename = rng.choice(FORENAMES)
            pupil.legal_surname = rng.choice(SURNAMES) + ("-" + rng.choice(SURNAMES) if rng.random() < 0.1 else "")
            pupil.date_of_birth = date(2008, 9, 1) + timedelta(days=rng.randrange(2555))
            pupil.upn = None
            pupil.year_group = f"Year {rng.randint(7, 13)}"
            pupil.postcode = f"NN{rng.randint(1, 9)} {rng.randint(1, 9)}AA"
            rows.append(_row(pupil, pupil_table))
            enrolment = Enrolment(id=uuid.uuid4(), pupil_id=pupil.id, school_id=school_id,
                                  start_date=date(2020, 9, 1), end_date=None, leaving_reason=None, created_at=now)
            enrolment.other_school_name = None
            enrolments.append(_row(enrolment, enrolment_table))
            pupils_of[school_id].append(pupil.id)
        _copy(pupil_table, rows)
        _copy(enrolment_table, enrolments)
        db.session.commit()
        made += len(rows)
        if made % 100_000 == 0 or school_id == school_ids[-1]:
            progress(f"  pupils: {made:,} in {time.perf_counter() - started:.0f}s")

    concern_rows, version_rows, link_rows = [], [], []
    for n in range(concerns_n):
        school_id = school_ids[n % schools_n]
        pupil_id = rng.choice(pupils_of[school_id])
        occurred = now - timedelta(days=rng.uniform(0, 1000))
        concern = Concern(id=uuid.uuid4(), school_id=school_id, pupil_id=pupil_id, logged_by_id=dsl_of[school_id],
                          logged_at=occurred, occurred_at=occurred, urgent=rng.random() < 0.05,
                          status=rng.choice(["awaiting_review", "reviewed", "reviewed", "reviewed"]),
                          current_version=1, submission_token=secrets.token_hex(16))
        concern_rows.append(_row(concern, Concern.__table__))
        version = ConcernVersion(id=uuid.uuid4(), concern_id=concern.id, version=1,
                                 created_by_id=dsl_of[school_id], created_at=occurred)
        version.content = {"account": ACCOUNT, "categories": [rng.choice(CATEGORIES)], "location": "Classroom"}
        version.change_reason = None
        version_rows.append(_row(version, ConcernVersion.__table__))
        link = ConcernPupil(id=uuid.uuid4(), concern_id=concern.id, pupil_id=pupil_id)
        link.role = "subject"
        link_rows.append(_row(link, ConcernPupil.__table__))
        if len(concern_rows) == 20_000 or n == concerns_n - 1:
            _copy(Concern.__table__, concern_rows)
            _copy(ConcernVersion.__table__, version_rows)
            _copy(ConcernPupil.__table__, link_rows)
            db.session.commit()
            concern_rows, version_rows, link_rows = [], [], []
            progress(f"  concerns: {n + 1:,} in {time.perf_counter() - started:.0f}s")

    referral_rows, item_rows = [], []
    referral_ids = []
    for n in range(referrals_n):
        school_id = school_ids[n % schools_n]
        la_id = school_la[school_id]
        waiting = rng.random() < 0.02
        received = now - (timedelta(hours=rng.uniform(0, 60)) if waiting else timedelta(days=rng.uniform(2, 900)))
        urgent = rng.random() < 0.08
        pupil_id = rng.choice(pupils_of[school_id])
        referral = Referral(id=uuid.uuid4(), school_id=school_id, pupil_id=pupil_id, local_authority_id=la_id,
                            created_by_id=dsl_of[school_id], created_at=received, updated_at=received,
                            status="acknowledged" if waiting else "decided", urgent=urgent, submitted_at=received,
                            submitted_by_id=dsl_of[school_id], reference=f"NAT-{n:08d}", start_token=None)
        referral.form = {"national": True}
        referral_rows.append(_row(referral, Referral.__table__))
        referral_ids.append((referral.id, school_id, pupil_id, la_id))
        item_rows.append(dict(
            id=uuid.uuid4(), referral_id=referral.id, round=1, current=True, local_authority_id=la_id, source="school",
            school_id=school_id, urgent=urgent, received_at=received, due_at=decision_due(received),
            state=rng.choice(["new", "in_triage"]) if waiting else "decided", open=waiting, assigned_to_id=None,
            assigned_at=None, rag=None if waiting else rng.choice(["red", "amber", "green"]), first_opened_at=None,
            decided_at=None if waiting else received + timedelta(hours=5),
            outcome=None if waiting else "early_help"))
        if len(referral_rows) == 20_000 or n == referrals_n - 1:
            _copy(Referral.__table__, referral_rows)
            item_table = TriageItem.__table__
            _copy(item_table, [tuple(row.get(c.name) for c in item_table.columns) for row in item_rows])
            db.session.commit()
            referral_rows, item_rows = [], []
            progress(f"  referrals: {n + 1:,} in {time.perf_counter() - started:.0f}s")

    update_rows, read_rows = [], []
    read_table = SharedUpdateRead.__table__
    for n in range(updates_n):
        referral_id, school_id, pupil_id, la_id = referral_ids[n % len(referral_ids)] if referral_ids else (
            None, school_ids[n % schools_n], None, None)
        update = SharedUpdate(id=uuid.uuid4(), school_id=school_id, local_authority_id=la_id or school_la[school_id],
                              pupil_id=pupil_id, referral_id=referral_id, kind="note",
                              created_at=now - timedelta(days=rng.uniform(0, 900)), created_by_id=None)
        update.content = {"title": "Update from the council", "note_for_school": "We have spoken to the family."}
        update_rows.append(_row(update, SharedUpdate.__table__))
        # The DSL has read what came more than two weeks ago: the unread counts and lists then
        # find the reads a real school has (without them every update would count as unread).
        if update.created_at < now - timedelta(days=14):
            read_rows.append({"id": uuid.uuid4(), "update_id": update.id, "user_id": dsl_of[school_id],
                              "read_at": update.created_at + timedelta(days=1)})
        if len(update_rows) == 20_000 or n == updates_n - 1:
            _copy(SharedUpdate.__table__, update_rows)
            _copy(read_table, [tuple(row[c.name] for c in read_table.columns) for row in read_rows])
            db.session.commit()
            update_rows, read_rows = [], []
            progress(f"  updates: {n + 1:,} in {time.perf_counter() - started:.0f}s")

    # The bench's pupil: the one at the first school with the most concerns.
    first = school_ids[0]
    pupil_id = db.session.execute(
        select(Concern.pupil_id).where(Concern.school_id == first).group_by(Concern.pupil_id)
        .order_by(func.count().desc()).limit(1)).scalar() or pupils_of[first][0]
    progress(f"  seeded in {time.perf_counter() - started:.0f}s")
    return {"school_id": first, "dsl_id": dsl_of[first], "pupil_id": pupil_id, "worker_id": workers[0].id,
            "pupils": made, "concerns": concerns_n, "referrals": referrals_n, "updates": updates_n,
            "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 500 schools (2,000 pupils each)")
    args = parser.parse_args()
    from portal import create_app

    env = {k: v for k, v in os.environ.items()}
    env["PORTAL_DATABASE_URL"] = args.database_url
    app = create_app(env)
    with app.app_context():
        print(seed(args.scale))


if __name__ == "__main__":
    main()
