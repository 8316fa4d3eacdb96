"""The payload is built by walking the referral form's one definition: every question says where its
answer goes in contract v1 and which converter puts it there (portal.referrals.form_definition.Sent,
portal.connector.snapshot.CONVERTERS)."""

from __future__ import annotations

import dataclasses

import pytest

from portal.connector import payload as contract
from portal.connector.schema import Array, Obj
from portal.connector.snapshot import CONVERTERS, build_referral_payload, list_path
from portal.referrals import form_definition
from tests.connector.test_snapshot_goldens import CASES, build_case

# What the payload carries that is not an answer on the form.
NOT_FROM_THE_FORM = {"schema_version", "referral_id", "la_code", "submitted_at", "source_code", "urgent", "school",
                     "concerns"}
# Questions whose answers are not sent on their own: immediate risk is sent as the referral's
# urgency; the others are read by another question's converter (Sent.with_answers).
NOT_SENT_ON_THEIR_OWN = {("risk", "immediate_risk"), ("child", "postcode"), ("consent", "no_consent_details")}


def _sent():
    for section in form_definition.SECTIONS:
        for field in section.fields:
            if field.sent is not None:
                yield section, field


def _schema_at(path: str):
    """The contract's schema for a payload path ("child.upn", "household[].age")."""
    node = contract.REFERRAL_SCHEMA
    for part in path.replace("[]", ".[]").split("."):
        if part == "[]":
            assert isinstance(node, Array), path
            node = node.item
            continue
        assert isinstance(node, Obj) and part in node.fields, f"{path}: not in contract v1"
        node = node.fields[part]
    return node


def test_every_answer_sent_names_a_converter_and_a_place_in_the_contract():
    for section, field in _sent():
        assert field.sent.convert in CONVERTERS, (section.key, field.key)
        _schema_at(field.sent.path)
        for other in field.sent.with_answers:
            assert other in {f.key for f in section.fields}, (section.key, field.key, other)


def test_no_two_answers_go_to_the_same_place():
    paths = [field.sent.path for _, field in _sent()]
    assert len(paths) == len(set(paths))


def test_every_question_is_sent_or_is_known_not_to_be():
    unsent = {(section.key, field.key) for section in form_definition.SECTIONS for field in section.fields
              if field.sent is None}
    assert unsent == NOT_SENT_ON_THEIR_OWN
    read_by_others = {(section.key, other) for section, field in _sent() for other in field.sent.with_answers}
    assert NOT_SENT_ON_THEIR_OWN - read_by_others == {("risk", "immediate_risk")}


# Objects and lists the form sends as one converted value.
CONVERTED_WHOLE = {"child.address", "household[].address", "other_agencies"}


def _required_paths(node: Obj, prefix: str = ""):
    for name, child in node.fields.items():
        path = prefix + name
        if isinstance(child, Obj) and path not in CONVERTED_WHOLE:
            # An optional object (a partner agency's referrer.organisation, child.school) is not
            # the form's to fill: what it requires is required only when it is there.
            if child.required:
                yield from _required_paths(child, f"{path}.")
        elif isinstance(child, Array) and isinstance(child.item, Obj) and path not in CONVERTED_WHOLE:
            yield from _required_paths(child.item, f"{path}[].")
        elif child.required:
            yield path


def test_every_field_the_contract_requires_comes_from_the_form_or_the_referral():
    from_form = {field.sent.path for _, field in _sent()}
    tops = {path.split(".")[0].removesuffix("[]") for path in from_form}
    assert tops | NOT_FROM_THE_FORM == set(contract.REFERRAL_SCHEMA.fields)
    assert not tops & NOT_FROM_THE_FORM
    required_from_form = {path for path in _required_paths(contract.REFERRAL_SCHEMA)
                          if path.split(".")[0].removesuffix("[]") not in NOT_FROM_THE_FORM}
    assert required_from_form <= from_form


def test_the_household_is_one_list_of_people():
    assert list_path(form_definition.HOUSEHOLD) == "household"


@pytest.mark.parametrize("case_name", ["complete", "consented_other_category_urgent", "refused_consent"])
def test_a_complete_referral_follows_the_contract(app, case_name):
    assert contract.validate_referral_payload(build_referral_payload(build_case(case_name, CASES[case_name]))) == []


def _with_field(monkeypatch, section_key: str, field_key: str, **changes) -> None:
    sections = []
    for section in form_definition.SECTIONS:
        if section.key == section_key:
            fields = tuple(dataclasses.replace(f, **changes) if f.key == field_key else f for f in section.fields)
            section = dataclasses.replace(section, fields=fields)
        sections.append(section)
    monkeypatch.setattr(form_definition, "SECTIONS", tuple(sections))


def test_where_an_answer_goes_and_how_it_is_converted_is_the_definitions_to_say(app, monkeypatch):
    referral = build_case("complete", CASES["complete"])
    assert build_referral_payload(referral)["child"]["ethnicity"] == "White British"
    _with_field(monkeypatch, "child", "ethnicity", sent=form_definition.Sent("child.ethnicity", limit=5))
    assert build_referral_payload(referral)["child"]["ethnicity"] == "White"
    _with_field(monkeypatch, "child", "ethnicity", sent=None)
    assert "ethnicity" not in build_referral_payload(referral)["child"]


def test_a_household_persons_answers_follow_the_definition_too(app, monkeypatch):
    referral = build_case("complete", CASES["complete"])
    assert [person["age"] for person in build_referral_payload(referral)["household"]] == [41, None]
    _with_field(monkeypatch, "household", "age", sent=form_definition.Sent("household[].age", "text"))
    assert [person["age"] for person in build_referral_payload(referral)["household"]] == ["41", None]
