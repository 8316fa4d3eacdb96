"""The concern flow's question pages, the correction page and the DSL's review.

Each step's form checks its own answers with GOV.UK error messages. Check your answers runs every
step's form again over the saved draft (`answers`, at the end), so a draft changed by autosave
cannot skip a check.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timezone

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovTextArea, GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError

from portal.concerns import drafts, options
from portal.concerns.flow import Answers, Incomplete, draft_files, other_pupils, pupil_for, steps_for
from portal.concerns.models import ConcernDraft
from portal.db import utcnow
from portal.forms import GovDateField
from portal.templating import UK

_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


def parse_time(text: str) -> time:
    """'14:30', '2:30pm', '2.30 pm', '9am' -> a time. Raises ValueError."""
    match = _TIME.match(text or "")
    if not match:
        raise ValueError
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif match.group(2) is None:
        raise ValueError  # "14" alone is ambiguous: ask for minutes
    return time(hour, minute)


def _required(message: str):
    def check(form, field):
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value):
            raise StopValidation(message)

    return check


def _max_length(limit: int, message: str):
    def check(form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(message)

    return check


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PupilForm(FlaskForm):
    query = StringField(
        "Pupil’s name or UPN",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[_max_length(100, "Name or UPN must be 100 characters or fewer")],
    )
    pupil_id = RadioField("Which pupil is the concern about?", choices=[], validate_choice=False, widget=GovRadioInput())


class WhenWhereForm(FlaskForm):
    occurred_date = GovDateField(
        "Date it happened",
        required_message="Enter the date it happened",
        description="For example, 27 3 2026. If you are writing this up later, give the date you saw or heard it.",
    )
    occurred_time = StringField(
        "Time it happened",
        widget=GovTextInput(),
        filters=[_strip],
        description="For example, 9:15am or 14:30",
        validators=[_required("Enter the time it happened")],
    )
    location = StringField(
        "Where it happened",
        widget=GovTextInput(),
        filters=[_strip],
        description="For example, the playground, Year 4 classroom, on a school trip, at home (as the pupil told you)",
        validators=[
            _required("Enter where it happened"),
            _max_length(options.LOCATION_MAX, f"Where it happened must be {options.LOCATION_MAX} characters or fewer"),
        ],
    )

    def validate_occurred_time(self, field):
        try:
            parse_time(field.data)
        except ValueError:
            raise StopValidation("Enter a real time, like 9:15am or 14:30") from None

    def occurred_at(self) -> datetime | None:
        """The moment in UK local time, made timezone-aware (None while the date or time is wrong)."""
        if self.occurred_date.data is None:
            return None
        try:
            moment = parse_time(self.occurred_time.data)
        except ValueError:
            return None
        return datetime.combine(self.occurred_date.data, moment, tzinfo=UK)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        when = self.occurred_at()
        if ok and when is not None:
            if when > utcnow():
                self.occurred_date.errors.append("Date and time it happened must be in the past")
                ok = False
            elif when.year < 2000:
                self.occurred_date.errors.append("Date it happened must be after 1 January 2000")
                ok = False
        return ok


class CategoriesForm(FlaskForm):
    categories = SelectMultipleField(
        "What is the concern about?",
        choices=options.CATEGORIES,
        validate_choice=False,
        validators=[_required("Select what the concern is about")],
    )
    other_category = StringField(
        "Say what",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[_max_length(options.OTHER_CATEGORY_MAX, f"Other must be {options.OTHER_CATEGORY_MAX} characters or fewer")],
    )

    def validate_categories(self, field):
        unknown = [value for value in field.data or [] if value not in options.CATEGORY_LABELS]
        if unknown:
            raise StopValidation("Select what the concern is about from the list")

    def validate_other_category(self, field):
        if "other" in (self.categories.data or []) and not field.data:
            raise StopValidation("Enter what the other concern is about")


class WhatForm(FlaskForm):
    account = TextAreaField(
        "What did you see or hear?",
        widget=GovCharacterCount(),
        filters=[_strip],
        description="Use the pupil’s own words where you can. Write what you saw and heard, not what you think it means.",
        validators=[
            _required("Enter what you saw or heard"),
            _max_length(options.TEXT_MAX, f"What you saw or heard must be {options.TEXT_MAX} characters or fewer"),
        ],
    )
    action_taken = TextAreaField(
        "What did you do?",
        widget=GovTextArea(),
        filters=[_strip],
        description="For example, listened and told the pupil I would pass it on to the DSL",
        validators=[
            _required("Enter what you did"),
            _max_length(options.TEXT_MAX, f"What you did must be {options.TEXT_MAX} characters or fewer"),
        ],
    )
    people_informed = TextAreaField(
        "Who have you told? (optional)",
        widget=GovTextArea(),
        filters=[_strip],
        description="Names and roles, for example the class teacher or the DSL in person",
        validators=[_max_length(options.TEXT_MAX, f"Who you told must be {options.TEXT_MAX} characters or fewer")],
    )


class MoreForm(FlaskForm):
    urgent = RadioField(
        "Is this urgent?",
        choices=[("yes", "Yes – the pupil may be at risk of harm today"), ("no", "No")],
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[_required("Select yes if this concern is urgent")],
    )
    extras = SelectMultipleField("Do you need to add any of these? (optional)", choices=options.EXTRAS,
                                 validate_choice=False)

    def validate_urgent(self, field):
        if field.data not in ("yes", "no"):
            raise StopValidation("Select yes if this concern is urgent")


class OthersForm(FlaskForm):
    other_query = StringField(
        "Other pupil’s name or UPN",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[_max_length(100, "Name or UPN must be 100 characters or fewer")],
    )
    other_pupil_id = RadioField("Which pupil?", choices=[], validate_choice=False, widget=GovRadioInput())
    other_role = RadioField("Their part in what happened", choices=options.ROLES, validate_choice=False, widget=GovRadioInput())


class BodyMapForm(FlaskForm):
    """Ticked regions, each with a note. Notes are fields named note_<region key>."""

    body_regions = SelectMultipleField(
        "Where did you see marks or injuries?",
        choices=[(key, label) for key, _side, label in options.BODY_REGIONS],
        validate_choice=False,
        validators=[_required("Select where you saw marks or injuries")],
    )

    def validate_body_regions(self, field):
        if any(value not in options.BODY_REGION_LABELS for value in field.data or []):
            raise StopValidation("Select where you saw marks or injuries from the list")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for key in self.body_regions.data or []:
            note = getattr(self, f"note_{key}", None)
            if note is None:
                continue
            text = (note.data or "").strip()
            if not text:
                note.errors.append(f"Describe what you saw on the {options.BODY_REGION_LABELS[key].lower()}")
                ok = False
            elif len(text) > options.NOTE_MAX:
                note.errors.append(f"Description must be {options.NOTE_MAX} characters or fewer")
                ok = False
        return ok

    def marks(self) -> list[dict]:
        return [
            {"side": options.BODY_REGION_SIDES[key], "region": key, "note": getattr(self, f"note_{key}").data.strip()}
            for key in self.body_regions.data or []
            if key in options.BODY_REGION_LABELS
        ]


for _key, _side, _label in options.BODY_REGIONS:
    setattr(BodyMapForm, f"note_{_key}", TextAreaField(f"What did you see on the {_label.lower()}?", widget=GovTextArea()))


class AttachmentsForm(FlaskForm):
    """Files come from request.files; the form carries the CSRF token and the error message."""

    files = Field("Upload files")


class SubmitForm(FlaskForm):
    """Check your answers' button: the flow's token makes a second submit find the first concern."""

    token = HiddenField()


class ReviewForm(FlaskForm):
    outcome = RadioField("Outcome", choices=options.OUTCOMES, widget=GovRadioInput(), validate_choice=False,
                         validators=[_required("Select the outcome of your review")])
    reasons = TextAreaField(
        "Reasons",
        widget=GovTextArea(),
        filters=[_strip],
        description="Why you decided this. The pupil’s chronology will show it.",
        validators=[
            _required("Enter the reasons for your decision"),
            _max_length(options.REASON_MAX, f"Reasons must be {options.REASON_MAX} characters or fewer"),
        ],
    )

    def validate_outcome(self, field):
        if field.data not in options.OUTCOME_LABELS:
            raise StopValidation("Select the outcome of your review")


class CorrectionForm(WhenWhereForm, CategoriesForm, WhatForm):
    change_reason = TextAreaField(
        "Why are you making this correction?",
        widget=GovTextArea(),
        filters=[_strip],
        description="For example, I wrote the wrong date. The earlier version is kept.",
        validators=[
            _required("Enter why you are making this correction"),
            _max_length(options.REASON_MAX, f"Reason must be {options.REASON_MAX} characters or fewer"),
        ],
    )


# The flow's steps in order, with the form each one validates. "others", "body_map" and
# "attachments" are shown only when asked for on the "more" page.
STEP_FORMS: dict[str, type[FlaskForm]] = {
    "pupil": PupilForm,
    "when": WhenWhereForm,
    "categories": CategoriesForm,
    "what": WhatForm,
    "more": MoreForm,
    "others": OthersForm,
    "body_map": BodyMapForm,
    "attachments": AttachmentsForm,
}


def form_over(form_class: type[FlaskForm], fields: dict) -> FlaskForm:
    """A form filled from saved draft fields (a dict of name -> str or list), without CSRF."""
    data = MultiDict()
    for name, value in fields.items():
        if isinstance(value, list):
            for item in value:
                data.add(name, item)
        elif value is not None:
            data.add(name, value)
    return form_class(formdata=data, meta={"csrf": False})


def field_names(form_class: type[FlaskForm]) -> set[str]:
    """The names of a form's own fields (what a step may save into the draft)."""
    return {name for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)}


# --- check your answers ---------------------------------------------------------------------
# A draft holds fields as typed (portal.concerns.drafts), valid or not, and autosave can change
# them after a page was passed: so before a concern is made, each page's form checks its fields
# again here, and the checked values become the `Answers` (portal.concerns.flow) the service
# makes the concern from.


def content_of(when: WhenWhereForm, categories: CategoriesForm, what: WhatForm,
               body_map: list[dict]) -> tuple[datetime, dict]:
    occurred_at = when.occurred_at().astimezone(timezone.utc)
    chosen = [key for key, _label in options.CATEGORIES if key in (categories.categories.data or [])]
    content = {
        "occurred_at": occurred_at.isoformat(),
        "location": when.location.data,
        "categories": chosen,
        "other_category": categories.other_category.data if "other" in chosen else None,
        "account": what.account.data,
        "action_taken": what.action_taken.data,
        "people_informed": what.people_informed.data or None,
        "body_map": body_map,
    }
    return occurred_at, content


def answers(user, draft: ConcernDraft) -> Answers:
    """Every step checked again over the draft; raises Incomplete naming the first bad step."""
    fields = drafts.fields(draft)
    pupil = pupil_for(user, fields.get("pupil_id"))
    if pupil is None:
        raise Incomplete("pupil")
    checked = {}
    for step in ("when", "categories", "what", "more"):
        form = form_over(STEP_FORMS[step], fields)
        if not form.validate():
            raise Incomplete(step)
        checked[step] = form
    chosen = steps_for(fields)
    body_map: list[dict] = []
    if "body_map" in chosen:
        form = form_over(BodyMapForm, fields)
        if not form.validate():
            raise Incomplete("body_map")
        body_map = form.marks()
    others = other_pupils(user, draft) if "others" in chosen else []
    others = [(p, role) for p, role in others if p.id != pupil.id]
    files = draft_files(user, draft) if "attachments" in chosen else []
    occurred_at, content = content_of(checked["when"], checked["categories"], checked["what"], body_map)
    return Answers(
        pupil=pupil,
        occurred_at=occurred_at,
        urgent=checked["more"].urgent.data == "yes",
        content=content,
        others=others,
        files=files,
    )
