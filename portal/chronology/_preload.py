"""Imported by the PDF fork server only (portal.chronology.pdf): WeasyPrint loaded and warmed."""

from portal.chronology.pdf import _warm_up

_warm_up()
