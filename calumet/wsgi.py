"""WSGI entry point for gunicorn (deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calumet.settings")

application = get_wsgi_application()

# A database restored from a backup serves no page until `manage.py restore` has made the
# erasures since the backup again and run the expunge as of now (docs/deployment.md).
from privacy.restores import refuse_if_restore_pending  # noqa: E402

refuse_if_restore_pending()
