"""Retention: child protection records kept until the child's 25th birthday, then destroyed;
legal holds that stop it; shorter schedules for abandoned drafts and expired tokens.
See docs/operations.md ("Retention")."""
