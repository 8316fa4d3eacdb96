"""Forms for transfers: leaving, destination, sending, receiving, requests, closed days."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import GovDateField
from portal.transfers.models import DESTINATION_LABELS
from portal.transfers.service import NOTE_MAX, REASON_MAX

DESTINATION_CHOICES = [(kind, label) for kind, label in DESTINATION_LABELS.items()]


class LeaverSearchForm(FlaskForm):
    """Finding the pupil who has left by name: a POST, so the name never lands in a URL or an
    access log."""

    name = StringField("Search by name", widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    submit = SubmitField("Search", widget=GovSubmitInput())


class DestinationForm(FlaskForm):
    destination_kind = RadioField(
        "Where has the pupil gone?",
        choices=DESTINATION_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select where the pupil has gone")],
    )
    school = StringField(
        "New school’s URN or name",
        description="Any school in England that uses the portal, in any local authority. For example, 938002 or Riverside",
        widget=GovTextInput(),
    )
    # Set when several schools matched what was typed and the DSL picks one.
    school_id = RadioField("Which school?", choices=[], widget=GovRadioInput(), validators=[Optional()], validate_choice=False)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class LeaverForm(DestinationForm):
    leaving_date = GovDateField(
        "Leaving date", description="The pupil’s last day at this school. For example, 27 3 2026",
        required_message="Enter the date the pupil left",
    )


class SendForm(FlaskForm):
    covering_note = TextAreaField(
        "Covering note for the receiving DSL (optional)",
        description="What the new school needs to know first: current risks, who is involved, who to call.",
        widget=GovTextArea(),
        validators=[Length(max=NOTE_MAX, message=f"The covering note must be {NOTE_MAX} characters or fewer")],
    )
    submit = SubmitField("Send the file", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm receipt", widget=GovSubmitInput())


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Why are you sending this file back?",
        description="For example, the pupil has not joined this school. The sending school will see this.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter why the file is being sent back"),
                    Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} characters or fewer")],
    )
    submit = SubmitField("Send the file back", widget=GovSubmitInput())


class MatchForm(FlaskForm):
    pupil = RadioField(
        "Which pupil is this?", choices=[], widget=GovRadioInput(),
        validators=[InputRequired(message="Select the pupil, or add a new pupil record")], validate_choice=False,
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RequestForm(FlaskForm):
    upn = StringField("Unique pupil number (UPN)", description="13 characters, for example B801200005001", widget=GovTextInput())
    nhs_number = StringField("Or NHS number", description="10 digits, for example 943 476 5919", widget=GovTextInput())
    submit = SubmitField("Request the file", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AnswerBySendForm(FlaskForm):
    leaving_date = GovDateField(
        "Leaving date", description="The pupil is still on your roll: their last day at your school. For example, 27 3 2026",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ClosureForm(FlaskForm):
    first_day = GovDateField("First day closed", description="For example, 20 7 2026")
    last_day = GovDateField("Last day closed", description="For example, 2 9 2026")
    submit = SubmitField("Add closed days", widget=GovSubmitInput())


class TermDatesForm(FlaskForm):
    council_terms = RadioField(
        "Are your term dates the council’s?",
        description="Say no if your school sets its own term dates, an academy with different terms for example",
        choices=[("yes", "Yes"), ("no", "No, we keep our own term dates")],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if your term dates are the council’s")],
    )
    submit = SubmitField("Save term dates", widget=GovSubmitInput())


class RemoveClosureForm(FlaskForm):
    submit = SubmitField("Remove", widget=GovSubmitInput())
