"""Forms for off-roll notices: the school's question pages and the CME officer's actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.cme.models import DESTINATION_LABELS, GROUND_LABELS, MOVES_LABELS, OUTCOME_LABELS, ground_reference
from portal.cme.service import ANSWER_MAX, DETAIL_MAX, ENQUIRIES_MAX, OUTCOME_DETAIL_MAX, QUESTION_MAX
from portal.forms import GovDateField


class StartForm(FlaskForm):
    submit = SubmitField("Start the notice", widget=GovSubmitInput())


class GroundsForm(FlaskForm):
    grounds = RadioField(
        "On what grounds is the pupil leaving your admission register?",
        description="The grounds in regulation 9(1) of the School Attendance (Pupil Registration) (England) Regulations 2024.",
        choices=[(ground.value, f"{label} ({ground_reference(ground)})") for ground, label in GROUND_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the grounds for taking the pupil off roll")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class LastDayForm(FlaskForm):
    last_attendance = GovDateField(
        "Last day of attendance",
        description="The last day the pupil was at school. For example, 27 3 2026",
        required_message="Enter the pupil’s last day of attendance",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class DestinationForm(FlaskForm):
    destination_kind = RadioField(
        "Where has the pupil gone?",
        description="Tell us what you know, even if it is only the local authority or the country.",
        choices=list(DESTINATION_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select where the pupil has gone, or ‘Not known’")],
    )
    destination_detail = StringField(
        "What do you know of where the pupil has gone?",
        description="The school’s name and its URN or town; the local authority; or the address or country abroad. Leave it empty only if you chose ‘Not known’.",
        widget=GovTextInput(),
        validators=[Length(max=DETAIL_MAX, message=f"Where the pupil has gone must be {DETAIL_MAX} characters or fewer")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnquiriesForm(FlaskForm):
    enquiries = TextAreaField(
        "What enquiries has the school made?",
        description="Who you contacted and when: parents and carers, the new school, home visits, siblings’ schools, other agencies.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter the enquiries the school has made"),
                    Length(max=ENQUIRIES_MAX, message=f"The enquiries must be {ENQUIRIES_MAX} characters or fewer")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SendForm(FlaskForm):
    submit = SubmitField("Send the notice", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        "Your answer",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter your answer"),
                    Length(max=ANSWER_MAX, message=f"Your answer must be {ANSWER_MAX} characters or fewer")],
    )
    submit = SubmitField("Send your answer", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    status = RadioField(
        "Move the notice to",
        choices=list(MOVES_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the notice’s new status")],
    )
    submit = SubmitField("Change the status", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    question = TextAreaField(
        "Ask the school a question",
        description="The school’s designated safeguarding leads see it and answer in the portal. They are emailed a link only.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter your question for the school"),
                    Length(max=QUESTION_MAX, message=f"Your question must be {QUESTION_MAX} characters or fewer")],
    )
    submit = SubmitField("Send the question", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    outcome = RadioField(
        "What is the outcome?",
        description="The school sees the outcome and the details on its list of off-roll notices.",
        choices=list(OUTCOME_LABELS.items()),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the outcome")],
    )
    detail = TextAreaField(
        "Details for the school",
        description="Where the child is now: the school, the provision or the country. Needed for the first three outcomes.",
        widget=GovTextArea(),
        validators=[Length(max=OUTCOME_DETAIL_MAX, message=f"The details must be {OUTCOME_DETAIL_MAX} characters or fewer")],
    )
    submit = SubmitField("Close the notice", widget=GovSubmitInput())
