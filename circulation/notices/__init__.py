"""Notices to patrons: hold-ready and overdue notices (`sending.py`), courtesy and
card-expiry notices and the patron's choices (`jobs.py`); the log and the choices are
models (`circulation/models/notices.py`)."""
