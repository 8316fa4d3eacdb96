from datetime import date

from portal.db import db
from portal.pupils import service
from portal.pupils.service import PupilDetails


def make_pupil(school, **fields):
    details = PupilDetails(
        legal_forename=fields.pop("legal_forename", "Amelia"),
        legal_surname=fields.pop("legal_surname", "Hartley-Nkemelu"),
        date_of_birth=fields.pop("date_of_birth", date(2014, 3, 9)),
        **fields,
    )
    pupil = service.add_pupil(school, details, allow_duplicate=True, audited=False)
    db.session.commit()
    return pupil
