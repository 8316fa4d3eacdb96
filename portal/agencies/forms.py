"""Forms for a partner agency's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import InputRequired


class StartAgencyReferralForm(FlaskForm):
    start_token = HiddenField()
    local_authority = RadioField(
        "Which council are you referring the child to?",
        description="The council for the area where the child lives",
        choices=[],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the council you are referring the child to")],
    )
    submit = SubmitField("Start referral", widget=GovSubmitInput())
