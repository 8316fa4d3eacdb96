"""Encrypted attachments."""
