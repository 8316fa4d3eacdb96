"""Forms for the triage pages (GOV.UK widgets, GOV.UK error messages)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.chronology.forms import DayMonthYearField
from portal.triage.service import OUTCOME_LABELS, RAG_LABELS
from portal.triage.sharing import FIELD_LABELS

LONG = 10_000


class DecisionForm(FlaskForm):
    outcome = RadioField(
        "What has the council decided?",
        choices=list(OUTCOME_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the decision")],
    )
    routed_to = SelectField(
        "Which local authority should the referral go to?",
        description="Only if you chose “Referred to another local authority”",
        choices=[],
        widget=GovSelect(),
        # No Optional(): it would stop the chain before validate_routed_to, so the preview took
        # "referred to another local authority" with none chosen and only the confirm refused it.
        validate_choice=False,
    )
    routing_note = TextAreaField(
        "Note for the other local authority (optional)",
        description="They will see this note. The school will not.",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=LONG, message=f"The note must be {LONG:,} characters or fewer")],
    )
    rag = RadioField(
        "RAG rating",
        description="For the council only. The school does not see it.",
        choices=list(RAG_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a RAG rating")],
    )
    reasons = TextAreaField(
        "Reasons for the decision",
        description="For the council’s record. The school does not see these.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the reasons for the decision"),
                    Length(max=LONG, message=f"The reasons must be {LONG:,} characters or fewer")],
    )
    feedback = TextAreaField(
        "Feedback for the school",
        description="The school’s safeguarding leads will read exactly this. Do not include anything the school should not know.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the feedback for the school"),
                    Length(max=LONG, message=f"The feedback must be {LONG:,} characters or fewer")],
    )
    # "preview" shows what the school will see; "confirm" records it.
    stage = HiddenField(default="preview")
    submit = SubmitField("Preview what the school will see", widget=GovSubmitInput())

    def validate_routed_to(self, field):
        if self.outcome.data == "referred_to_another_la":
            if not field.data or field.data not in {value for value, _ in field.choices if value}:
                raise ValidationError("Select the local authority to send the referral to")


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Add an internal note",
        description="Only people in your council can see notes. Schools never see them.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the note"), Length(max=LONG, message=f"The note must be {LONG:,} characters or fewer")],
    )
    submit = SubmitField("Add note", widget=GovSubmitInput())


class RagForm(FlaskForm):
    rag = RadioField("RAG rating", choices=list(RAG_LABELS.items()), widget=GovRadioInput(),
                     validators=[InputRequired(message="Select a RAG rating")])
    submit = SubmitField("Save RAG rating", widget=GovSubmitInput())


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", choices=[], widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Assign", widget=GovSubmitInput())


class UpdateForm(FlaskForm):
    title = StringField(
        "Title", widget=GovTextInput(),
        validators=[InputRequired(message="Enter a title"), Length(max=200, message="The title must be 200 characters or fewer")],
    )
    body = TextAreaField(
        "Message for the school",
        description="The school’s safeguarding leads will read exactly this.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the message"), Length(max=LONG, message=f"The message must be {LONG:,} characters or fewer")],
    )
    stage = HiddenField(default="preview")
    submit = SubmitField("Preview what the school will see", widget=GovSubmitInput())


class SharingPolicyForm(FlaskForm):
    fields = SelectMultipleField(
        "Which parts of a case summary may schools see?",
        description="Select all that apply. Schools see nothing from a case summary that is not selected here.",
        choices=list(FIELD_LABELS.items()),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Save sharing policy", widget=GovSubmitInput())


class ReportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses what is counted

    start = DayMonthYearField("From")
    end = DayMonthYearField("To")
    submit = SubmitField("Show report", widget=GovSubmitInput())

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError("The end of the period must be the same as or after the start")
