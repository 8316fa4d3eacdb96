"""Forms for the administration pages: schools, and inviting people and changing their role."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp

from portal.orgs.identifiers import PHASES


class SchoolForm(FlaskForm):
    name = StringField(
        "School name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the school’s name"), Length(max=200, message="The school’s name must be 200 characters or fewer")],
    )
    urn = StringField(
        "Unique reference number (URN)",
        description="6 digits, from Get Information About Schools. For example, 100000",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the school’s URN"),
            Regexp(r"^\s*\d{6}\s*$", message="Enter a URN of 6 digits, like 100000"),
        ],
    )
    establishment_number = StringField(
        "Establishment number",
        description="The 4 digits after your LA code in the school’s LAESTAB. For example, 2001",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the establishment number"),
            Regexp(r"^\s*\d{4}\s*$", message="Enter an establishment number of 4 digits, like 2001"),
        ],
    )
    phase = RadioField(
        "Phase of education",
        choices=[(phase, phase) for phase in PHASES],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the phase of education")],
    )
    submit = SubmitField("Save school", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    display_name = StringField("Full name", widget=GovTextInput(), validators=[InputRequired(message="Enter the person’s full name"), Length(max=200, message="The name must be 200 characters or fewer")])
    email = StringField("Email address", description="Their work email address. The invitation is sent here.", widget=GovTextInput(), validators=[InputRequired(message="Enter their email address"), Length(max=320, message="Enter an email address of 320 characters or fewer")])
    organisation = SelectField("Organisation", widget=GovSelect(), validators=[InputRequired(message="Select the organisation")])
    role = RadioField("Role", widget=GovRadioInput(), validators=[InputRequired(message="Select a role")])
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    role = RadioField("Role", widget=GovRadioInput(), validators=[InputRequired(message="Select a role")])
    submit = SubmitField("Change role", widget=GovSubmitInput())
