"""The referral form's question pages. Every message says what to do, the GOV.UK way."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, StopValidation, ValidationError

from portal.concerns.options import CATEGORIES
from portal.pupils import identifiers
from portal.pupils.service import SEN_STATUSES, SEXES, YEAR_GROUPS
from portal.referrals import sections

LONG_TEXT = 10_000


class GovDateField(DateField):
    """Day, month and year boxes, with GOV.UK messages for a missing or impossible date."""

    def __init__(self, label=None, validators=None, *, required_message: str | None = None,
                 invalid_message: str, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", widget=GovDateInput(), **kwargs)
        self.required_message = required_message
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if len(valuelist or []) != 3:
            # Absent (or not three boxes, as no browser sends): the widget shows empty boxes.
            self.raw_data = None
        if not valuelist or not any((value or "").strip() for value in valuelist):
            self.data = None
            return
        parts = [(value or "").strip() for value in valuelist]
        if len(parts) != 3 or not all(parts) or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
            self.data = None
            raise ValueError(self.invalid_message)
        try:
            self.data = datetime.strptime(" ".join(parts), "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)


def text(label, required: str | None = None, *, max_length=200, description=None, textarea=False, name=None):
    checks = [InputRequired(message=required)] if required else [Optional()]
    name = name or label.split(" (")[0]
    checks.append(Length(max=max_length, message=f"{name} must be {max_length:,} characters or fewer"))
    field = TextAreaField if textarea else StringField
    return field(label, description=description, validators=checks,
                 widget=GovTextArea() if textarea else GovTextInput(),
                 filters=[lambda value: value.strip() if isinstance(value, str) else value])


class SaveForm(FlaskForm):
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class StartForm(FlaskForm):
    start_token = HiddenField()
    concerns = SelectMultipleField("Which concerns is this referral about?", choices=[],
                                   description="Select all that apply. You can change this later.",
                                   widget=GovCheckboxesInput(), validate_choice=True)
    submit = SubmitField("Start referral", widget=GovSubmitInput())


class RiskForm(SaveForm):
    immediate_risk = RadioField(
        "Is the child at immediate risk of significant harm?",
        description="For example, they have been seriously hurt, are afraid to go home today, or are missing",
        choices=sections.YES_NO, widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if the child is at immediate risk of significant harm")],
    )


class ChildForm(SaveForm):
    legal_forename = text("First name", "Enter the child’s first name", max_length=100)
    legal_surname = text("Last name", "Enter the child’s last name", max_length=100)
    preferred_name = text("Preferred name (optional)", max_length=100)
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2014",
                                 required_message="Enter the child’s date of birth",
                                 invalid_message="Date of birth must be a real date, like 27 3 2014")
    sex = RadioField("Sex (optional)", choices=[(x, x) for x in SEXES], widget=GovRadioInput(), validators=[Optional()])
    gender = text("Gender, if different (optional)", max_length=60)
    upn = text("Unique pupil number (UPN) (optional)", max_length=20, description="13 characters, like B801200005001")
    nhs_number = text("NHS number (optional)", max_length=20, description="10 digits, like 943 476 5919")
    address = text("Home address", "Enter the child’s home address, or ‘not known’", max_length=500, textarea=True)
    postcode = text("Postcode (optional)", max_length=10)
    ethnicity = text("Ethnicity (optional)", max_length=100)
    first_language = text("First language (optional)", max_length=100)
    sen_status = RadioField("Special educational needs (optional)", choices=[(x, x) for x in SEN_STATUSES],
                            widget=GovRadioInput(), validators=[Optional()])
    year_group = SelectField("Year group (optional)", choices=[("", "Select a year group")] + [(y, y) for y in YEAR_GROUPS],
                             widget=GovSelect(), validators=[Optional()])

    def validate_date_of_birth(self, field):
        if field.data is not None:
            try:
                identifiers.validate_date_of_birth(field.data)
            except identifiers.InvalidIdentifier as error:
                raise ValidationError(str(error)) from None

    def validate_upn(self, field):
        field.data = _identifier(field.data, identifiers.validate_upn)

    def validate_nhs_number(self, field):
        field.data = _identifier(field.data, identifiers.validate_nhs_number)

    def validate_postcode(self, field):
        field.data = _identifier(field.data, identifiers.validate_postcode)


def _identifier(value, validate):
    if not value:
        return value
    try:
        return validate(value)
    except identifiers.InvalidIdentifier as error:
        raise ValidationError(str(error)) from None


class HouseholdMemberForm(SaveForm):
    name = text("Full name", "Enter the person’s full name", max_length=200)
    relationship = text("Relationship to the child", "Enter their relationship to the child, like mother or stepfather",
                        max_length=100)
    date_of_birth = GovDateField("Date of birth (if known)", description="For example, 15 8 1985",
                                 invalid_message="Date of birth must be a real date, like 15 8 1985")
    age = text("Age (if you do not know their date of birth)", max_length=3,
               description="An approximate age is fine")
    lives_with_child = RadioField("Do they live with the child?", choices=sections.YES_NO, widget=GovRadioInput(),
                                  validators=[InputRequired(message="Select yes if they live with the child")])
    address = text("Their address, if they do not live with the child (optional)", max_length=500, textarea=True,
                   name="Their address")
    phone = text("Telephone number (optional)", max_length=30)
    parental_responsibility = RadioField(
        "Do they have parental responsibility for the child?", choices=sections.YES_NO_NOT_KNOWN,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select whether they have parental responsibility")],
    )

    def validate_date_of_birth(self, field):
        if field.data is not None:
            if field.data > date.today():
                raise ValidationError("Date of birth must be today or in the past")
            if field.data.year < 1900:
                raise ValidationError("Date of birth must be after 1900: check the year")

    def validate_phone(self, field):
        if field.data:
            _check_phone(field.data)

    def validate_age(self, field):
        if field.data and (not field.data.isdigit() or not 0 <= int(field.data) <= 120):
            raise ValidationError("Age must be a whole number of years between 0 and 120")

    def validate(self, extra_validators=None):
        # Checks that depend on another answer run here: a field's own chain stops at an empty
        # optional field.
        valid = super().validate(extra_validators)
        if not self.age.data and self.date_of_birth.data is None and not self.date_of_birth.errors:
            self.age.errors = [*self.age.errors, "Enter their date of birth or their age"]
            valid = False
        return valid


class HouseholdCompleteForm(SaveForm):
    complete = RadioField("Have you added everyone in the child’s household?",
                          description="Include parents and carers who do not live with the child",
                          choices=sections.YES_NO, widget=GovRadioInput(),
                          validators=[InputRequired(message="Select yes if you have added everyone")])


class ConfirmRemoveForm(FlaskForm):
    submit = SubmitField("Yes, remove this person", widget=GovSubmitInput())


PHONE = re.compile(r"^(?:\+44|0)\d{9,10}$")
# The connector contract's shape for an email address (portal.connector.payload): simple on
# purpose, as GOV.UK advises; a typing mistake is for the person to see on check your answers.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class ReferrerForm(SaveForm):
    name = text("Your name", "Enter your name", max_length=200)
    role = text("Your role", "Enter your role, like designated safeguarding lead", max_length=200)
    phone = text("Telephone number", "Enter a telephone number the local authority can call you on", max_length=30,
                 description="A number you will answer today. For example, 01632 960 001")
    email = StringField("Email address", widget=GovTextInput(),
                        filters=[lambda v: v.strip() if isinstance(v, str) else v],
                        validators=[InputRequired(message="Enter your email address"),
                                    Length(max=320, message="Email address must be 320 characters or fewer"),
                                    Regexp(EMAIL, message="Enter an email address in the correct format, like name@example.org")])

    def validate_phone(self, field):
        _check_phone(field.data or "")


def _check_phone(value: str) -> None:
    if not PHONE.match(re.sub(r"[\s()\-]", "", value)):
        raise ValidationError("Enter a telephone number, like 01632 960 001 or +44 1632 960 001")


class ReasonsForm(SaveForm):
    summary = text("Why are you referring this child?", "Enter why you are referring this child",
                   max_length=LONG_TEXT, textarea=True, name="The reason for referral",
                   description="What has happened, what you are worried will happen, and how it affects the child")
    categories = SelectMultipleField("What are you worried about?", choices=CATEGORIES, widget=GovCheckboxesInput(),
                                     description="Select all that apply",
                                     validators=[InputRequired(message="Select what you are worried about")])
    other_category = text("If other, say what", max_length=200, name="Other")
    actions_taken = text("What has the school done so far? (optional)", max_length=LONG_TEXT, textarea=True,
                         name="What the school has done")
    concerns = SelectMultipleField("Concerns this referral is about", choices=[], widget=GovCheckboxesInput(),
                                   description="Select all that apply", validate_choice=True)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if "other" in (self.categories.data or []) and not self.other_category.data and not self.other_category.errors:
            self.other_category.errors = [*self.other_category.errors, "Enter what you are worried about"]
            valid = False
        return valid


class ConsentForm(SaveForm):
    parents_aware = RadioField("Are the child’s parents or carers aware of this referral?", choices=sections.YES_NO,
                               widget=GovRadioInput(),
                               validators=[InputRequired(message="Select yes if the parents or carers are aware of this referral")])
    consent_given = RadioField("Have they given consent to the referral?", choices=sections.YES_NO,
                               widget=GovRadioInput(),
                               validators=[InputRequired(message="Select yes if they have given consent")])
    no_consent_reason = RadioField("If not, why not?", choices=sections.NO_CONSENT_REASONS, widget=GovRadioInput(),
                                   description="Answer this if they are not aware or have not given consent",
                                   validators=[Optional()])
    no_consent_details = text("Tell us more", max_length=LONG_TEXT, textarea=True, name="The reason")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.parents_aware.data == "no" or self.consent_given.data == "no":
            if not self.no_consent_reason.data and not self.no_consent_reason.errors:
                self.no_consent_reason.errors = ["Select why the parents or carers are not aware or have not consented"]
                valid = False
            elif self.no_consent_reason.data == "other" and not self.no_consent_details.data and not self.no_consent_details.errors:
                self.no_consent_details.errors = ["Enter why the parents or carers are not aware or have not consented"]
                valid = False
        return valid

    def validate_consent_given(self, field):
        if self.parents_aware.data == "no" and field.data == "yes":
            raise ValidationError("Parents or carers cannot consent to a referral they are not aware of: select no")


class VoiceForm(SaveForm):
    child_voice = text("What has the child said?", "Enter what the child has said, or why they have not been asked",
                       max_length=LONG_TEXT, textarea=True, name="What the child has said",
                       description="Use the child’s own words where you can. If they have not been asked, say why")
    wishes = text("What would the child like to happen? (optional)", max_length=LONG_TEXT, textarea=True,
                  name="What the child would like to happen")


class AgenciesForm(SaveForm):
    involved = SelectMultipleField(
        "Which other agencies are involved with the child or family?",
        choices=sections.AGENCIES + [(sections.NO_AGENCIES, sections.AGENCY_LABELS[sections.NO_AGENCIES])],
        widget=GovCheckboxesInput(), description="Select all that apply",
        validators=[InputRequired(message="Select the agencies involved, or ‘None that we know of’")],
    )
    details = text("Names and contact details (optional)", max_length=LONG_TEXT, textarea=True,
                   description="For example, the GP surgery, or the name and number of a worker")

    def validate_involved(self, field):
        if sections.NO_AGENCIES in (field.data or []) and len(field.data) > 1:
            raise ValidationError("Select the agencies involved, or ‘None that we know of’, not both")


class NeedForm(SaveForm):
    level = RadioField("What level of need does the school think the child has?",
                       choices=[(code, text_) for code, text_, _ in sections.LEVELS_OF_NEED],
                       widget=GovRadioInput(),
                       validators=[InputRequired(message="Select the level of need")])
    why = text("Why do you think this?", "Enter why you think this is the child’s level of need",
               max_length=LONG_TEXT, textarea=True, name="Why you think this")


class SubmitReferralForm(FlaskForm):
    submit = SubmitField("Submit referral", widget=GovSubmitInput())
