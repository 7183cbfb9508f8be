"""The patrons app in the staff admin: patrons and their page (`patrons.py`), cards and
blocks (`cards.py`), registration and PIN pages for the desk (`accounts.py`), online sign-ups
waiting to be collected there (`signups.py`) and the administrators' access reports
(`audit_reports.py`). Importing it registers them all."""

from patrons.admin import (  # noqa: F401  (they register admins and pages)
    accounts,
    audit_reports,
    cards,
    patrons,
    signups,
)
