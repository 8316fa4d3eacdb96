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


# --- defaults for every form ---------------------------------------------------------------------
# WTForms' own words for a value that is not one of a list's choices ("Not a valid choice.",
# "'<uuid>' is not a valid choice for this field.") reach a person only when a page was tampered
# with, but they must still read as GOV.UK messages and never echo what was sent.
CHOICE_MESSAGES = {
    "Not a valid choice.": "Select one of the options shown",
    "Not a valid choice": "Select one of the options shown",
    "'%(value)s' is not a valid choice for this field.": "Select only the options shown",
    "'%(value)s' are not valid choices for this field.": "Select only the options shown",
    "Choices cannot be None.": "Select one of the options shown",
}

NUL = "\x00"


class _GovukMessages:
    """Wraps the translations a form would use, replacing WTForms' choice messages."""

    def __init__(self, inner):
        self.inner = inner

    def gettext(self, string):
        if string in CHOICE_MESSAGES:
            return CHOICE_MESSAGES[string]
        return self.inner.gettext(string) if self.inner is not None else string

    def ngettext(self, singular, plural, n):
        if singular in CHOICE_MESSAGES:
            return CHOICE_MESSAGES[singular]
        return self.inner.ngettext(singular, plural, n) if self.inner is not None else (singular if n == 1 else plural)


def strip_nul(value):
    """NUL bytes are never kept, in any text typed into any form."""
    return value.replace(NUL, "") if isinstance(value, str) and NUL in value else value


def install_form_defaults() -> None:
    """Every Flask-WTF form: GOV.UK words for tampered choices, NUL bytes stripped from text, and
    only what a browser's form sends. Called once by the app factory's templating set-up
    (portal.templating.init_templating)."""
    from flask import request
    from flask_wtf import FlaskForm
    from flask_wtf.form import _Auto, _is_submitted
    from werkzeug.datastructures import CombinedMultiDict, MultiDict
    from wtforms.fields import FileField
    from wtforms.fields.core import Field

    meta = FlaskForm.Meta
    if getattr(meta, "_portal_defaults", False):
        return
    get_translations = meta.get_translations
    bind_field = meta.bind_field

    def portal_get_translations(self, form):
        return _GovukMessages(get_translations(self, form))

    def portal_bind_field(self, form, unbound_field, options):
        field: Field = bind_field(self, form, unbound_field, options)
        field.filters = (strip_nul, *field.filters)
        return field

    def portal_wrap_formdata(self, form, formdata):
        # Flask-WTF would hand a form every uploaded file under any name (a file posted in place
        # of a text box reached the validators as an object, not text: a 500) and, with no form
        # body, a JSON one (numbers and lists where text belongs). A page's form takes files only
        # in its file fields and never takes JSON.
        if formdata is not _Auto:
            return formdata
        if not _is_submitted():
            return None
        files = MultiDict([(name, upload) for name, upload in request.files.items(multi=True)
                           if isinstance(form._fields.get(name), FileField)])
        if files:
            return CombinedMultiDict((files, request.form))
        return request.form or None

    meta.get_translations = portal_get_translations
    meta.bind_field = portal_bind_field
    meta.wrap_formdata = portal_wrap_formdata
    meta._portal_defaults = True
    _render_widgets_without_context()


# The markup of empty fields of forms that render the same for everyone, per process (below).
KEPT_WIDGETS: dict = {}


def _render_widgets_without_context() -> None:
    """Two economies in how govuk-frontend-wtf renders a field (issue 22: on the pupils page, with
    its eight fields, the widgets were a fifth of the page's time):

    - It renders every field through `flask.render_template`, which runs each of the app's context
      processors again (the signed-in user, the navigation, the session's timeout) for a template
      that reads nothing but `params` (its templates are one macro call each). Here: the same
      template from the app's Jinja environment (its globals, filters, escaping and `finalize`),
      without them.
    - A field of a form that declares `renders_the_same_for_everyone = True` (its labels, hints
      and choices fixed in its class, and its templates adding nothing about anyone) that holds
      nothing (no data, nothing typed, no error) renders the same on every page: its markup is
      kept, per process, keyed on the template and the complete parameters (so a different
      label, hint, choice or attribute is a different entry and the markup is always exactly what
      rendering would give). Any other field, which might carry a child's name in a legend or
      what someone typed, is rendered afresh and never kept.
    """
    from flask import current_app
    from govuk_frontend_wtf.gov_form_base import GovFormBase
    from markupsafe import Markup

    kept = KEPT_WIDGETS

    def render(self, params):
        return Markup(current_app.jinja_env.get_template(self.template).render(params=params))

    def call(self, field, **kwargs):
        params = self.map_gov_params(field, **kwargs)
        if not _holds_nothing(field):
            return self.render(params)
        key = (self.template, repr(params))  # repr tells Markup from str: they render differently
        markup = kept.get(key)
        if markup is None:
            markup = self.render(params)
            if len(kept) >= 2000:  # every form of the portal is a few hundred; start again rather than grow
                kept.clear()
            kept[key] = markup
        return markup

    GovFormBase.render = render
    GovFormBase.__call__ = call


def _holds_nothing(field) -> bool:
    """A field of a form that renders the same for everyone, with nothing typed, chosen or wrong in
    it (a pressed button holds True)."""
    if not getattr(getattr(field, "_form", None), "renders_the_same_for_everyone", False):
        return False
    if not hasattr(field, "data") or getattr(field, "errors", None):
        return False
    # What was sent: nothing, or only empty boxes (a date's day, month and year left blank).
    if any(value not in ("", None) for value in getattr(field, "raw_data", None) or ()):
        return False
    return field.data is None or field.data is False or field.data in ("", [], ())
