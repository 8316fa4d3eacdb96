"""Benchmark of the portal's field encryption and blind indexes (issue 4).

1. Encrypt + decrypt throughput of the portal's encrypted field vs sqlalchemy-utils'
   StringEncryptedType with AesGcmEngine, on the same 100,000 values in the same run.
2. Finding a pupil by surname + date of birth among 100,000 and 1,000,000 pupils on PostgreSQL:
   the blind-index lookup vs decrypting every row and scanning.

Needs the `bench` extra (pip install -e '.[bench]') and a PostgreSQL server:

    .venv/bin/python bench/crypto_bench.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

A database of its own is created on that server for the run and dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import MetaData, String, Unicode, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402
from sqlalchemy_utils import StringEncryptedType  # noqa: E402
from sqlalchemy_utils.types.encrypted.encrypted_type import AesGcmEngine  # noqa: E402

from portal.crypto import blind_index, encrypted, lookup  # noqa: E402
from portal.crypto.cipher import decrypt, encrypt  # noqa: E402
from portal.crypto.fields import keyring  # noqa: E402
from portal.crypto.models import PURPOSE_FIELD, PURPOSE_INDEX  # noqa: E402
from portal.db import UUIDPrimaryKey  # noqa: E402

SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke",
    "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes",
    "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan",
    "Scott", "Watson", "Davis", "Parker", "James", "Bennett", "Young", "Phillips", "Richardson", "Mitchell",
]


class BenchBase(DeclarativeBase):
    metadata = MetaData()


class BenchPupil(UUIDPrimaryKey, BenchBase):
    __tablename__ = "bench_pupil"

    school: Mapped[str] = mapped_column(String(6), default="100001")
    surname = encrypted(str)
    date_of_birth = encrypted(date)
    surname_dob_index = blind_index("surname", "date_of_birth")


class UtilsPupil(UUIDPrimaryKey, BenchBase):
    """The same field with sqlalchemy-utils' AES-GCM type, for comparison."""

    __tablename__ = "bench_utils_pupil"

    surname: Mapped[str] = mapped_column(
        StringEncryptedType(Unicode, base64.b64encode(os.urandom(32)).decode(), AesGcmEngine)
    )
    stored = None  # the bound (encrypted) form, kept on the instance for the decrypt half


def surname_for(n: int) -> str:
    # About a million distinct surnames (common stems with a varied ending), so that a
    # surname + date of birth is nearly unique, as it is among real pupils.
    return f"{SURNAMES[n % len(SURNAMES)]}-{(n * 2654435761) % 20011}"


def dob_for(n: int) -> date:
    return date(2008, 9, 1) + timedelta(days=(n * 7919) % (365 * 14))


@contextmanager
def throwaway_database(server_url: str):
    name = f"portal_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({seconds * 1e6 / count:.1f} µs each)"


# --- 1. throughput ------------------------------------------------------------------------------


def throughput(values: list[str], db) -> dict:
    results = {}

    # The portal: assign to the encrypted attribute (encrypt, bound to table/column/row/key),
    # then read it back on a fresh instance loaded with that ciphertext (decrypt + verify).
    pupils = [BenchPupil() for _ in values]
    for pupil in pupils:
        pupil.id = uuid.uuid4()
    db.session.connection()
    started = time.perf_counter()
    for pupil, value in zip(pupils, values):
        pupil.surname = value
    encrypted_seconds = time.perf_counter() - started
    stored = [p._surname_ciphertext for p in pupils]
    fresh = []
    for pupil, ciphertext in zip(pupils, stored):
        copy = BenchPupil(id=pupil.id)
        copy._surname_ciphertext = ciphertext
        fresh.append(copy)
    started = time.perf_counter()
    for copy, value in zip(fresh, values):
        assert copy.surname == value
    decrypted_seconds = time.perf_counter() - started
    results["portal"] = (encrypted_seconds, decrypted_seconds)

    # sqlalchemy-utils: the same values assigned to a mapped attribute of its encrypted type and
    # put through the type's bind processing (what a flush does), then through its result
    # processing and read from a mapped attribute (what loading does). Both sides thus pay for
    # one ORM attribute write and one read per value, as they do in real use.
    utils_type = UtilsPupil.__table__.c.surname.type
    dialect = db.engine.dialect
    utils_pupils = [UtilsPupil() for _ in values]
    started = time.perf_counter()
    for pupil, value in zip(utils_pupils, values):
        pupil.surname = value
        pupil.stored = utils_type.process_bind_param(pupil.surname, dialect)
    encrypted_seconds = time.perf_counter() - started
    utils_fresh = [UtilsPupil() for _ in values]
    started = time.perf_counter()
    for pupil, source, value in zip(utils_fresh, utils_pupils, values):
        pupil.surname = utils_type.process_result_value(source.stored, dialect)
        assert pupil.surname == value
    decrypted_seconds = time.perf_counter() - started
    results["sqlalchemy-utils"] = (encrypted_seconds, decrypted_seconds)

    # The bare ciphers, without any ORM attribute: the portal's encrypt/decrypt (with its
    # associated data) vs sqlalchemy-utils' type processing alone.
    ring, connection = keyring(), db.session.connection()
    ids = [p.id for p in pupils]
    started = time.perf_counter()
    bare = [encrypt(ring, connection, value.encode(), table="bench_pupil", column="surname", row_id=row_id)
            for value, row_id in zip(values, ids)]
    encrypted_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for ciphertext, row_id, value in zip(bare, ids, values):
        assert decrypt(ring, connection, ciphertext, table="bench_pupil", column="surname",
                       row_id=row_id).decode() == value
    decrypted_seconds = time.perf_counter() - started
    results["portal (bare)"] = (encrypted_seconds, decrypted_seconds)
    started = time.perf_counter()
    bare = [utils_type.process_bind_param(value, dialect) for value in values]
    encrypted_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for ciphertext, value in zip(bare, values):
        assert utils_type.process_result_value(ciphertext, dialect) == value
    decrypted_seconds = time.perf_counter() - started
    results["sqlalchemy-utils (bare)"] = (encrypted_seconds, decrypted_seconds)
    return results


# --- 2. lookups ---------------------------------------------------------------------------------


def fill(db, rows: int, already: int) -> None:
    """Insert pupils already..rows-1, encrypted and indexed exactly as the model would do it."""
    ring = keyring()
    connection = db.session.connection()
    field_key = ring.current(PURPOSE_FIELD, connection)
    index_key = ring.current(PURPOSE_INDEX, connection)
    index = BenchPupil.surname_dob_index
    table = BenchPupil.__table__
    batch = []
    for n in range(already, rows):
        row_id = uuid.uuid4()
        surname, dob = surname_for(n), dob_for(n)
        batch.append({
            "id": row_id,
            "school": "100001",
            "surname": encrypt(ring, connection, surname.encode(), table="bench_pupil", column="surname",
                               row_id=row_id, key=field_key),
            "date_of_birth": encrypt(ring, connection, dob.isoformat().encode(), table="bench_pupil",
                                     column="date_of_birth", row_id=row_id, key=field_key),
            "surname_dob_index": index.token(index_key, "bench_pupil", index.normalised([surname, dob])),
        })
        if len(batch) == 10_000:
            db.session.execute(insert(table), batch)
            db.session.commit()
            connection = db.session.connection()
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
    db.session.commit()
    db.session.execute(text("ANALYZE bench_pupil"))
    db.session.commit()


def time_lookups(db, rows: int, samples: int) -> tuple[float, float, float]:
    times, candidates = [], []
    for _ in range(samples):
        n = random.randrange(rows)
        db.session.expunge_all()
        started = time.perf_counter()
        found = lookup(BenchPupil.surname_dob_index, surname_for(n).upper(), dob_for(n))
        times.append(time.perf_counter() - started)
        assert found and all(p.date_of_birth == dob_for(n) for p in found)
        candidates.append(db.session.execute(
            select(text("count(*)")).select_from(BenchPupil.__table__).where(
                BenchPupil.__table__.c.surname_dob_index == found[0].surname_dob_index)
        ).scalar_one())
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.mean(candidates)


def time_scan(db, rows: int) -> float:
    """Decrypt every row and compare: what finding a pupil costs without a blind index.

    Done on plain rows (no ORM objects) so that the comparison flatters the scan, not the index.
    """
    n = random.randrange(rows)
    wanted_surname, wanted_dob = surname_for(n).casefold(), dob_for(n).isoformat().encode()
    table = BenchPupil.__table__
    ring = keyring()
    started = time.perf_counter()
    found = []
    with db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=5000).execute(
            select(table.c.id, table.c.surname, table.c.date_of_birth)
        )
        for row_id, surname, dob in result:
            if decrypt(ring, connection, dob, table="bench_pupil", column="date_of_birth", row_id=row_id) != wanted_dob:
                continue
            if decrypt(ring, connection, surname, table="bench_pupil", column="surname",
                       row_id=row_id).decode().casefold() == wanted_surname:
                found.append(row_id)
    seconds = time.perf_counter() - started
    assert found
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_BENCH_DATABASE_URL",
                                                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--scales", default="100000,1000000")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]

    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import db

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    with throwaway_database(args.database_url) as url, tempfile.TemporaryDirectory() as instance:
        app = create_app({
            "PORTAL_ENV": "development",
            "PORTAL_DATABASE_URL": url,
            "PORTAL_INSTANCE_PATH": instance,
            "PORTAL_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        })
        with app.app_context():
            upgrade()
            BenchBase.metadata.create_all(db.engine)
            server = db.session.execute(text("SHOW server_version")).scalar_one()
            print(f"PostgreSQL {server}\n")

            values = [f"{surname_for(n)} {n}" for n in range(args.values)]
            results = throughput(values, db)
            print(f"1. Encrypt + decrypt, {len(values):,} values (same values, same run)")
            for name, (enc, dec) in results.items():
                print(f"   {name:<24} encrypt {rate(len(values), enc)}; decrypt {rate(len(values), dec)}; "
                      f"round trip {rate(len(values), enc + dec)}")
            portal_total = sum(results["portal"])
            utils_total = sum(results["sqlalchemy-utils"])
            print(f"   ratio, model attributes: the portal's round trip is {utils_total / portal_total:.2f}x "
                  f"the speed of sqlalchemy-utils (>= 1.00 is the target)")
            bare_ratio = sum(results["sqlalchemy-utils (bare)"]) / sum(results["portal (bare)"])
            print(f"   ratio, bare ciphers:      the portal's round trip is {bare_ratio:.2f}x the speed of "
                  f"sqlalchemy-utils\n")

            print("2. Find a pupil by surname + date of birth")
            filled = 0
            for rows in scales:
                started = time.perf_counter()
                fill(db, rows, filled)
                filled = rows
                print(f"   {rows:,} pupils (inserted in {time.perf_counter() - started:.0f}s)", flush=True)
                median, p95, candidates = time_lookups(db, rows, args.samples)
                print(f"     blind-index lookup: median {median * 1000:.2f} ms, 95th percentile {p95 * 1000:.2f} ms "
                      f"over {args.samples} lookups; {candidates:.1f} rows share an index value on average")
                scan = time_scan(db, rows)
                print(f"     decrypt-and-scan:   {scan * 1000:,.0f} ms")
                print(f"     ratio: the lookup is {scan / median:,.0f}x faster"
                      f"{' (target: under 5 ms at 1,000,000)' if rows >= 1_000_000 else ''}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
