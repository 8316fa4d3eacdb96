"""The household page's and check-answers page's card links name the person once: a screen reader
hears "Change (Marlowe Quintavalle)", not the name twice."""

from __future__ import annotations

import re

from tests.factories import make_referral, referring_school
from tests.signing_in import sign_in

NAME = "Marlowe Quintavalle"


def _link_texts(page: str) -> list[str]:
    """Each link's text as a screen reader hears it (tags dropped, spaces collapsed)."""
    texts = []
    for inner in re.findall(r"<a\b[^>]*>(.*?)</a>", page, flags=re.S):
        texts.append(" ".join(re.sub(r"<[^>]+>", " ", inner).split()).replace("( ", "(").replace(" )", ")"))
    return texts


def test_household_card_links_name_the_person_once(client, app):
    setup = referring_school()
    referral = make_referral(setup, complete=True)
    sign_in(client, setup.dsl)
    links = _link_texts(client.get(f"/referrals/{referral.id}/household").get_data(as_text=True))
    assert f"Change ({NAME})" in links and f"Remove ({NAME})" in links
    assert not any(link.count(NAME) > 1 for link in links)


def test_check_answers_household_card_link_names_the_person_once(client, app):
    setup = referring_school()
    referral = make_referral(setup, complete=True)
    sign_in(client, setup.dsl)
    links = _link_texts(client.get(f"/referrals/{referral.id}/check-answers").get_data(as_text=True))
    assert f"Change ({NAME})" in links
    assert not any(link.count(NAME) > 1 for link in links)
