"""The Operation Encompass pages' forms: the police's incident and child question pages, the
council's routing, and the school's links to a pupil and a concern."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from portal.encompass.models import EXPOSURE_LABELS, INJURED_LABELS
from portal.forms import GovDateField
from portal.pupils.forms import no_hidden_characters


class ShowsServiceErrors:
    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None and not field.errors:
                field.errors = [message]


class IncidentForm(ShowsServiceErrors, FlaskForm):
    police_reference = StringField("Police reference", widget=GovTextInput(), validators=[no_hidden_characters])
    incident_date = GovDateField("Date of the incident", description="For example, 4 12 2026",
                                 required_message="Enter the date of the incident")
    incident_time = StringField("Time of the incident", description="Use the 24-hour clock, for example 21:40",
                                widget=GovTextInput())
    other_agencies = TextAreaField(
        "Other agencies informed (optional)",
        description="For example, the council’s front door (MASH), an independent domestic violence adviser",
        widget=GovTextArea(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChildForm(ShowsServiceErrors, FlaskForm):
    forename = StringField("First name", widget=GovTextInput(), validators=[no_hidden_characters])
    surname = StringField("Last name", widget=GovTextInput(), validators=[no_hidden_characters])
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2015",
                                 required_message="Enter the child’s date of birth")
    address = TextAreaField("Address (optional)", widget=GovTextArea())
    school_given = StringField("School, if known (optional)", widget=GovTextInput(), validators=[no_hidden_characters])
    upn = StringField("Unique pupil number (UPN), if known (optional)",
                      description="13 characters, for example B801200005001", widget=GovTextInput())
    exposure = SelectMultipleField(
        "How was the child affected?", description="Select all that apply",
        choices=[(k.value, v) for k, v in EXPOSURE_LABELS.items()], widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    injured = RadioField("Was the child injured?", choices=[(k.value, v) for k, v in INJURED_LABELS.items()],
                         widget=GovRadioInput(), validators=[Optional()])
    injuries = TextAreaField("Injuries (optional)", widget=GovTextArea())
    disclosure = TextAreaField(
        "Anything the child said or disclosed (optional)",
        description="In the child’s own words where you can", widget=GovTextArea(),
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class SendForm(FlaskForm):
    submit = SubmitField("Send notice", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RouteForm(ShowsServiceErrors, FlaskForm):
    school_id = RadioField("Which school is the child at?", choices=[], widget=GovRadioInput(),
                           validators=[Optional()], validate_choice=False)
    submit = SubmitField("Route to this school", widget=GovSubmitInput())


class OutsideForm(ShowsServiceErrors, FlaskForm):
    note = TextAreaField(
        "How was it passed on, or why not?",
        description="For example: the child attends a school in another area; phoned their DSL at 08:05",
        widget=GovTextArea(),
    )
    submit = SubmitField("Record as handled outside the portal", widget=GovSubmitInput())


class MatchPupilForm(ShowsServiceErrors, FlaskForm):
    pupil_id = RadioField("Which pupil is this notice about?", choices=[], widget=GovRadioInput(),
                          validators=[Optional()], validate_choice=False)
    submit = SubmitField("Match to this pupil", widget=GovSubmitInput())


class LinkConcernForm(ShowsServiceErrors, FlaskForm):
    concern_id = RadioField("Which concern is about this incident?", choices=[], widget=GovRadioInput(),
                            validators=[Optional()], validate_choice=False)
    submit = SubmitField("Link the concern", widget=GovSubmitInput())
