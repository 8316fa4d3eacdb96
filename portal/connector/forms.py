"""The connection settings form (GOV.UK). The secret is a password field and is never shown back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

OVERLAP_CHOICES = [
    ("24", "24 hours (recommended)"),
    ("168", "7 days"),
    ("1", "1 hour"),
    ("0", "Stop accepting the old secret now"),
]


class EndpointForm(FlaskForm):
    base_url = StringField(
        "Base URL of the case system",
        description="Given by your case system supplier, for example https://casesystem.example.gov.uk/portal",
        widget=GovTextInput(),
        filters=[lambda v: v.strip() if v else v],
        validators=[InputRequired(message="Enter the case system’s base URL"),
                    Length(max=500, message="The base URL must be 500 characters or fewer")],
    )
    secret = PasswordField(
        "Shared secret",
        description="At least 32 characters, agreed with your case system supplier.",
        widget=GovPasswordInput(),
        validators=[Optional(), Length(max=500, message="The shared secret must be 500 characters or fewer")],
    )
    overlap = RadioField(
        "If you are changing the secret, how long should the old secret still be accepted?",
        description="While both are accepted the case system can switch to the new secret without losing a message.",
        choices=OVERLAP_CHOICES,
        default="24",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select how long to keep accepting the old secret")],
    )
    submit = SubmitField("Propose this change", widget=GovSubmitInput())


class RetryForm(FlaskForm):
    submit = SubmitField("Retry", widget=GovSubmitInput())


class ApproveChangeForm(FlaskForm):
    submit = SubmitField("Approve this change", widget=GovSubmitInput())


class CancelChangeForm(FlaskForm):
    submit = SubmitField("Cancel this change", widget=GovSubmitInput())
