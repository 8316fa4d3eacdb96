import unicodedata

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError

from portal.forms import GovDateField
from portal.pupils.service import SEN_STATUSES, SEXES, YEAR_GROUPS, PupilDetails, PupilInvalid, clean_details


# One limit for the home address wherever it is typed: the referral's child section asks for the
# same address (prefilled from this record) with the same limit (portal/referrals/form_definition.py;
# tests/foundation/test_rough_edges.py keeps the two equal).
ADDRESS_MAX_LENGTH = 500


def no_hidden_characters(form, field):
    """A name with control or formatting characters (a right-to-left override, U+202E, shows text
    reversed; zero-width ones hide) could pass for someone else's name: refused."""
    value = field.data or ""
    if any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\u200c\u200d" for c in value):
        raise ValidationError(f"{field.label.text.replace(' (optional)', '')} must not include hidden characters "
                              "such as text direction marks")


class PupilForm(FlaskForm):
    legal_forename = StringField("Legal first name", widget=GovTextInput(), validators=[no_hidden_characters])
    legal_surname = StringField("Legal last name", widget=GovTextInput(), validators=[no_hidden_characters])
    preferred_name = StringField(
        "Preferred first name (optional)", description="If the pupil is known by another name", widget=GovTextInput(),
        validators=[no_hidden_characters],
    )
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2015", required_message="Enter the pupil’s date of birth")
    sex = RadioField("Sex (optional)", choices=[(s, s) for s in SEXES], widget=GovRadioInput(), validators=[Optional()])
    gender = StringField("Gender (optional)", description="As the pupil describes it, if different", widget=GovTextInput())
    upn = StringField(
        "Unique pupil number (UPN) (optional)",
        description="13 characters, for example B801200005001",
        widget=GovTextInput(),
    )
    nhs_number = StringField(
        "NHS number (optional)", description="10 digits, for example 943 476 5919", widget=GovTextInput()
    )
    address = StringField(
        "Home address (optional)", widget=GovTextArea(),
        validators=[Length(max=ADDRESS_MAX_LENGTH, message=f"Home address must be {ADDRESS_MAX_LENGTH} characters or fewer")],
    )
    postcode = StringField("Postcode (optional)", widget=GovTextInput())
    ethnicity = StringField("Ethnicity (optional)", widget=GovTextInput())
    sen_status = RadioField(
        "Special educational needs (optional)", choices=[(s, s) for s in SEN_STATUSES], widget=GovRadioInput(), validators=[Optional()]
    )
    year_group = SelectField(
        "Year group (optional)", choices=[("", "Select a year group")] + [(y, y) for y in YEAR_GROUPS], widget=GovSelect()
    )
    start_date = GovDateField("Date joined this school (optional)", description="Leave blank for today")
    # Set when the DSL has seen the possible duplicates and chosen to add a new record anyway.
    confirm_new = HiddenField()
    submit = SubmitField("Save pupil", widget=GovSubmitInput())

    def details(self) -> PupilDetails:
        start = self.start_date.data if getattr(self, "start_date", None) else None
        return PupilDetails(**{name: getattr(self, name).data or None for name in PupilDetails.PERSONAL}, start_date=start)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None and not field.errors:
                field.errors = [message]

    def add_rule_errors(self) -> None:
        """After a failed form validation, also show what the service's rules say about the
        other fields, so the person sees every problem at once, not one round at a time."""
        try:
            clean_details(self.details())
        except PupilInvalid as error:
            self.show_errors(error.errors)


class FindByNameForm(FlaskForm):
    """Search by name is POSTed, never a query string: names must not reach URLs or access logs."""

    renders_the_same_for_everyone = True  # an empty field's markup is kept (portal.forms)
    name = StringField("Name", description="Part of a first or last name", widget=GovTextInput())
    submit = SubmitField("Search", widget=GovSubmitInput())


class FindByIdentifierForm(FlaskForm):
    renders_the_same_for_everyone = True  # an empty field's markup is kept (portal.forms)
    upn = StringField("UPN", widget=GovTextInput())
    nhs_number = StringField("NHS number", widget=GovTextInput())
    surname = StringField("Legal last name", widget=GovTextInput())
    date_of_birth = GovDateField("Date of birth")
    find = SubmitField("Find pupil", widget=GovSubmitInput())


class PreviousSchoolForm(FlaskForm):
    school_name = StringField("School name", widget=GovTextInput())
    start_date = GovDateField("Start date", required_message="Enter the date the pupil started at that school")
    end_date = GovDateField("End date (optional)")
    submit = SubmitField("Add school", widget=GovSubmitInput())


class RollImportForm(FlaskForm):
    roll = FileField("CSV file of the school’s roll", widget=GovFileInput())
    submit = SubmitField("Import pupils", widget=GovSubmitInput())
