"""The referral form's question pages, built from its one definition (portal.referrals.form_definition).

Every message says what to do, the GOV.UK way."""

from __future__ import annotations

from datetime import datetime

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
from wtforms.validators import InputRequired, Length, Optional, Regexp, StopValidation

from portal.referrals import choices, form_definition


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


def text(label, required: str | None = None, *, max_length=200, description=None, textarea=False, name=None,
         extra=()):
    checks = [InputRequired(message=required)] if required else [Optional()]
    name = name or label.split(" (")[0]
    checks.append(Length(max=max_length, message=f"{name} must be {max_length:,} characters or fewer"))
    checks.extend(extra)
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


class HouseholdCompleteForm(SaveForm):
    complete = RadioField("Have you added everyone in the child’s household?",
                          description="Include parents and carers who do not live with the child",
                          choices=choices.YES_NO, widget=GovRadioInput(),
                          validators=[InputRequired(message="Select yes if you have added everyone")])


class AddContactForm(FlaskForm):
    """The household page's "Add to the household" button of one MIS contact (its CSRF token)."""


class ConfirmRemoveForm(FlaskForm):
    submit = SubmitField("Yes, remove this person", widget=GovSubmitInput())


# --- the question pages, built from the form definition ------------------------------------------


class QuestionForm(SaveForm):
    """A section's questions (or one household member's). `_check` is the definition's check
    across answers, run after every answer's own."""

    _check = None

    def validate(self, extra_validators=None):
        # Checks that depend on another answer run here: a field's own chain stops at an empty
        # optional field.
        valid = super().validate(extra_validators)
        if self._check is not None:
            valid = self._check(self) and valid
        return valid


def _checks(definition: form_definition.Field) -> list:
    if definition.check is None:
        return []
    check = definition.check
    return [lambda form, field: check(form, field)]


def _unbound(definition: form_definition.Field):
    kind = definition.kind
    options = [(code, text_) for code, text_, *_ in definition.choices]
    if kind in (form_definition.TEXT, form_definition.TEXTAREA):
        extra = list(_checks(definition))
        if definition.pattern is not None:
            extra.insert(0, Regexp(definition.pattern[0], message=definition.pattern[1]))
        return text(definition.label, definition.required, max_length=definition.max_length or 200,
                    description=definition.hint, textarea=kind == form_definition.TEXTAREA, name=definition.name,
                    extra=extra)
    if kind == form_definition.DATE:
        return GovDateField(definition.label, _checks(definition), description=definition.hint,
                            required_message=definition.required, invalid_message=definition.invalid)
    required = [InputRequired(message=definition.required)] if definition.required else [Optional()]
    if kind == form_definition.RADIOS:
        return RadioField(definition.label, choices=options, widget=GovRadioInput(), description=definition.hint or "",
                          validators=required + _checks(definition))
    if kind == form_definition.CHECKBOXES:
        return SelectMultipleField(definition.label, choices=options, widget=GovCheckboxesInput(),
                                   description=definition.hint or "", validators=required + _checks(definition))
    if kind == form_definition.SELECT:
        return SelectField(definition.label, choices=options, widget=GovSelect(), description=definition.hint or "",
                           validators=required + _checks(definition))
    raise ValueError(f"unknown kind of question: {kind}")


def _form_class(name: str, fields, check=None, *, links_concerns: bool = False) -> type[QuestionForm]:
    attrs = {f.key: _unbound(f) for f in fields}
    if links_concerns:
        attrs["concerns"] = SelectMultipleField("Concerns this referral is about", choices=[],
                                                widget=GovCheckboxesInput(), description="Select all that apply",
                                                validate_choice=True)
    attrs["_check"] = staticmethod(check) if check is not None else None
    return type(name, (QuestionForm,), attrs)


QUESTION_FORMS: dict[str, type[QuestionForm]] = {
    section.key: _form_class(f"{section.key.title()}Form", section.fields, section.check,
                             links_concerns=section.links_concerns)
    for section in form_definition.QUESTION_PAGES
}
AGENCY_QUESTION_FORMS: dict[str, type[QuestionForm]] = {
    section.key: (QUESTION_FORMS[section.key] if section is form_definition.SECTIONS_BY_KEY[section.key]
                  else _form_class(f"Agency{section.key.title()}Form", section.fields, section.check,
                                   links_concerns=section.links_concerns))
    for section in form_definition.AGENCY_QUESTION_PAGES
}


def question_form(section_key: str, from_agency: bool) -> type[QuestionForm]:
    """The question page's form for a school's referral or a partner agency's."""
    return (AGENCY_QUESTION_FORMS if from_agency else QUESTION_FORMS)[section_key]


HouseholdMemberForm = _form_class("HouseholdMemberForm", form_definition.HOUSEHOLD_MEMBER,
                                  form_definition.HOUSEHOLD_MEMBER_CHECK)


def field_params(fields) -> dict:
    """The GOV.UK components' parameters the definition gives, by field name."""
    return {f.key: f.params for f in fields if f.params}


class SubmitReferralForm(FlaskForm):
    submit = SubmitField("Submit referral", widget=GovSubmitInput())
