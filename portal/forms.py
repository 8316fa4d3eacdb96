"""Form fields shared by every area, with GOV.UK wording for their errors."""

from __future__ import annotations

from datetime import datetime

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField
from wtforms.validators import StopValidation


class GovDateField(DateField):
    """Day, month and year boxes (GOV.UK date input) with the Design System's error messages.

    `required_message` makes the date required; without it an empty date is allowed (None).
    """

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, *, required_message: str | None = None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)
        self.required_message = required_message

    def process_formdata(self, valuelist):
        # The widget expects exactly day, month and year: pad a missing or short post.
        self.raw_data = (list(valuelist or []) + ["", "", ""])[:3]
        parts = [v.strip() for v in self.raw_data]
        if not any(parts):
            self.data = None
            return
        label = self.label.text
        if not all(parts):
            missing = [name for name, value in zip(("day", "month", "year"), parts) if not value]
            raise ValueError(f"{label} must include a {' and '.join(missing)}")
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = datetime.strptime(" ".join(parts), "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(f"{label} must be a real date") from None

    def pre_validate(self, form):
        if self.data is None and not self.process_errors and self.required_message:
            raise StopValidation(self.required_message)
