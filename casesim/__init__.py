"""A case-system simulator: the server side of connector contract v1, for development and tests.

Runs as its own small Flask app with its own SQLite file (`flask --app portal casesim run`).
Nothing here is imported by the portal's web app, and its tables are not the portal's.
"""

from casesim.app import create_casesim_app

__all__ = ["create_casesim_app"]
