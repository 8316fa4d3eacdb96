"""The chronology's filter form: categories and a date range, sent in the query string.

It changes nothing, so it is a GET form without a CSRF token; the same query string is carried
to the printable view and the PDF, which therefore show exactly what the page showed.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovSubmitInput
from wtforms import Field, SelectMultipleField, SubmitField
from wtforms.validators import ValidationError

from portal.chronology.service import Filters
from portal.chronology.vocabulary import CATEGORY_CHOICES


class DayMonthYearField(Field):
    """A GOV.UK date input (day, month, year boxes) that may be left blank.

    Messages follow the Design System's date input guidance: say which part is missing, or that
    the date is not a real one.
    """

    widget = GovDateInput()
    PARTS = ("day", "month", "year")

    def process_formdata(self, valuelist):
        # The widget unpacks exactly three values; a hand-made URL may send fewer or more.
        parts = [str(v).strip() for v in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        name = self.label.text
        missing = [p for p, v in zip(self.PARTS, parts) if not v]
        if missing:
            raise ValueError(f"{name} must include a {' and a '.join(missing)}")
        if not all(v.isdigit() for v in parts) or len(parts[2]) != 4:
            raise ValueError(f"{name} must be a real date, like 27 3 2026")
        try:
            self.data = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ValueError(f"{name} must be a real date, like 27 3 2026") from None

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""


class ChronologyFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only narrows what is shown

    renders_the_same_for_everyone = True  # an empty field's markup is kept (portal.forms)
    categories = SelectMultipleField(
        "Categories",
        description="Show only entries about concerns in these categories",
        choices=CATEGORY_CHOICES,
        widget=GovCheckboxesInput(),
        validate_choice=False,  # validate_categories says it in plain English
    )
    date_from = DayMonthYearField("Date from", description="For example, 1 9 2025")
    date_to = DayMonthYearField("Date to", description="For example, 31 7 2026")
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def validate_categories(self, field):
        # WTForms' own message names the value; this one says what to do.
        unknown = set(field.data or ()) - {code for code, _ in CATEGORY_CHOICES}
        if unknown:
            raise ValidationError("Select categories from the list")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Date to must be the same as or after date from")

    def filters(self) -> Filters:
        """What the form asks for (call after a successful validate())."""
        return Filters(
            categories=frozenset(self.categories.data or ()),
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
