#!/usr/bin/env python
"""Django's command-line utility for Calumet."""

import os
import secrets
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calumet.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # It reads the models and never signs anything, so it runs without the site's
        # secret (migration checks in CI and review hooks); a random, unused key.
        os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
