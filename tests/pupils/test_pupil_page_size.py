"""A pupil's page costs the same whatever the size of the school: the same SQL statements and the
same number of values decrypted for a school of 3 pupils (each with a concern, a referral and an
update) as for one of 30. Statements are counted with SQLAlchemy's before_cursor_execute event."""

from __future__ import annotations

from sqlalchemy import event

from portal.crypto import cipher
from portal.db import db
from tests.factories import make_concern, make_pupil, make_referral_record, make_update, referring_school
from tests.signing_in import sign_in


def _school_of(n: int, la=None):
    s = referring_school(la)
    for _ in range(n):
        pupil = make_pupil(s.school)
        make_concern(s.school, pupil, s.staff, commit=False)
        referral = make_referral_record(s.school, pupil, s.dsl)
        make_update(s.school, pupil, kind="decision", referral=referral, commit=False)
    db.session.commit()
    return s


def _cost(client, path, monkeypatch) -> tuple[list[str], int, str]:
    """The statements one request makes (not the keyring's cache refreshing on its own clock),
    how many values it decrypted, and the page."""
    client.get(path)  # warm
    statements, decrypted = [], []
    real = cipher.decrypt

    def counting(*args, **kwargs):
        decrypted.append(1)
        return real(*args, **kwargs)

    def seen(conn, cursor, statement, *_args):
        if "crypto_data_key" not in statement:
            statements.append(statement)

    monkeypatch.setattr(cipher, "decrypt", counting)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        monkeypatch.setattr(cipher, "decrypt", real)
    assert page.status_code == 200
    return statements, len(decrypted), page.get_data(as_text=True)


def test_a_pupils_page_reads_the_same_for_a_school_of_3_as_of_30(client, app, monkeypatch):
    small = _school_of(3)
    sign_in(client, small.dsl)
    small_statements, small_decrypted, small_page = _cost(client, f"/pupils/{small.pupil.id}", monkeypatch)

    large = _school_of(30, small.la)
    other = app.test_client()
    sign_in(other, large.dsl)
    large_statements, large_decrypted, large_page = _cost(other, f"/pupils/{large.pupil.id}", monkeypatch)

    assert small.pupil.display_name in small_page and large.pupil.display_name in large_page
    assert len(large_statements) == len(small_statements), (small_statements, large_statements)
    assert large_decrypted == small_decrypted
