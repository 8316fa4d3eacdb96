"""Organisations: local authorities (councils) and their schools."""
