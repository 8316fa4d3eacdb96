"""Forms for the administration pages: schools, and inviting people and changing their role."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.forms import GovDateField
from portal.orgs.identifiers import PHASES
from portal.orgs.models import AgencyKind


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


class SingleSignOnForm(FlaskForm):
    """An organisation's single sign-on (OpenID Connect)."""

    enabled = RadioField(
        "Can people sign in with your organisation’s account?",
        choices=[("yes", "Yes, turn single sign-on on"), ("no", "No, keep it off")],
        widget=GovRadioInput(), validators=[InputRequired(message="Select whether single sign-on is on")],
    )
    provider = RadioField(
        "Who are your organisation’s accounts with?",
        choices=[("entra", "Microsoft Entra ID (Microsoft 365)"), ("google", "Google Workspace"),
                 ("oidc", "Another OpenID Connect provider allowed by the portal’s operator")],
        widget=GovRadioInput(), validators=[InputRequired(message="Select who your organisation’s accounts are with")],
    )
    tenant = StringField(
        "Tenant ID or Google Workspace domain",
        description="Microsoft: the Directory (tenant) ID from the Entra admin centre. Google: your Workspace domain, like oakfield.sch.uk. Another provider: a tenant ID its tokens carry, or leave blank",
        widget=GovTextInput(), validators=[Length(max=255, message="The tenant ID must be 255 characters or fewer")],
    )
    issuer = StringField(
        "Issuer address (another provider only)",
        description="Like https://id.example.org. It must be one the portal’s operator has allowed",
        widget=GovTextInput(), validators=[Length(max=500, message="The issuer address must be 500 characters or fewer")],
    )
    email_domains = StringField(
        "Email domains",
        description="The domains of your people’s work email addresses, separated by spaces, like oakfield.sch.uk",
        widget=GovTextInput(), validators=[Length(max=1000, message="Enter 1000 characters or fewer")],
    )
    client_id = StringField(
        "Client ID (application ID)", widget=GovTextInput(),
        validators=[Length(max=255, message="The client ID must be 255 characters or fewer")],
    )
    client_secret = PasswordField(
        "Client secret",
        description="Kept encrypted. Leave blank to keep the one already saved",
        widget=GovPasswordInput(), validators=[Length(max=1000, message="The client secret must be 1000 characters or fewer")],
    )
    second_factor = RadioField(
        "What is asked after your organisation’s account?",
        choices=[("portal_code", "The code from the portal’s authenticator app, every time (recommended)"),
                 ("provider_mfa", "Nothing more when the provider says the person used multi-factor authentication; otherwise the portal’s code")],
        widget=GovRadioInput(), validators=[InputRequired(message="Select what is asked after your organisation’s account")],
    )
    password_sign_in = RadioField(
        "Can people also sign in with a password?",
        choices=[("yes", "Yes"), ("no", "No, only with the organisation’s account (an LA’s administrators keep their password)")],
        widget=GovRadioInput(), validators=[InputRequired(message="Select whether password sign-in stays on")],
    )
    submit = SubmitField("Save single sign-on", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField(
        "Organisation name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the organisation’s name"),
            Length(max=200, message="The organisation’s name must be 200 characters or fewer"),
        ],
    )
    kind = RadioField(
        "What kind of organisation is it?",
        choices=[(kind.value, kind.label) for kind in AgencyKind],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what kind of organisation it is")],
    )
    ods_code = StringField(
        "ODS code (NHS organisations only)",
        description="A GP practice’s is a letter and 5 digits, like A81001. Leave blank for other organisations.",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=10, message="Enter an ODS code of 3 to 6 letters and numbers")],
    )
    referral_la_ids = SelectMultipleField(
        "Neighbouring councils it may also refer to",
        description="It always refers to your council. Select others only where they have agreed.",
        widget=GovCheckboxesInput(),
        choices=[],
    )
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class CouncilHolidayForm(FlaskForm):
    """A term holiday or closure on the council's calendar (the service checks the answers)."""

    name = StringField("Name", description="For example, Summer holiday or October half term", widget=GovTextInput())
    first_day = GovDateField("First day of the holiday", description="For example, 26 10 2026")
    last_day = GovDateField("Last day of the holiday", description="For example, 30 10 2026")
    submit = SubmitField("Add holiday", widget=GovSubmitInput())
