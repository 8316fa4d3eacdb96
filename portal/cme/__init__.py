"""Children missing education: off-roll notices from schools to their council's CME officer
(docs/cme.md)."""
