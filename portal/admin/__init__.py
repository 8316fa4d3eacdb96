"""Administration by an LA admin: the LA's schools (and, with accounts, its users)."""

# User administration adds its pages to the `admin` blueprint.
from portal.admin import users  # noqa: E402,F401
