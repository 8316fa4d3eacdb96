"""Administration by an LA admin: the LA's schools (and, with accounts, its users)."""
