"""The referral as the case system receives it: contract v1's payload, built once at submission.

`build_referral_payload(referral)` turns the submitted form (what the DSL checked on "check your
answers"), the school and the linked concerns into the contract's JSON. It is called inside the
submission's transaction and the result is kept, encrypted, in the outbox row, so every retry
sends exactly the same body (the idempotency key's "same key, same body").

What comes from the form is not mapped here by hand: each question of the referral form's one
definition (portal.referrals.form_definition) says where its answer goes (`Sent.path`) and which
converter below puts it in the contract's shape (`Sent.convert`, a name in CONVERTERS), and
`form_payload` walks the definition. What does not come from the form is added here: the ids, the
school, the LA, the time of submission, urgency, the source code and the linked concerns; and the
pupil's record fills the child's names, date of birth, sex and SEN status the form leaves blank.

It never refuses: a value that cannot be put in the contract's shape is left out rather than
sent wrong, and anything else the schema refuses is caught by the worker's validation and
dead-lettered with the field's path (never its value) for a triage manager to see.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from typing import Any, Callable

from sqlalchemy import select

from portal.concerns.models import Concern
from portal.connector import payload as contract
from portal.db import db
from portal.orgs.models import Agency, AgencyKind, LocalAuthority, School
from portal.pupils.models import Pupil
from portal.referrals import choices, form_definition
from portal.referrals.form_definition import Field, Section, Sent
from portal.referrals.models import Referral, ReferralConcern

# The portal's concern category codes (portal.concerns.options) -> the contract's.
CATEGORY_CODES = {
    "child_on_child": "child_on_child_abuse",
    "cse": "child_sexual_exploitation",
    "cce": "child_criminal_exploitation",
    "fgm": "female_genital_mutilation",
    "missing": "missing_education_or_home",
    "family_in_prison": "family_member_in_prison",
}
SEX_CODES = {"female": "F", "male": "M", "not known": "U", "indeterminate": "I"}
SEN_CODES = {
    "no special educational needs": "none",
    "sen support": "sen_support",
    "education, health and care plan": "ehcp",
}
_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})$")
_PHONE = re.compile(r"^[0-9 +()\-]{6,40}$")


def _text(value, limit: int | None = None) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    return text[:limit] if limit else text


def category_code(code: str) -> str:
    return CATEGORY_CODES.get(code, code)


def _categories(codes) -> list[str]:
    allowed = set(contract.CONCERN_CATEGORIES)
    out = []
    for code in codes or []:
        mapped = category_code(code)
        if mapped in allowed and mapped not in out:
            out.append(mapped)
    return out


def _yes_no(value) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _postcode(value) -> str | None:
    text = re.sub(r"\s+", " ", str(value or "").strip().upper())
    if not text:
        return None
    if " " not in text and len(text) >= 5:
        text = f"{text[:-3]} {text[-3:]}"
    return text if _POSTCODE.match(text) else None


def _address(text, postcode=None) -> dict | None:
    """Free-text address -> {lines: 1-6 of at most 200 characters, postcode}. A last line that is
    a postcode becomes the postcode."""
    lines = [line.strip(" ,") for line in str(text or "").splitlines() if line.strip(" ,")]
    if not postcode and lines and _postcode(lines[-1]):
        postcode = lines.pop()
    wrapped = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, 200) or [line])
    if len(wrapped) > 6:
        wrapped = wrapped[:5] + [", ".join(wrapped[5:])[:200]]
    code = _postcode(postcode)
    if not wrapped:
        return None
    return {"lines": wrapped, "postcode": code}


def _phone(value) -> str | None:
    text = _text(value, 40)
    return text if text and _PHONE.match(text) else None


def _words(field: Field) -> dict[str, str]:
    return {code: text for code, text, *_ in field.choices}


def _most(path: str) -> int:
    """The most items the contract takes in a list at the payload's top ("household")."""
    return contract.REFERRAL_SCHEMA.fields[path].max_items


# The contract's conversions, by the names the form definition gives them (Sent.convert; see
# portal.referrals.form_definition.Sent). Each takes the answer, then the answers named in
# Sent.with_answers, and the Sent and the question it belongs to.
Converter = Callable[..., Any]
CONVERTERS: dict[str, Converter] = {}


def converter(name: str) -> Callable[[Converter], Converter]:
    def register(convert: Converter) -> Converter:
        CONVERTERS[name] = convert
        return convert

    return register


@converter("text")
def _as_text(value, *, sent: Sent, field: Field) -> str | None:
    return _text(value, sent.limit)


@converter("yes_no")
def _as_yes_no(value, *, sent: Sent, field: Field) -> bool | None:
    return _yes_no(value)


@converter("yes")
def _as_yes(value, *, sent: Sent, field: Field) -> bool:
    return _yes_no(value) is True


@converter("phone")
def _as_phone(value, *, sent: Sent, field: Field) -> str | None:
    return _phone(value)


@converter("address")
def _as_address(value, postcode=None, *, sent: Sent, field: Field) -> dict | None:
    return _address(value, postcode)


@converter("upn")
def _as_upn(value, *, sent: Sent, field: Field) -> str | None:
    upn = (_text(value) or "").replace(" ", "").upper() or None
    return upn if upn and contract.is_valid_upn(upn) else None


@converter("nhs_number")
def _as_nhs_number(value, *, sent: Sent, field: Field) -> str | None:
    number = re.sub(r"\D", "", value or "") or None
    return number if number and contract.is_valid_nhs_number(number) else None


@converter("sex")
def _as_sex(value, *, sent: Sent, field: Field) -> str | None:
    return SEX_CODES.get((_text(value) or "").lower())


@converter("sen_provision")
def _as_sen_provision(value, *, sent: Sent, field: Field) -> str | None:
    return SEN_CODES.get((_text(value) or "").lower())


@converter("age")
def _as_age(value, *, sent: Sent, field: Field) -> int | None:
    age = str(value or "").strip()
    return int(age) if age.isdigit() and int(age) <= 120 else None


@converter("code")
def _as_code(value, *, sent: Sent, field: Field):
    return value


@converter("categories")
def _as_categories(value, *, sent: Sent, field: Field) -> list[str]:
    return _categories(value) or ["other"]


@converter("other_category")
def _as_other_category(value, categories, *, sent: Sent, field: Field) -> str | None:
    said = _text(value, sent.limit)
    return said or ("Not given" if "other" in (_categories(categories) or ["other"]) else None)


@converter("words_and_details")
def _as_words_and_details(value, details, *, sent: Sent, field: Field) -> str | None:
    words = choices.label(value, _words(field))
    return ": ".join(part for part in (words, _text(details)) if part) or None


@converter("agency_names")
def _as_agency_names(value, *, sent: Sent, field: Field) -> list[dict]:
    words = _words(field)
    names = [{"name": words.get(code, code)[:sent.limit]} for code in value or [] if code != choices.NO_AGENCIES]
    return names[:_most(sent.path)]


def _converted(field: Field, answers: dict, pupil: Pupil | None):
    sent = field.sent
    value = answers.get(field.key)
    if sent.fallback is not None and _text(value) is None:
        value = getattr(pupil, sent.fallback) if pupil is not None else None
    others = [answers.get(key) for key in sent.with_answers]
    return CONVERTERS[sent.convert](value, *others, sent=sent, field=field)


def _put(target: dict, path: str, value) -> None:
    *parents, name = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = value


def _sent_fields(section: Section) -> list[Field]:
    return [f for f in section.fields if f.sent is not None]


def list_path(section: Section) -> str | None:
    """Where a list section's people go in the payload: the "<list>" of its fields' "<list>[].<key>"."""
    paths = {f.sent.path.split("[].", 1)[0] for f in _sent_fields(section)}
    if not paths:
        return None
    if len(paths) != 1 or not all("[]." in f.sent.path for f in _sent_fields(section)):
        raise ValueError(f"the {section.key} section's answers must all go to one list in the payload")
    return paths.pop()


def form_payload(form: dict, pupil: Pupil | None, sections=None) -> dict:
    """The part of the payload that comes from the form, by walking its definition (a school's,
    or `sections` for a partner agency's)."""
    out: dict = {}
    for section in sections or form_definition.SECTIONS:
        answers = form.get(section.key) or {}
        if section.list_of is None:
            for f in _sent_fields(section):
                _put(out, f.sent.path, _converted(f, answers, pupil))
            continue
        path = list_path(section)
        if path is None:
            continue
        people = []
        for item in (answers.get(section.list_of) or [])[:_most(path)]:
            person: dict = {}
            for f in _sent_fields(section):
                _put(person, f.sent.path.split("[].", 1)[1], _converted(f, item, pupil))
            people.append(person)
        _put(out, path, people)
    return out


def _concerns(referral: Referral, school_id) -> list[dict]:
    ids = select(ReferralConcern.concern_id).where(ReferralConcern.referral_id == referral.id)
    concerns = db.session.execute(
        select(Concern).where(Concern.id.in_(ids), Concern.school_id == school_id).order_by(Concern.occurred_at)
    ).scalars().all()
    out = []
    for concern in concerns[:_most("concerns")]:
        content = concern.latest.content if concern.versions else {}
        categories = _categories(content.get("categories")) or ["other"]
        out.append({
            "concern_id": str(concern.id),
            "occurred_at": concern.occurred_at.isoformat(),
            "recorded_at": concern.logged_at.isoformat(),
            "categories": categories,
            "summary": _text(content.get("account")) or "(no account recorded)",
            "action_taken": _text(content.get("action_taken")),
        })
    return out


def _agency_payload(referral: Referral) -> dict:
    """A partner agency's referral: no school, no pupil record, no linked concerns; the agency
    named in referrer.organisation, its kind's source code, and the child's school as the agency
    gave it (child.school: the URN when they chose one of the council's schools)."""
    agency = db.session.get(Agency, referral.agency_id)
    kind = AgencyKind(agency.kind)
    la = db.session.get(LocalAuthority, referral.local_authority_id)
    form = referral.form or {}
    body = form_payload(form, None, form_definition.AGENCY_SECTIONS)
    organisation = {"kind": kind.value, "sector": kind.sector.value, "name": agency.name[:200]}
    if agency.ods_code:
        organisation["ods_code"] = agency.ods_code
    body.setdefault("referrer", {})["organisation"] = organisation
    child = form.get("child") or {}
    school = None
    if child.get("school_id"):
        try:
            found = db.session.get(School, uuid.UUID(str(child["school_id"])))
        except ValueError:
            found = None
        if found is not None and found.local_authority_id == la.id:
            school = {"name": found.name[:200], "urn": found.urn}
    if school is None and _text(child.get("school_name")):
        school = {"name": _text(child.get("school_name"), 200), "urn": None}
    body.setdefault("child", {})["school"] = school
    payload = {
        "schema_version": contract.SCHEMA_VERSION,
        "referral_id": str(referral.id),
        "la_code": la.code,
        "submitted_at": referral.submitted_at.isoformat(),
        "source_code": contract.AGENCY_SOURCE_CODES[kind],
        "urgent": bool(referral.urgent),
        **body,
        "concerns": [],
    }
    ordered = {key: payload[key] for key in contract.REFERRAL_SCHEMA.fields if key in payload}
    ordered.update(payload)
    return ordered


def build_referral_payload(referral: Referral) -> dict:
    """Contract v1's referral body for a submitted referral (see the module's docstring)."""
    if referral.agency_id is not None:
        return _agency_payload(referral)
    school = db.session.get(School, referral.school_id)
    la = db.session.get(LocalAuthority, referral.local_authority_id or school.local_authority_id)
    pupil = db.session.get(Pupil, referral.pupil_id)
    payload = {
        "schema_version": contract.SCHEMA_VERSION,
        "referral_id": str(referral.id),
        "la_code": la.code,
        "submitted_at": referral.submitted_at.isoformat(),
        "source_code": contract.REFERRAL_SOURCE_SCHOOL,
        "urgent": bool(referral.urgent),
        "school": {"urn": school.urn, "laestab": school.laestab, "name": school.name[:200]},
        **form_payload(referral.form or {}, pupil),
        "concerns": _concerns(referral, school.id),
    }
    # In the contract's order (the bytes sent are canonical JSON, whatever the order); a key the
    # contract does not know is kept, at the end, for the worker's validation to refuse.
    ordered = {key: payload[key] for key in contract.REFERRAL_SCHEMA.fields if key in payload}
    ordered.update(payload)
    return ordered
