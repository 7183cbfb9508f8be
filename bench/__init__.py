"""Calumet benchmark package (see __main__.py)."""
