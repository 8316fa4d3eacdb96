"""Concerns about pupils, their versions, linked pupils, attachments, drafts and DSL review."""
