"""Shared updates: what the LA sends a school (acknowledgement, decision, case summary, note)."""
