from sqlalchemy import select

from portal.db import db
from portal.orgs.models import School
from tests.factories import make_la, make_school

HEADER = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name)\n"


def _write(tmp_path, body: str):
    path = tmp_path / "edubase.csv"
    path.write_text(HEADER + body, encoding="utf-8-sig")
    return path


def test_good_rows_are_imported_and_bad_rows_reported_by_line(app, tmp_path):
    make_la(code="938", name="Northshire")
    existing = make_school(make_la(code="939"), urn="939050", establishment_number="4050", name="Old Name")
    path = _write(
        tmp_path,
        "938100,938,Northshire,2100,Ashgrove Primary School,Community school,Primary\n"  # line 2: good
        "93810X,938,Northshire,2101,Bad URN School,Community school,Primary\n"  # line 3: bad URN
        "938102,999,Nowhere,2102,Unknown LA School,Community school,Primary\n"  # line 4: unknown LA
        "938103,938,Northshire,2103,No Phase School,Community school,Kindergarten\n"  # line 5: bad phase
        "938104,938,Northshire,21,Short Number School,Community school,Secondary\n"  # line 6: bad number
        "938105,938,Northshire,2105,,Community school,Secondary\n"  # line 7: no name
        "939050,939,Southmoor,4050,New Name,Academy,secondary\n"  # line 8: update of existing
        "938106,938,Northshire,2106,Beech Academy,Academy,All-through\n",  # line 9: good
    )
    result = app.test_cli_runner().invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3: Enter a URN of 6 digits" in result.stderr
    assert "line 4: unknown LA code '999'" in result.stderr
    assert "line 5: Select the phase of education" in result.stderr
    assert "line 6: Enter an establishment number of 4 digits" in result.stderr
    assert "line 7: Enter the school’s name" in result.stderr
    assert "2 added, 1 updated, 5 rows with errors" in result.stdout
    urns = set(db.session.execute(select(School.urn)).scalars())
    assert {"938100", "938106", "939050"} == urns
    db.session.refresh(existing)
    assert (existing.name, existing.phase) == ("New Name", "Secondary")


def test_a_file_without_the_gias_columns_is_refused_whole(app, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("urn,name\n938100,Ashgrove\n")
    result = app.test_cli_runner().invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 1
    assert "missing columns" in result.stderr
    assert db.session.execute(select(School)).first() is None


def test_a_clean_file_imports_with_success(app, tmp_path):
    make_la(code="938")
    path = _write(tmp_path, "938100,938,Northshire,2100,Ashgrove Primary School,Community school,Primary\n")
    result = app.test_cli_runner().invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 0
    assert "1 added, 0 updated, 0 rows with errors" in result.stdout
