"""The multi-agency referral form, declared once.

Every section of the task list, every question in it, and how each answer is kept, checked and
shown comes from here: the question pages (portal.referrals.forms builds their WTForms classes
and portal.referrals.views serves them through one view), the task list, check your answers
(portal.referrals.answers) and the payload sent to the council's case system: each question says
where its answer goes in connector contract v1 and how it is converted there (`Sent`), and
portal.connector.snapshot builds the payload by walking these sections.

The whole form is one JSON document (Referral.form, encrypted):

    {
      "status": {"<section>": "in_progress" | "completed"},     # absent: not yet started
      "<section key>": {"<field key>": answer, ...},             # one dict per section below
      "household": {"members": [{"id", <HOUSEHOLD_MEMBER field keys>}]},
    }

Dates are kept as ISO strings, choices as their codes, lists of choices as lists of codes. The
reasons' linked concerns are ReferralConcern rows, not answers.

The order below is the task list's order. Immediate risk comes first on purpose: if the child is
in danger now, the person filling in the form must be told to phone before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from wtforms.validators import ValidationError

from portal.concerns.options import CATEGORIES
from portal.pupils import identifiers
from portal.pupils.service import SEN_STATUSES, SEXES, YEAR_GROUPS
from portal.referrals import choices
from portal.templating import uk_date

# The kinds of question (each a GOV.UK component).
TEXT = "text"
TEXTAREA = "textarea"
DATE = "date"
RADIOS = "radios"
CHECKBOXES = "checkboxes"
SELECT = "select"

LONG_TEXT = 10_000

IN_PROGRESS = "in_progress"
COMPLETED = "completed"

PHONE = re.compile(r"^(?:\+44|0)\d{9,10}$")
# The connector contract's shape for an email address (portal.connector.payload): simple on
# purpose, as GOV.UK advises; a typing mistake is for the person to see on check your answers.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Sent:
    """Where an answer goes in the payload the connector sends (contract v1, portal.connector.payload),
    and how it is converted on the way.

    `path` is dotted from the payload's top ("child.legal_forenames", "level_of_need"); for one
    person of a list section it is "<list>[].<key>" ("household[].age"). `convert` names a
    converter of portal.connector.snapshot.CONVERTERS (the conversions are the contract's, so they
    live with the connector; this area names them and imports nothing from it):

      text                  the answer stripped, cut to `limit` characters; blank: null
      yes_no                "yes"/"no" -> true/false; anything else: null
      yes                   true for "yes", otherwise false (never null)
      phone                 a telephone number in the contract's shape, or null
      address               free text -> {lines, postcode}; `with_answers` may name the postcode's answer
      upn, nhs_number       compacted and checked (check letter, check digit), or null
      sex, sen_provision    the pupil record's words -> the contract's code table, or null
      age                   a whole number of years, 0 to 120, or null
      code                  the stored code as it is (the form's codes are the contract's)
      categories            concern category codes -> the contract's, ["other"] when none
      other_category        the text, or "Not given" when the categories (`with_answers`) include other
      words_and_details     the words for the chosen code, then ": " and the text of `with_answers`
      agency_names          [{"name": words}] for each agency chosen, except "none"

    `fallback` names the pupil record's attribute sent when the answer is blank (the child's names,
    date of birth, sex and SEN status come from the record if the form has none).
    """

    path: str
    convert: str = "text"
    limit: int | None = None
    with_answers: tuple[str, ...] = ()
    fallback: str | None = None


@dataclass(frozen=True)
class Field:
    """One question: its key in the section's answers, and everything about asking and showing it."""

    key: str
    label: str
    kind: str = TEXT
    hint: str | None = None
    choices: tuple = ()
    # The message when it is not answered; None: the question is optional.
    required: str | None = None
    max_length: int | None = None
    # How a length message names it ("First name must be 100 characters or fewer"); default:
    # the label without its "(optional)".
    name: str | None = None
    # Date questions: the message for a date that is not real.
    invalid: str | None = None
    # (pattern, message): the answer must match.
    pattern: tuple[re.Pattern, str] | None = None
    # A check of the answer alone, after the others: (form, wtforms field) -> None, raising
    # ValidationError; it may put the answer in its usual shape (field.data = ...).
    check: Callable | None = None
    # Parameters for the GOV.UK component (classes, inputmode, items' hints...).
    params: dict = field(default_factory=dict)
    # What an unanswered question is kept as.
    blank: Any = ""
    # Its row on check your answers: the row's label (None: no row of its own), and how the value
    # is shown from the section's answers (default: the words for its code(s), a date as words).
    answer: str | None = None
    show: Callable[[dict], Any] | None = None
    # Where the answer goes in the case system's payload (None: it is not sent, or is sent with
    # another answer: see that answer's `with_answers`).
    sent: Sent | None = None
    # A list whose choices depend on the referral (the schools of the LA it goes to): the page
    # fills them in, and the words of the chosen one are kept beside it as "<key>_label".
    choices_from: str | None = None

    def shown(self, answers: dict) -> Any:
        if self.show is not None:
            return self.show(answers)
        value = answers.get(self.key)
        words = {code: text for code, text, *_ in self.choices}
        if self.kind == DATE:
            return uk_date(date.fromisoformat(value)) if value else ""
        if self.kind == CHECKBOXES:
            return "\n".join(choices.label(code, words) for code in value or [])
        if self.kind == RADIOS and words:
            return choices.label(value, words)
        return value

    def kept(self, data: Any) -> Any:
        """The answer as the form document keeps it, from the WTForms field's data."""
        if self.kind == DATE:
            return data.isoformat() if data else self.blank
        if self.kind == CHECKBOXES:
            return list(data or [])
        return data if data else self.blank

    def loaded(self, value: Any) -> Any:
        """The kept answer as the WTForms field takes it."""
        if self.kind == DATE and value:
            return date.fromisoformat(value)
        return value


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # on the task list and check your answers
    endpoint: str
    path: str  # under /referrals/<id>
    fields: tuple[Field, ...]
    page_title: str = ""
    intro: str | None = None
    # One question whose legend is the page's heading.
    single_question: bool = False
    # Checks across answers after each answer's own: (form) -> True if all is well, else False
    # with the messages added to the fields' errors.
    check: Callable | None = None
    # The answers as kept, after the questions' own (clearing an answer another makes moot).
    clean: Callable[[dict], dict] | None = None
    # The page to go to after saving, given the answers (default: the task list).
    next_page: Callable[[dict], str | None] | None = None
    # The reasons page also links the pupil's concerns (ReferralConcern rows).
    links_concerns: bool = False
    # A list the user adds to (household): its own pages, the fields are one member's.
    list_of: str | None = None

    def answers_from(self, form) -> dict:
        answers = {f.key: f.kept(form[f.key].data) for f in self.fields}
        return self.clean(answers) if self.clean else answers

    def form_data(self, saved: dict) -> dict:
        return {f.key: f.loaded(saved[f.key]) for f in self.fields if f.key in saved}


# --- checks ------------------------------------------------------------------------------------


def _identifier(validate):
    def check(form, field):
        if not field.data:
            return
        try:
            field.data = validate(field.data)
        except identifiers.InvalidIdentifier as error:
            raise ValidationError(str(error)) from None

    return check


def _child_born(form, field):
    if field.data is not None:
        try:
            identifiers.validate_date_of_birth(field.data)
        except identifiers.InvalidIdentifier as error:
            raise ValidationError(str(error)) from None


def _adult_born(form, field):
    if field.data is not None:
        if field.data > date.today():
            raise ValidationError("Date of birth must be today or in the past")
        if field.data.year < 1900:
            raise ValidationError("Date of birth must be after 1900: check the year")


def _phone(form, field):
    if field.data and not PHONE.match(re.sub(r"[\s()\-]", "", field.data)):
        raise ValidationError("Enter a telephone number, like 01632 960 001 or +44 1632 960 001")


def _age(form, field):
    if field.data and (not field.data.isdigit() or not 0 <= int(field.data) <= 120):
        raise ValidationError("Age must be a whole number of years between 0 and 120")


def _aware_before_consent(form, field):
    if form.parents_aware.data == "no" and field.data == "yes":
        raise ValidationError("Parents or carers cannot consent to a referral they are not aware of: select no")


def _none_or_agencies(form, field):
    if choices.NO_AGENCIES in (field.data or []) and len(field.data) > 1:
        raise ValidationError("Select the agencies involved, or ‘None that we know of’, not both")


def _add_error(field, message: str) -> bool:
    field.errors = [*field.errors, message]
    return False


def _member_dated_or_aged(form) -> bool:
    if not form.age.data and form.date_of_birth.data is None and not form.date_of_birth.errors:
        return _add_error(form.age, "Enter their date of birth or their age")
    return True


def _other_said(form) -> bool:
    if "other" in (form.categories.data or []) and not form.other_category.data and not form.other_category.errors:
        return _add_error(form.other_category, "Enter what you are worried about")
    return True


def _why_no_consent(form) -> bool:
    if form.parents_aware.data == "no" or form.consent_given.data == "no":
        if not form.no_consent_reason.data and not form.no_consent_reason.errors:
            form.no_consent_reason.errors = ["Select why the parents or carers are not aware or have not consented"]
            return False
        if (form.no_consent_reason.data == "other" and not form.no_consent_details.data
                and not form.no_consent_details.errors):
            form.no_consent_details.errors = ["Enter why the parents or carers are not aware or have not consented"]
            return False
    return True


# --- cleaning and showing ------------------------------------------------------------------------


def _told(answers: dict) -> bool:
    return answers.get("parents_aware") == "yes" and answers.get("consent_given") == "yes"


def _clean_consent(answers: dict) -> dict:
    if _told(answers):
        answers.update(no_consent_reason=None, no_consent_details="")
    return answers


def _clean_reasons(answers: dict) -> dict:
    if "other" not in answers["categories"]:
        answers["other_category"] = ""
    return answers


def _clean_member(answers: dict) -> dict:
    if answers.get("lives_with_child") == "yes":
        answers["address"] = ""
    return answers


def _worries(answers: dict) -> str:
    return "\n".join(
        choices.label(code, choices.CATEGORY_LABELS) if code != "other" else f"Other: {answers.get('other_category') or ''}"
        for code in answers.get("categories") or []
    )


def _why_not(answers: dict) -> str:
    reason = choices.label(answers.get("no_consent_reason"), choices.NO_CONSENT_LABELS)
    return "\n".join(x for x in (reason, answers.get("no_consent_details")) if x)


def _member_address(answers: dict) -> str:
    return answers.get("address") or ("Same as the child" if answers.get("lives_with_child") == "yes" else "")


# --- the form ------------------------------------------------------------------------------------

RISK = Section(
    "risk", "Immediate risk", "referrals.immediate_risk", "/immediate-risk",
    page_title="Immediate risk", single_question=True,
    next_page=lambda answers: "referrals.call_now" if answers.get("immediate_risk") == "yes" else None,
    fields=(
        Field("immediate_risk", "Is the child at immediate risk of significant harm?", RADIOS,
              hint="For example, they have been seriously hurt, are afraid to go home today, or are missing",
              choices=tuple(choices.YES_NO), blank=None,
              required="Select yes if the child is at immediate risk of significant harm",
              answer="Is the child at immediate risk?"),
        # (not sent as an answer: a "yes" makes the referral urgent, and the payload says so)
    ),
)

CHILD = Section(
    "child", "The child", "referrals.child", "/child",
    page_title="The child",
    intro="We have filled this in from the pupil’s record. Check it, and change anything that is different "
          "for this referral.",
    fields=(
        Field("legal_forename", "First name", required="Enter the child’s first name", max_length=100,
              answer="First name", sent=Sent("child.legal_forenames", fallback="legal_forename")),
        Field("legal_surname", "Last name", required="Enter the child’s last name", max_length=100,
              answer="Last name", sent=Sent("child.legal_surname", fallback="legal_surname")),
        Field("preferred_name", "Preferred name (optional)", max_length=100, answer="Preferred name",
              sent=Sent("child.preferred_name")),
        Field("date_of_birth", "Date of birth", DATE, hint="For example, 27 3 2014",
              required="Enter the child’s date of birth",
              invalid="Date of birth must be a real date, like 27 3 2014", check=_child_born, blank=None,
              answer="Date of birth", sent=Sent("child.date_of_birth", fallback="date_of_birth")),
        Field("sex", "Sex (optional)", RADIOS, choices=tuple((x, x) for x in SEXES), answer="Sex",
              show=lambda a: a.get("sex"), sent=Sent("child.sex", "sex", fallback="sex")),
        Field("gender", "Gender, if different (optional)", max_length=60, answer="Gender",
              sent=Sent("child.gender", limit=100)),
        Field("upn", "Unique pupil number (UPN) (optional)", max_length=20,
              hint="13 characters, like B801200005001", check=_identifier(identifiers.validate_upn),
              params={"classes": "govuk-input--width-20", "spellcheck": False}, answer="UPN",
              sent=Sent("child.upn", "upn")),
        Field("nhs_number", "NHS number (optional)", max_length=20, hint="10 digits, like 943 476 5919",
              check=_identifier(identifiers.validate_nhs_number),
              params={"classes": "govuk-input--width-10", "inputmode": "numeric"}, answer="NHS number",
              sent=Sent("child.nhs_number", "nhs_number")),
        Field("address", "Home address", TEXTAREA, required="Enter the child’s home address, or ‘not known’",
              max_length=500, answer="Home address",
              sent=Sent("child.address", "address", with_answers=("postcode",))),
        Field("postcode", "Postcode (optional)", max_length=10, check=_identifier(identifiers.validate_postcode),
              params={"classes": "govuk-input--width-10", "autocomplete": "postal-code"}, answer="Postcode"),
        # (sent inside child.address, with the home address)
        Field("ethnicity", "Ethnicity (optional)", max_length=100, answer="Ethnicity",
              sent=Sent("child.ethnicity", limit=100)),
        Field("first_language", "First language (optional)", max_length=100, answer="First language",
              sent=Sent("child.first_language", limit=100)),
        Field("sen_status", "Special educational needs (optional)", RADIOS,
              choices=tuple((x, x) for x in SEN_STATUSES), answer="Special educational needs",
              show=lambda a: a.get("sen_status"),
              sent=Sent("child.sen_provision", "sen_provision", fallback="sen_status")),
        Field("year_group", "Year group (optional)", SELECT,
              choices=(("", "Select a year group"),) + tuple((y, y) for y in YEAR_GROUPS),
              params={"classes": "govuk-input--width-10"}, answer="Year group",
              show=lambda a: a.get("year_group"), sent=Sent("child.year_group", limit=20)),
    ),
)

# One person in the child's household (the household section is a list of them).
HOUSEHOLD_MEMBER = (
    Field("name", "Full name", required="Enter the person’s full name", max_length=200,
          sent=Sent("household[].name", limit=200)),
    Field("relationship", "Relationship to the child",
          required="Enter their relationship to the child, like mother or stepfather", max_length=100,
          answer="Relationship to the child", sent=Sent("household[].relationship", limit=100)),
    Field("date_of_birth", "Date of birth (if known)", DATE, hint="For example, 15 8 1985",
          invalid="Date of birth must be a real date, like 15 8 1985", check=_adult_born, blank=None,
          answer="Date of birth", sent=Sent("household[].date_of_birth")),
    Field("age", "Age (if you do not know their date of birth)", max_length=3, hint="An approximate age is fine",
          check=_age, params={"classes": "govuk-input--width-3", "inputmode": "numeric"}, blank=None,
          answer="Age", sent=Sent("household[].age", "age")),
    Field("lives_with_child", "Do they live with the child?", RADIOS, choices=tuple(choices.YES_NO), blank=None,
          required="Select yes if they live with the child", answer="Lives with the child",
          sent=Sent("household[].lives_with_child", "yes")),
    Field("address", "Their address, if they do not live with the child (optional)", TEXTAREA, max_length=500,
          name="Their address", answer="Address", show=_member_address, sent=Sent("household[].address", "address")),
    Field("phone", "Telephone number (optional)", max_length=30, check=_phone,
          params={"classes": "govuk-input--width-20", "type": "tel"}, answer="Telephone",
          sent=Sent("household[].phone", "phone")),
    Field("parental_responsibility", "Do they have parental responsibility for the child?", RADIOS,
          choices=tuple(choices.YES_NO_NOT_KNOWN), blank=None,
          required="Select whether they have parental responsibility", answer="Parental responsibility",
          sent=Sent("household[].parental_responsibility", "yes_no")),
)
HOUSEHOLD_MEMBER_CHECK = _member_dated_or_aged
HOUSEHOLD_MEMBER_CLEAN = _clean_member

HOUSEHOLD = Section(
    "household", "Household members", "referrals.household", "/household",
    page_title="Household members", fields=HOUSEHOLD_MEMBER, list_of="members",
    check=HOUSEHOLD_MEMBER_CHECK, clean=HOUSEHOLD_MEMBER_CLEAN,
)

REFERRER = Section(
    "referrer", "Referrer (you)", "referrals.referrer", "/referrer",
    page_title="Referrer (you)", intro="The person the local authority will contact about this referral.",
    fields=(
        Field("name", "Your name", required="Enter your name", max_length=200, answer="Name",
              sent=Sent("referrer.name", limit=200)),
        Field("role", "Your role", required="Enter your role, like designated safeguarding lead", max_length=200,
              answer="Role", sent=Sent("referrer.role", limit=100)),
        Field("phone", "Telephone number", required="Enter a telephone number the local authority can call you on",
              max_length=30, hint="A number you will answer today. For example, 01632 960 001", check=_phone,
              params={"classes": "govuk-input--width-20", "type": "tel", "autocomplete": "tel"},
              answer="Telephone", sent=Sent("referrer.phone", "phone")),
        Field("email", "Email address", required="Enter your email address", max_length=320,
              pattern=(EMAIL, "Enter an email address in the correct format, like name@example.org"),
              params={"type": "email", "autocomplete": "email", "spellcheck": False}, answer="Email",
              sent=Sent("referrer.email", limit=254)),
    ),
)

REASONS = Section(
    "reasons", "Reasons for referral and linked concerns", "referrals.reasons", "/reasons",
    page_title="Reasons for referral", links_concerns=True, check=_other_said, clean=_clean_reasons,
    fields=(
        Field("summary", "Why are you referring this child?", TEXTAREA, required="Enter why you are referring this child",
              max_length=LONG_TEXT, name="The reason for referral",
              hint="What has happened, what you are worried will happen, and how it affects the child",
              params={"rows": 10}, answer="Why the child is being referred", sent=Sent("reasons.summary")),
        Field("categories", "What are you worried about?", CHECKBOXES, choices=tuple(CATEGORIES),
              hint="Select all that apply", required="Select what you are worried about",
              answer="What the school is worried about", show=_worries,
              sent=Sent("reasons.categories", "categories")),
        Field("other_category", "If other, say what", max_length=200, name="Other",
              params={"classes": "govuk-!-width-two-thirds"},
              sent=Sent("reasons.other_category", "other_category", limit=200, with_answers=("categories",))),
        Field("actions_taken", "What has the school done so far? (optional)", TEXTAREA, max_length=LONG_TEXT,
              name="What the school has done", answer="What the school has done", sent=Sent("reasons.actions_taken")),
    ),
)

CONSENT = Section(
    "consent", "Consent", "referrals.consent", "/consent",
    page_title="Consent", check=_why_no_consent, clean=_clean_consent,
    intro="You do not need consent, and should not tell the parents or carers first, if doing so would put "
          "the child or anyone else at risk of harm.",
    fields=(
        Field("parents_aware", "Are the child’s parents or carers aware of this referral?", RADIOS,
              choices=tuple(choices.YES_NO), blank=None,
              required="Select yes if the parents or carers are aware of this referral",
              answer="Parents or carers aware", sent=Sent("consent.parents_aware", "yes")),
        Field("consent_given", "Have they given consent to the referral?", RADIOS, choices=tuple(choices.YES_NO),
              blank=None, required="Select yes if they have given consent", check=_aware_before_consent,
              answer="Consent given", sent=Sent("consent.consent_given", "yes_no")),
        Field("no_consent_reason", "If not, why not?", RADIOS, choices=tuple(choices.NO_CONSENT_REASONS),
              hint="Answer this if they are not aware or have not given consent", blank=None,
              answer="If not, why not", show=_why_not,
              sent=Sent("consent.reason_not_sought", "words_and_details", with_answers=("no_consent_details",))),
        # (sent with the reason, in consent.reason_not_sought)
        Field("no_consent_details", "Tell us more", TEXTAREA, max_length=LONG_TEXT, name="The reason"),
    ),
)

VOICE = Section(
    "voice", "The child’s voice and wishes", "referrals.voice", "/childs-voice",
    page_title="The child’s voice and wishes",
    fields=(
        Field("child_voice", "What has the child said?", TEXTAREA,
              required="Enter what the child has said, or why they have not been asked", max_length=LONG_TEXT,
              name="What the child has said",
              hint="Use the child’s own words where you can. If they have not been asked, say why",
              params={"rows": 8}, answer="What the child has said", sent=Sent("child_voice")),
        Field("wishes", "What would the child like to happen? (optional)", TEXTAREA, max_length=LONG_TEXT,
              name="What the child would like to happen", answer="What the child would like to happen",
              sent=Sent("child_wishes")),
    ),
)

AGENCIES = Section(
    "agencies", "Other agencies involved", "referrals.agencies", "/agencies",
    page_title="Other agencies involved",
    fields=(
        Field("involved", "Which other agencies are involved with the child or family?", CHECKBOXES,
              choices=tuple(choices.AGENCIES) + ((choices.NO_AGENCIES, choices.AGENCY_LABELS[choices.NO_AGENCIES]),),
              hint="Select all that apply", required="Select the agencies involved, or ‘None that we know of’",
              check=_none_or_agencies,
              params={"items": [{} for _ in choices.AGENCIES] + [{"behaviour": "exclusive"}]},
              answer="Agencies involved", sent=Sent("other_agencies", "agency_names", limit=200)),
        Field("details", "Names and contact details (optional)", TEXTAREA, max_length=LONG_TEXT,
              hint="For example, the GP surgery, or the name and number of a worker",
              answer="Names and contact details", sent=Sent("other_agencies_details")),
    ),
)

NEED = Section(
    "need", "Level of need", "referrals.level_of_need", "/level-of-need",
    page_title="Level of need",
    intro="Use your safeguarding partnership’s threshold document (the continuum of need) to decide.",
    fields=(
        Field("level", "What level of need does the school think the child has?", RADIOS,
              choices=tuple(choices.LEVELS_OF_NEED), required="Select the level of need", blank=None,
              params={"items": [{"hint": {"text": hint}} for _, _, hint in choices.LEVELS_OF_NEED]},
              answer="Level of need", sent=Sent("level_of_need", "code")),
        Field("why", "Why do you think this?", TEXTAREA, required="Enter why you think this is the child’s level of need",
              max_length=LONG_TEXT, name="Why you think this", answer="Why", sent=Sent("level_of_need_reason")),
    ),
)

SECTIONS = (RISK, CHILD, HOUSEHOLD, REFERRER, REASONS, CONSENT, VOICE, AGENCIES, NEED)
SECTION_KEYS = tuple(section.key for section in SECTIONS)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
# The sections one generic question page serves (household has pages of its own).
QUESTION_PAGES = tuple(section for section in SECTIONS if section.list_of is None)


# --- a partner agency's referral ----------------------------------------------------------------
# The same form, but the child is not on a roll the referrer can see: they say who the child is
# (name, date of birth, address, NHS number where known, the school if known), and nothing is
# filled in from any record. The sections that speak of "the school" speak of the referrer.

AGENCY_CHILD = Section(
    "child", "The child", "referrals.child", "/child",
    page_title="The child",
    intro="Tell us who the child is. Give everything you know: the council uses these details to find the "
          "child’s records.",
    fields=(
        *(f for f in CHILD.fields if f.key in ("legal_forename", "legal_surname", "preferred_name", "date_of_birth",
                                                "sex", "gender")),
        Field("nhs_number", "NHS number (if known)", max_length=20,
              hint="10 digits, like 943 476 5919. Health professionals: give it whenever you have it",
              check=_identifier(identifiers.validate_nhs_number),
              params={"classes": "govuk-input--width-10", "inputmode": "numeric"}, answer="NHS number",
              sent=Sent("child.nhs_number", "nhs_number")),
        *(f for f in CHILD.fields if f.key in ("address", "postcode", "ethnicity", "first_language")),
        Field("school_id", "School (if known)", SELECT, choices=(), choices_from="la_schools",
              hint="A school in the council’s area. If the school is not listed, write its name below",
              params={"classes": "govuk-!-width-two-thirds"}, answer="School",
              show=lambda a: a.get("school_id_label") or ""),
        # (sent as child.school, with the school's name written below)
        Field("school_name", "School, nursery or college not listed above (optional)", max_length=200,
              name="The school’s name", params={"classes": "govuk-!-width-two-thirds"},
              answer="School not listed"),
    ),
)

AGENCY_REASONS = Section(
    "reasons", "Reasons for referral", "referrals.reasons", "/reasons",
    page_title="Reasons for referral", check=_other_said, clean=_clean_reasons,
    fields=(
        REASONS.fields[0],
        Field("categories", "What are you worried about?", CHECKBOXES, choices=tuple(CATEGORIES),
              hint="Select all that apply", required="Select what you are worried about",
              answer="What you are worried about", show=_worries,
              sent=Sent("reasons.categories", "categories")),
        REASONS.fields[2],
        Field("actions_taken", "What has your organisation done so far? (optional)", TEXTAREA, max_length=LONG_TEXT,
              name="What your organisation has done", answer="What your organisation has done",
              sent=Sent("reasons.actions_taken")),
    ),
)

AGENCY_NEED = Section(
    "need", "Level of need", "referrals.level_of_need", "/level-of-need",
    page_title="Level of need",
    intro="Use your safeguarding partnership’s threshold document (the continuum of need) to decide.",
    fields=(
        Field("level", "What level of need do you think the child has?", RADIOS,
              choices=tuple(choices.LEVELS_OF_NEED), required="Select the level of need", blank=None,
              params={"items": [{"hint": {"text": hint}} for _, _, hint in choices.LEVELS_OF_NEED]},
              answer="Level of need", sent=Sent("level_of_need", "code")),
        NEED.fields[1],
    ),
)

AGENCY_SECTIONS = (RISK, AGENCY_CHILD, HOUSEHOLD, REFERRER, AGENCY_REASONS, CONSENT, VOICE, AGENCIES, AGENCY_NEED)
AGENCY_SECTIONS_BY_KEY = {section.key: section for section in AGENCY_SECTIONS}
AGENCY_QUESTION_PAGES = tuple(section for section in AGENCY_SECTIONS if section.list_of is None)
assert tuple(s.key for s in AGENCY_SECTIONS) == SECTION_KEYS
assert all(a.endpoint == b.endpoint and a.path == b.path for a, b in zip(AGENCY_SECTIONS, SECTIONS))


def sections_for(from_agency: bool) -> tuple[Section, ...]:
    """The task list's sections for a school's referral, or for a partner agency's (same keys,
    pages and order)."""
    return AGENCY_SECTIONS if from_agency else SECTIONS


def section_status(form: dict, key: str) -> str | None:
    return (form.get("status") or {}).get(key)


def incomplete_sections(form: dict, sections: tuple[Section, ...] = SECTIONS) -> list[Section]:
    return [section for section in sections if section_status(form, section.key) != COMPLETED]
