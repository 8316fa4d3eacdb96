"""The council's service, not GOV.UK's: its name (and logo) in the header, no crown, the user's
organisation once signed in, and footer links to the council's privacy notice and accessibility
statement; the portal serves an accessibility statement of its own."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.templating import OperatorSettingError, read_operator
from tests.factories import council
from tests.signing_in import sign_in

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_no_crown_or_gov_uk_logotype_and_the_portal_and_organisation_names_show(client, app):
    c = council()
    page = client.get("/accessibility").get_data(as_text=True)
    header = page.split('<header class="govuk-template__header">')[1].split("</header>")[0]
    footer = page.split('<footer class="govuk-template__footer">')[1].split("</footer>")[0]
    assert "govuk-logo" not in page and "govuk-icon" not in page and "crest" not in page and "crown" not in page
    assert "GOV.UK" not in header and "GOV.UK" not in footer and "Crown copyright" not in footer
    assert "Your local authority" in header
    assert "Safeguard Portal" in page
    sign_in(client, c.dsl)
    page = client.get("/home").get_data(as_text=True)
    assert "govuk-logo" not in page and c.school.name in page


def test_the_operator_name_logo_and_council_links_come_from_settings(tmp_path):
    logo = tmp_path / "council.png"
    logo.write_bytes(PNG)
    app = create_app(PORTAL_OPERATOR_NAME="Northshire County Council", PORTAL_OPERATOR_LOGO=str(logo),
                     PORTAL_PRIVACY_NOTICE_URL="https://northshire.example.gov.uk/privacy",
                     PORTAL_ACCESSIBILITY_STATEMENT_URL="https://northshire.example.gov.uk/accessibility",
                     TESTING=True)
    client = app.test_client()
    page = client.get("/accessibility").get_data(as_text=True)
    assert "Northshire County Council" in page and 'src="/operator-logo"' in page
    assert 'href="https://northshire.example.gov.uk/privacy"' in page
    assert 'href="https://northshire.example.gov.uk/accessibility"' in page
    assert 'href="/accessibility"' in page  # the portal's own statement too
    logo_response = client.get("/operator-logo")
    assert logo_response.status_code == 200 and logo_response.mimetype == "image/png"
    assert logo_response.get_data() == PNG


def test_without_a_logo_there_is_none_to_fetch(client, app):
    assert client.get("/operator-logo").status_code == 404
    page = client.get("/accessibility").get_data(as_text=True)
    assert 'href="/privacy"' in page and "Accessibility statement" in page


@pytest.mark.parametrize("settings, named", [
    ({"PORTAL_OPERATOR_LOGO": "/no/such/logo.png"}, "PORTAL_OPERATOR_LOGO"),
    ({"PORTAL_OPERATOR_LOGO": "/etc/passwd"}, "PORTAL_OPERATOR_LOGO"),
    ({"PORTAL_PRIVACY_NOTICE_URL": "javascript:alert(1)"}, "PORTAL_PRIVACY_NOTICE_URL"),
])
def test_an_unusable_operator_setting_stops_the_start_naming_it(settings, named):
    with pytest.raises(OperatorSettingError, match=named):
        read_operator(settings)


def test_the_accessibility_statement_is_served_and_names_the_operator(client, app):
    response = client.get("/accessibility")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Accessibility statement for Safeguard Portal" in page and "Enforcement procedure" in page
