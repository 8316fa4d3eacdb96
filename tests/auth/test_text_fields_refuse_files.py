"""A file posted in place of a text field on the accounts forms is treated as nothing typed,
never a 500 (the route fuzzer found it on the change-email form)."""

import io

import pytest

from portal.auth.roles import Role
from tests.auth.conftest import full_sign_in, make_account


def _file():
    return (io.BytesIO(b"%PDF-1.4"), "a.pdf")


@pytest.mark.parametrize("path, fields", [
    ("/sign-in", ("email", "password")),
    ("/forgot-password", ("email",)),
])
def test_a_file_in_a_text_field_before_sign_in_is_answered_not_a_500(client, clock, path, fields):
    response = client.post(path, data={f: _file() for f in fields}, content_type="multipart/form-data")
    assert response.status_code in (200, 302)
    assert client.get("/home").status_code == 302  # and nobody is signed in


def test_a_file_in_the_new_email_field_is_an_empty_answer(client, clock):
    full_sign_in(client, make_account(Role.DSL), clock)
    response = client.post("/account/email", data={"email": _file()}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Enter your new email address" in response.get_data(as_text=True)  # nothing typed
