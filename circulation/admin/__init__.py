"""Circulation in the staff admin: the library's settings and catalog (`library.py`), the
records of circulation (`records.py`), the patron page's part (`patron.py`) and the rules
matrix (`rules_matrix.py`). Importing it registers them all, with the desk's pages."""

from circulation.admin import closed_days, library  # noqa: F401  (register admins and pages)
