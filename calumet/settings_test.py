"""Settings for the test suite: the real settings, with the worker run in-process."""

import os

os.environ["DJANGO_DEBUG"] = "false"  # tests run as production does
os.environ.setdefault("DJANGO_SECRET_KEY", "calumet-test-key-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from calumet.settings import *  # noqa: F403
from calumet.settings import Q_CLUSTER, STORAGES

# django-q2 runs tasks synchronously in tests (override_settings would not reach it).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False  # the test client and the live server speak plain HTTP
SECURE_HSTS_SECONDS = 0
# Tests sign staff in with force_login; the second factor has tests of its own that turn
# it on with the `settings` fixture.
CALUMET_STAFF_2FA = False
CSRF_COOKIE_SECURE = False
# The live server in browser tests serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
