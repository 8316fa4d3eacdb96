from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField


class CtfUploadForm(FlaskForm):
    ctf = FileField("Common Transfer File (XML)", widget=GovFileInput())
    submit = SubmitField("Upload and check", widget=GovSubmitInput())


class CtfConfirmForm(FlaskForm):
    """The probable-match radios are read from the request by the view (one group a pupil)."""

    submit = SubmitField("Import these changes", widget=GovSubmitInput())


class CtfCancelForm(FlaskForm):
    submit = SubmitField("Cancel and delete the file", widget=GovSubmitInput())
