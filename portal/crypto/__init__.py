"""Field-level encryption, blind indexes and keys (API being built; see docs/crypto.md)."""
