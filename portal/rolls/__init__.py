"""Rolls from the school's MIS: the DfE Common Transfer File (CTF) import."""
