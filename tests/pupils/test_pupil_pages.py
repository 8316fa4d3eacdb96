import io
from datetime import date

from sqlalchemy import func, select, text

from portal.audit.models import AuditEvent
from portal.auth.roles import Role
from portal.db import db
from portal.pupils.models import Pupil
from tests.factories import PUPILS_PAGE_PUPIL, make_la, make_pupil_through_service, make_school, make_user
from tests.signing_in import sign_in

GOOD = {
    "legal_forename": "Amelia",
    "legal_surname": "Hartley-Nkemelu",
    "date_of_birth": ["9", "3", "2014"],
    "upn": "V938123456789",
    "nhs_number": "943 476 5919",
    "postcode": "nn1 1aa",
    "sex": "Female",
    "year_group": "Year 7",
}


def _dsl(school=None):
    return make_user(Role.DSL, school or make_school(make_la(code="938")))


def test_dsl_adds_a_pupil_with_validated_identifiers(client):
    dsl = _dsl()
    sign_in(client, dsl)
    response = client.post("/pupils/new", data=GOOD)
    assert response.status_code == 302
    pupil = db.session.execute(select(Pupil)).scalar_one()
    assert (pupil.upn, pupil.nhs_number, pupil.postcode) == ("V938123456789", "9434765919", "NN1 1AA")
    assert pupil.school_id == dsl.school_id and pupil.on_roll
    assert len(pupil.enrolments) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Amelia Hartley-Nkemelu" in page
    assert "943 476 5919" in page
    assert "Hide screen" in page
    for link in (f"/pupils/{pupil.id}/chronology", f"/referrals/new?pupil={pupil.id}", f"/transfers/leavers/{pupil.id}"):
        assert f'href="{link}"' in page


def test_every_bad_field_gets_a_clear_message_and_what_was_typed_is_kept(client):
    sign_in(client, _dsl())
    response = client.post(
        "/pupils/new",
        data={
            "legal_forename": "",
            "legal_surname": "Hartley",
            "date_of_birth": ["31", "2", "2014"],
            "upn": "Q207000016049",
            "nhs_number": "1234567890",
            "postcode": "NOT A CODE",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "Enter the pupil’s legal first name",
        "Date of birth must be a real date",
        "the check letter does not match",
        "the check digit does not match",
        "Enter a real postcode",
    ):
        assert message in page
    assert 'value="Hartley"' in page
    assert 'value="Q207000016049"' in page
    assert db.session.execute(select(func.count(Pupil.id))).scalar() == 0


def test_future_and_too_old_dates_of_birth_are_refused(client):
    sign_in(client, _dsl())
    future = client.post("/pupils/new", data={**GOOD, "date_of_birth": ["1", "1", str(date.today().year + 1)]})
    assert "Date of birth must be today or in the past" in future.get_data(as_text=True)
    old = client.post("/pupils/new", data={**GOOD, "date_of_birth": ["1", "1", "1990"]})
    assert "less than 25 years ago" in old.get_data(as_text=True)
    missing = client.post("/pupils/new", data={**GOOD, "date_of_birth": ["", "", ""]})
    assert "Enter the pupil’s date of birth" in missing.get_data(as_text=True)


def test_adding_an_existing_pupil_offers_the_existing_record(client):
    dsl = _dsl()
    existing = make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL, upn="V938123456789")
    sign_in(client, dsl)
    response = client.post("/pupils/new", data={**GOOD, "legal_surname": "Someone Else"})
    page = response.get_data(as_text=True)
    assert "This pupil may already be on your records" in page
    assert f"/pupils/{existing.id}" in page
    assert db.session.execute(select(func.count(Pupil.id))).scalar() == 1
    # Same surname and date of birth, no UPN: also offered.
    response = client.post("/pupils/new", data={**GOOD, "upn": "", "legal_surname": " hartley-NKEMELU "})
    assert "This pupil may already be on your records" in response.get_data(as_text=True)
    # The DSL confirms it is a different child.
    response = client.post("/pupils/new", data={**GOOD, "upn": "", "confirm_new": "yes"})
    assert response.status_code == 302
    assert db.session.execute(select(func.count(Pupil.id))).scalar() == 2


def test_find_by_identifier_ignores_case_and_spaces_and_stays_in_the_school(client):
    dsl = _dsl()
    mine = make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL, upn="V938123456789", nhs_number="9434765919")
    make_pupil_through_service(make_school(dsl.school.local_authority), **(PUPILS_PAGE_PUPIL | {"forename": "Other"}), upn="V938123456789")
    sign_in(client, dsl)
    for data in (
        {"id-upn": "v938 1234 56789"},
        {"id-nhs_number": "943-476-5919"},
        {"id-surname": "HARTLEY NKEMELU", "id-date_of_birth": ["09", "03", "2014"]},
    ):
        page = client.post("/pupils", data={**data, "id-find": "Find pupil"}).get_data(as_text=True)
        assert f"/pupils/{mine.id}" in page
        assert "Other" not in page
        assert "(1)" in page


def test_find_by_name_fragment_searches_only_the_schools_roll(client):
    dsl = _dsl()
    make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL)
    make_pupil_through_service(dsl.school, forename="Noah", surname="Okafor", born=date(2013, 5, 1))
    make_pupil_through_service(make_school(make_la()), **(PUPILS_PAGE_PUPIL | {"surname": "Elsewhere"}))
    sign_in(client, dsl)
    page = client.post("/pupils", data={"name-name": "ameli", "name-submit": "Search"}).get_data(as_text=True)
    assert "Hartley-Nkemelu" in page
    assert "Okafor" not in page
    assert "Elsewhere" not in page
    assert "&lt;a" not in page
    # Searches are posted: nothing typed reaches a URL.
    assert client.get("/pupils?name-name=ameli").status_code == 200


def test_dsl_edits_a_pupil_and_adds_a_previous_school(client):
    dsl = _dsl()
    pupil = make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL)
    sign_in(client, dsl)
    form = client.get(f"/pupils/{pupil.id}/edit").get_data(as_text=True)
    assert 'value="Amelia"' in form
    client.post(f"/pupils/{pupil.id}/edit", data={**GOOD, "preferred_name": "Millie"})
    db.session.refresh(pupil)
    assert pupil.preferred_name == "Millie"
    client.post(
        f"/pupils/{pupil.id}/previous-schools/new",
        data={"school_name": "St Bede’s Primary, Cardiff", "start_date": ["1", "9", "2018"], "end_date": ["20", "7", "2022"]},
    )
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "St Bede’s Primary, Cardiff" in page


def test_every_view_of_a_pupil_is_audited_without_personal_data(client):
    dsl = _dsl()
    pupil = make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL)
    sign_in(client, dsl)
    client.get(f"/pupils/{pupil.id}")
    client.get(f"/pupils/{pupil.id}")
    views = db.session.execute(select(AuditEvent).where(AuditEvent.action == "pupil.view")).scalars().all()
    assert len(views) == 2
    assert all(v.object_id == str(pupil.id) and v.actor_id == dsl.id for v in views)


def test_another_schools_dsl_gets_404_for_every_pupil_url(client):
    pupil = make_pupil_through_service(make_school(make_la()), **PUPILS_PAGE_PUPIL)
    sign_in(client, _dsl())
    for path in ("", "/edit", "/previous-schools/new"):
        assert client.get(f"/pupils/{pupil.id}{path}").status_code == 404
    assert client.post(f"/pupils/{pupil.id}/edit", data=GOOD).status_code == 404


def test_staff_and_la_users_are_refused_the_pupil_pages(client):
    school = make_school(make_la())
    pupil = make_pupil_through_service(school, **PUPILS_PAGE_PUPIL)
    for role, org in ((Role.SCHOOL_STAFF, school), (Role.TRIAGE_MANAGER, school.local_authority), (Role.LA_ADMIN, school.local_authority)):
        sign_in(client, make_user(role, org))
        for path in ("/pupils", "/pupils/new", "/pupils/import", f"/pupils/{pupil.id}", f"/pupils/{pupil.id}/edit"):
            assert client.get(path).status_code == 403, (role, path)


def test_a_deputy_dsl_manages_pupils_too(client):
    school = make_school(make_la())
    pupil = make_pupil_through_service(school, **PUPILS_PAGE_PUPIL)
    sign_in(client, make_user(Role.DEPUTY_DSL, school))
    assert client.get(f"/pupils/{pupil.id}").status_code == 200


def test_roll_import_adds_good_rows_and_reports_bad_rows_by_line(client):
    dsl = _dsl()
    make_pupil_through_service(dsl.school, **(PUPILS_PAGE_PUPIL | {"surname": "Already", "born": date(2014, 1, 1)}))
    csv_text = (
        "Legal forename,Legal surname,Date of birth,UPN,Year group,Postcode\n"
        "Ruby,Adeyemi,2015-06-01,,Year 5,NN1 1AA\n"  # line 2: good
        "Theo,Brennan,01/02/2016,Q207000016049,Year 4,\n"  # line 3: bad UPN
        "Isla,,2015-01-01,,Year 5,\n"  # line 4: no surname
        "Amir,Choudhury,2015-13-45,,Year 5,\n"  # line 5: bad date
        "Grace,Already,2014-01-01,,Year 6,\n"  # line 6: already there
        "Leo,Dimitrov,2016-09-30,,Year 9000,\n"  # line 7: bad year group
    )
    sign_in(client, dsl)
    response = client.post(
        "/pupils/import", data={"roll": (io.BytesIO(csv_text.encode()), "roll.csv")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert "1 pupils added. 1 were already on your records. 4 rows could not be imported." in page
    for line in ("3", "4", "5", "7"):
        assert f'<td class="govuk-table__cell">{line}</td>' in page
    assert "Q207000016049" not in page  # problems name the column, never repeat the value
    assert db.session.execute(select(func.count(Pupil.id))).scalar() == 2


def test_roll_import_refuses_wrong_type_and_oversize_files(client):
    sign_in(client, _dsl())
    wrong = client.post(
        "/pupils/import", data={"roll": (io.BytesIO(b"%PDF-1.7 \x00\x01"), "roll.pdf")}, content_type="multipart/form-data"
    )
    assert "The file must be a CSV" in wrong.get_data(as_text=True)
    big = client.post(
        "/pupils/import",
        data={"roll": (io.BytesIO(b"a" * (5 * 1024 * 1024 + 10)), "roll.csv")},
        content_type="multipart/form-data",
    )
    assert "smaller than 5 MB" in big.get_data(as_text=True)


def test_pupils_personal_fields_are_not_in_the_database_in_plaintext(client):
    dsl = _dsl()
    make_pupil_through_service(dsl.school, **PUPILS_PAGE_PUPIL, upn="V938123456789", nhs_number="9434765919", postcode="NN1 1AA", address="12 Willow Lane")
    rows = db.session.execute(text("SELECT * FROM pupil")).mappings().all()
    dump = " ".join(str(v) for row in rows for v in row.values())
    for plaintext in ("Amelia", "Hartley", "V938123456789", "9434765919", "2014-03-09", "Willow", "NN1"):
        assert plaintext not in dump
