"""Administration: an LA admin's schools, and user administration (portal.admin.views)."""
