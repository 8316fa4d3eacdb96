from portal.auth.roles import Role
from tests.factories import make_user
from tests.signing_in import sign_in


def test_hide_screen_page_offers_only_a_local_way_back(client):
    sign_in(client, make_user(Role.DSL))
    page = client.get("/screen-hidden?next=/pupils/abc").get_data(as_text=True)
    assert "Screen hidden" in page
    assert 'href="/pupils/abc"' in page
    for attack in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        page = client.get("/screen-hidden", query_string={"next": attack}).get_data(as_text=True)
        assert "evil.example" not in page


def test_hide_screen_needs_a_signed_in_user(client):
    assert client.get("/screen-hidden").status_code == 302
