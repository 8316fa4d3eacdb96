"""axe-core in a Playwright page: the WCAG 2.2 A/AA violations, one line each, naming the rule, its
impact, what it asks for and the first few elements, for a test failure message.

Used by the browser journeys (tests/browser) and the session-timeout journey (tests/auth)."""

from __future__ import annotations

# WCAG 2.2 A and AA (axe tags the 2.2 additions "wcag22aa"; 2.0 and 2.1 rules still apply).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(axe, page, where: str) -> list[str]:
    """Run axe-core on the page as it is now (dialogs open, errors shown); [] when it passes."""
    result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    lines = []
    for violation in result.response["violations"]:
        targets = "; ".join(", ".join(map(str, node["target"])) for node in violation["nodes"][:5])
        lines.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} -> {targets}")
    return lines
