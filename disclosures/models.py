"""Disclosure requests (court orders, subpoenas, emergencies). Models arrive with their
own issue; the app exists now so that URL and admin wiring have a home."""
