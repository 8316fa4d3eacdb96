"""Do the answers that must not say whether an account exists take the same time? (issue 15,
finding 8). Prints the median time of each answer for a real account and for an unknown address:

- "Forgot your password?" (POST /forgot-password): the page only records the request; the mail
  worker does the look-up, so both answers run the same statements (tests/auth/test_enumeration.py
  checks that); this measures what is left.
- A wrong password at sign-in (POST /sign-in): an unknown address is checked against a dummy
  Argon2 hash with the real parameters (full-strength Argon2 here, as in production).

    .venv/bin/python bench/enumeration_timing_bench.py [--rounds 200]

Runs on a throwaway SQLite database in a temporary folder (PORTAL_ENV=test, so no CSRF tokens to
carry; Argon2 is switched to its production parameters).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402


def _app(folder: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_ENV": "test",
        "PORTAL_TEST_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "PORTAL_INSTANCE_PATH": str(folder / "instance"),
        "PORTAL_SIGN_IN_RATE_LIMIT": "1000000 per minute",
    })
    app = create_app(env)
    app.config["WTF_CSRF_ENABLED"] = False  # the bench measures the answers, not the token check
    return app


def _account(app, email: str, password: str) -> None:
    from portal.auth import passwords, totp
    from portal.auth.models import User
    from portal.auth.roles import Role
    from portal.db import db
    from portal.orgs.models import LocalAuthority

    la = LocalAuthority(code="938", name="Northshire")
    db.session.add(la)
    db.session.flush()
    user = User(email=email, display_name="Bench User", role=Role.LA_ADMIN.value, local_authority_id=la.id,
                password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.flush()
    totp.set_secret(user, totp.new_secret())
    db.session.commit()


def _medians_ms(client, path: str, forms: dict[str, dict], rounds: int) -> dict[str, float]:
    """Each form in turn, request after request (so a slow patch of the machine falls on all)."""
    times: dict[str, list[float]] = {name: [] for name in forms}
    for i in range(rounds):
        for n, (name, form) in enumerate(forms.items()):
            started = time.perf_counter()
            response = client.post(path, data=form, environ_base={"REMOTE_ADDR": f"10.{n}.{i // 250}.{i % 250}"})
            times[name].append(time.perf_counter() - started)
            assert response.status_code in (200, 302), response.status_code
    return {name: statistics.median(found) * 1000 for name, found in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests per address for the reset form")
    parser.add_argument("--sign-in-rounds", type=int, default=15, help="requests per address for sign-in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            upgrade()
            from portal.auth import passwords

            # Production-strength Argon2 from here on (the account's hash and the dummy one).
            app.config["PORTAL_ENV"] = "development"
            passwords._hasher.cache_clear()
            passwords._dummy_hash.cache_clear()
            known, password = "known@example.org", "correct-Horse-battery-42"
            _account(app, known, password)
            client = app.test_client()
            client.post("/forgot-password", data={"email": "warm-up@example.org"})
            reset = _medians_ms(client, "/forgot-password",
                                {"real": {"email": known}, "unknown": {"email": "nobody@example.org"}}, args.rounds)
            wrong = {"password": "Wrong-password-123"}
            client.post("/sign-in", data={"email": "warm-up@example.org", **wrong})
            sign_in = _medians_ms(client, "/sign-in", {"real": {"email": known, **wrong},
                                                      "unknown": {"email": "nobody@example.org", **wrong}},
                                  args.sign_in_rounds)
    print(f"POST /forgot-password  median  real account {reset['real']:6.2f} ms   "
          f"unknown address {reset['unknown']:6.2f} ms   ({args.rounds} each)")
    print(f"POST /sign-in (wrong)  median  real account {sign_in['real']:6.2f} ms   "
          f"unknown address {sign_in['unknown']:6.2f} ms   ({args.sign_in_rounds} each)")


if __name__ == "__main__":
    main()
