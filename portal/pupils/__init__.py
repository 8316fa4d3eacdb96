"""Pupils (children): identifiers, records and enrolments."""
