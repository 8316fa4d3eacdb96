"""Walking the concern flow through the test client, as a member of staff would."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.templating import UK


def when_fields(moment: datetime | None = None) -> dict:
    moment = (moment or datetime.now(UK) - timedelta(minutes=30)).astimezone(UK)
    return {
        "occurred_date": [str(moment.day), str(moment.month), str(moment.year)],
        "occurred_time": moment.strftime("%H:%M"),
        "location": "Playground",
    }


def log_simple_concern(client, pupil, *, account="She said she had not eaten since yesterday lunchtime",
                       urgent="no", moment=None, extras=()):
    """The quick path: pupil, when and where, categories, what happened, urgency. Returns the
    check-your-answers response."""
    client.get("/concerns/new")
    client.post("/concerns/new/pupil", data={"action": "search", "query": pupil.legal_forename[:4]})
    client.post("/concerns/new/pupil", data={"action": "continue", "pupil_id": str(pupil.id)})
    client.post("/concerns/new/when-and-where", data=when_fields(moment))
    client.post("/concerns/new/categories", data={"categories": ["neglect"]})
    client.post("/concerns/new/what-happened", data={"account": account, "action_taken": "Gave her breakfast club toast"})
    client.post("/concerns/new/anything-else", data={"urgent": urgent, "extras": list(extras)})
    return client.get("/concerns/new/check")


def submit_token(html: str) -> str:
    import re

    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or re.search(r'name="token" value="([^"]+)"', html) \
        or re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html)
    assert match, "no submission token on the page"
    return match.group(1)
