"""The dashboard's filters: a period and, optionally, one school. Nothing personal, so a GET."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField

from portal.forms import GovDateField


class DashboardFilters(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing; the filters are in the address to share or bookmark

    start = GovDateField("From", description="For example, 1 9 2026")
    end = GovDateField("To", description="For example, 30 11 2026")
    school = SelectField("School", choices=[("", "All schools")], widget=GovSelect(),
                         validate_choice=False)
    submit = SubmitField("Show figures", widget=GovSubmitInput())
