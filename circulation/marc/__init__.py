"""Catalog import from MARC 21 with pymarc: reading files (`read.py`), MARC fields to
catalog values (`fields.py`) and the import itself, with its merge of duplicates
(`importer.py`; `manage.py import_marc`)."""
