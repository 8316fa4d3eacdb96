"""The legal-hold pages' questions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length


class PlaceHoldForm(FlaskForm):
    reason = TextAreaField(
        "Why must this child’s records be kept?",
        description="For example: a court case, a serious case review or a police investigation. "
                    "While the hold is in force nothing of the record is destroyed, whatever the child’s age.",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter why the records must be kept"),
                    Length(max=2000, message="The reason must be 2000 characters or fewer")],
    )
    submit = SubmitField("Place a legal hold", widget=GovSubmitInput())


class ReleaseHoldForm(FlaskForm):
    reason = TextAreaField(
        "Why is the hold no longer needed?",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter why the hold is no longer needed"),
                    Length(max=2000, message="The reason must be 2000 characters or fewer")],
    )
    submit = SubmitField("Release the legal hold", widget=GovSubmitInput())
