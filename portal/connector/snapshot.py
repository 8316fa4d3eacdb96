"""The referral as the case system receives it: contract v1's payload, built once at submission.

`build_referral_payload(referral)` turns the submitted form (what the DSL checked on "check your
answers"), the school and the linked concerns into the contract's JSON. It is called inside the
submission's transaction and the result is kept, encrypted, in the outbox row, so every retry
sends exactly the same body (the idempotency key's "same key, same body").

It never refuses: a value that cannot be put in the contract's shape is left out rather than
sent wrong, and anything else the schema refuses is caught by the worker's validation and
dead-lettered with the field's path (never its value) for a triage manager to see.
"""

from __future__ import annotations

import re
import textwrap

from sqlalchemy import select

from portal.concerns.models import Concern
from portal.connector import payload as contract
from portal.db import db
from portal.orgs.models import LocalAuthority, School
from portal.pupils.models import Pupil
from portal.referrals import choices
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


def _child(form_child: dict, pupil: Pupil | None) -> dict:
    child = dict(form_child or {})

    def pick(key, fallback=None):
        return _text(child.get(key)) or (_text(fallback) if fallback is not None else None)

    sex = pick("sex", pupil.sex if pupil else None)
    sen = pick("sen_status", pupil.sen_status if pupil else None)
    out = {
        "legal_forenames": pick("legal_forename", pupil.legal_forename if pupil else None),
        "legal_surname": pick("legal_surname", pupil.legal_surname if pupil else None),
        "preferred_name": pick("preferred_name"),
        "date_of_birth": pick("date_of_birth", pupil.date_of_birth.isoformat() if pupil else None),
        "sex": SEX_CODES.get((sex or "").lower()),
        "gender": _text(child.get("gender"), 100),
        "upn": (_text(child.get("upn")) or "").replace(" ", "").upper() or None,
        "nhs_number": re.sub(r"\D", "", child.get("nhs_number") or "") or None,
        "ethnicity": _text(child.get("ethnicity"), 100),
        "year_group": _text(child.get("year_group"), 20),
        "sen_provision": SEN_CODES.get((sen or "").lower()),
        "first_language": _text(child.get("first_language"), 100),
        "address": _address(child.get("address"), child.get("postcode")),
    }
    if out["upn"] and not contract.is_valid_upn(out["upn"]):
        out["upn"] = None
    if out["nhs_number"] and not contract.is_valid_nhs_number(out["nhs_number"]):
        out["nhs_number"] = None
    return out


def _household(form: dict) -> list[dict]:
    members = []
    for member in ((form.get("household") or {}).get("members") or [])[:30]:
        age = str(member.get("age") or "").strip()
        members.append({
            "name": _text(member.get("name"), 200),
            "relationship": _text(member.get("relationship"), 100),
            "date_of_birth": _text(member.get("date_of_birth")),
            "age": int(age) if age.isdigit() and int(age) <= 120 else None,
            "lives_with_child": _yes_no(member.get("lives_with_child")) is True,
            "parental_responsibility": _yes_no(member.get("parental_responsibility")),
            "phone": _phone(member.get("phone")),
            "address": _address(member.get("address")),
        })
    return members


def _consent(form: dict) -> dict:
    consent = form.get("consent") or {}
    given = _yes_no(consent.get("consent_given"))
    reason = choices.label(consent.get("no_consent_reason"), choices.NO_CONSENT_LABELS)
    details = _text(consent.get("no_consent_details"))
    why = ": ".join(part for part in (reason, details) if part) or None
    return {
        "parents_aware": _yes_no(consent.get("parents_aware")) is True,
        "consent_given": given,
        "reason_not_sought": why,
    }


def _agencies(form: dict) -> tuple[list[dict], str | None]:
    agencies = form.get("agencies") or {}
    items = [
        {"name": choices.AGENCY_LABELS.get(code, code)[:200]}
        for code in agencies.get("involved") or []
        if code != choices.NO_AGENCIES
    ][:30]
    return items, _text(agencies.get("details"))


def _concerns(referral: Referral, school_id) -> list[dict]:
    ids = select(ReferralConcern.concern_id).where(ReferralConcern.referral_id == referral.id)
    concerns = db.session.execute(
        select(Concern).where(Concern.id.in_(ids), Concern.school_id == school_id).order_by(Concern.occurred_at)
    ).scalars().all()
    out = []
    for concern in concerns[:500]:
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


def build_referral_payload(referral: Referral) -> dict:
    """Contract v1's referral body for a submitted referral (see the module's docstring)."""
    form = referral.form or {}
    school = db.session.get(School, referral.school_id)
    la = db.session.get(LocalAuthority, referral.local_authority_id or school.local_authority_id)
    pupil = db.session.get(Pupil, referral.pupil_id)
    referrer = form.get("referrer") or {}
    reasons = form.get("reasons") or {}
    voice = form.get("voice") or {}
    need = form.get("need") or {}
    agencies, agency_details = _agencies(form)
    categories = _categories(reasons.get("categories")) or ["other"]
    return {
        "schema_version": contract.SCHEMA_VERSION,
        "referral_id": str(referral.id),
        "la_code": la.code,
        "submitted_at": referral.submitted_at.isoformat(),
        "source_code": contract.REFERRAL_SOURCE_SCHOOL,
        "urgent": bool(referral.urgent),
        "school": {"urn": school.urn, "laestab": school.laestab, "name": school.name[:200]},
        "referrer": {
            "name": _text(referrer.get("name"), 200),
            "role": _text(referrer.get("role"), 100),
            "email": _text(referrer.get("email"), 254),
            "phone": _phone(referrer.get("phone")),
        },
        "child": _child(form.get("child") or {}, pupil),
        "household": _household(form),
        "reasons": {
            "summary": _text(reasons.get("summary")),
            "categories": categories,
            "other_category": _text(reasons.get("other_category"), 200) or ("Not given" if "other" in categories else None),
            "actions_taken": _text(reasons.get("actions_taken")),
        },
        "level_of_need": need.get("level"),
        "level_of_need_reason": _text(need.get("why")),
        "consent": _consent(form),
        "child_voice": _text(voice.get("child_voice")),
        "child_wishes": _text(voice.get("wishes")),
        "other_agencies": agencies,
        "other_agencies_details": agency_details,
        "concerns": _concerns(referral, school.id),
    }
