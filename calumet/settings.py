"""Calumet settings.

Every value that differs between a laptop and a production server comes from the
environment through django-environ; see `.env.example` for the list and meanings.
Development defaults are safe; production secrets have no default.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from calumet.log_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is read when present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        # Development only: a fixed, obviously unsafe key so sessions survive restarts.
        SECRET_KEY = "calumet-insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value (for example the "
            "output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), or set "
            "DJANGO_DEBUG=true for local development."
        )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)

CALUMET_LIBRARY_NAME = env.str("CALUMET_LIBRARY_NAME", default="Calumet Public Library")

INSTALLED_APPS = [
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "auditlog",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_q",
    "calumet",
    "staff",
    "privacy",
    "patrons",
    "circulation",
    "disclosures",
    "inventory",
    "sip2",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language) or the language switcher's cookie.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "calumet.middleware.RejectNulBytesMiddleware",
    "calumet.middleware.NoReferrerCsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "patrons.portal.PortalMiddleware",
    # After the portal's: a signed-in patron's chosen language; the staff side in English.
    "calumet.middleware.SiteLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "calumet.middleware.PermissionsPolicyMiddleware",
    "privacy.audit_trail.CalumetAuditlogMiddleware",
    # AxesMiddleware should be the last middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "calumet.urls"
WSGI_APPLICATION = "calumet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "calumet.context_processors.library",
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL=postgres://... for PostgreSQL.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'calumet.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # The web process and the django-q2 worker share the file: wait for locks
            # instead of failing, and take the write lock at the start of a transaction.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # secure_delete overwrites deleted records with zeros, so an expunged record
            # cannot be recovered from the database file's free pages.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff passwords are hashed with Argon2; patrons' PINs and SIP2 terminals' secrets with
# a lighter Argon2 of their own (core/hashers.py says why).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "core.hashers.PinHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in for a locked-out user or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
# The public site, the portal and the notices are in these languages (locale/<code>/);
# the staff side stays in English. See docs/portal.md, "Language".
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats (calumet/formats/<code>/formats.py) over Django's.
FORMAT_MODULE_PATH = ["calumet.formats"]
# The switcher's cookie: a choice of language, nothing about the person.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded legal documents are private: never under STATIC_ROOT, never served by URL.
MEDIA_ROOT = env.path("CALUMET_PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")

# Sessions: database-backed, cookie not readable by scripts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# A URL can name a search or a title: no page ever sends a Referer, not even to us.
# (calumet.middleware.NoReferrerCsrfMiddleware keeps CSRF protection working with it.)
SECURE_REFERRER_POLICY = "no-referrer"
CSRF_COOKIE_SAMESITE = "Lax"
# Django's W003 looks for its own CSRF middleware by name; ours is a subclass of it, and
# calumet.checks raises an error if neither is installed.
# axes.W006 asks for "ip_address" in AXES_LOCKOUT_PARAMETERS; core.lockout counts the
# address itself, with its own (higher) limit, so the warning does not apply.
SILENCED_SYSTEM_CHECKS = ["security.W003", "axes.W006"]

# Behind a TLS-terminating proxy (see docs/deployment.md). With debug off, plain HTTP is
# redirected to HTTPS and browsers are told to use HTTPS only (HSTS).
if CALUMET_TRUSTED_PROXIES := env.list("CALUMET_TRUSTED_PROXIES", default=[]):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)

# Content-Security-Policy (django-csp): our own origin only, no inline script or style.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True

# The library's policy (balances, hold pickup days, lost items, transit, notice days) is
# not an environment setting: the administrator edits it in the admin (LibraryPolicy,
# circulation/models/policy.py), with the circulation rules.
# An email is a copy outside the library: notices leave titles out unless this is on.
CALUMET_NOTICES_INCLUDE_TITLES = env.bool("CALUMET_NOTICES_INCLUDE_TITLES", default=False)
CALUMET_OVERDUE_NOTICE_TIME = env.str("CALUMET_OVERDUE_NOTICE_TIME", default="07:00")

# django-auditlog. The client address comes from core.client.client_ip: X-Forwarded-For
# is believed only from CALUMET_TRUSTED_PROXIES (addresses or networks, comma-separated).
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_MASK_CALLABLE = "privacy.audit_trail.mask"
AUDITLOG_USE_FK_STRING_REPRESENTATION = False  # foreign keys logged as ids, never titles
# Staff may open patron records this many times (distinct patrons per hour) before the
# staff access report flags it for review.
CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR = env.int("CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR", default=50)
# The same page showing the same patron to the same person again within this many
# minutes is not logged again (a reload is not a new look). 0 logs every view.
CALUMET_AUDIT_REPEAT_MINUTES = env.int("CALUMET_AUDIT_REPEAT_MINUTES", default=5)

# django-axes: lock out after repeated failures, for a limited time, never storing
# the secret that was tried.
AXES_FAILURE_LIMIT = env.int("CALUMET_LOCKOUT_FAILURES", default=5)
# A lockout always ends (at least a minute; never "until an administrator clears it").
AXES_COOLOFF_TIME = max(env.float("CALUMET_LOCKOUT_MINUTES", default=15.0), 1.0) / 60  # hours
AXES_RESET_ON_SUCCESS = True
# A card (or staff user name) is locked after AXES_FAILURE_LIMIT failures. The address
# the attempts came from is counted separately (core.lockout) with a higher limit:
# a branch's public network, or a proxy, puts many honest patrons behind one address,
# and fifty mistyped PINs within the cool-off from one address is not honest mistakes
# (a busy branch sees a handful). Patron and staff failures are counted apart, so a
# patron's lockout never blocks a staff sign-in.
AXES_LOCKOUT_PARAMETERS = ["username"]
CALUMET_LOCKOUT_ADDRESS_FAILURES = env.int("CALUMET_LOCKOUT_ADDRESS_FAILURES", default=50)
# An IPv6 client counts as its network of this many bits: one subscriber (or one machine)
# gets a whole /64 and can use a new address for every attempt. 128: each address alone.
CALUMET_LOCKOUT_IPV6_PREFIX = env.int("CALUMET_LOCKOUT_IPV6_PREFIX", default=64)
if not 1 <= CALUMET_LOCKOUT_IPV6_PREFIX <= 128:
    raise ImproperlyConfigured("CALUMET_LOCKOUT_IPV6_PREFIX is a number of bits, 1 to 128.")
AXES_HANDLER = "core.lockout.CalumetAxesHandler"
# The one client-address function (X-Forwarded-For believed only from trusted proxies),
# with an IPv6 address counted as its network (core.client.lockout_address).
AXES_CLIENT_IP_CALLABLE = "core.client.lockout_address"
AXES_SENSITIVE_PARAMETERS = [
    "password",
    "pin",
    "new_pin",
    "new_pin2",
    "current_pin",
    "card_number",
    "token",
]
# Card numbers are stored by axes only as a keyed hash (see patrons.portal.card_key).
AXES_USERNAME_CALLABLE = "patrons.portal.axes_username"
AXES_LOCKOUT_CALLABLE = "patrons.portal.lockout_response"
AXES_VERBOSE = False

# New library cards: 14 digits, this prefix, a serial and a Luhn (mod 10) check digit.
CALUMET_CARD_PREFIX = env.str("CALUMET_CARD_PREFIX", default="21234")
# A registration (and its card) is valid for this many years, renewed at the desk.
CALUMET_CARD_YEARS = env.int("CALUMET_CARD_YEARS", default=3)

# A PIN reset link works once, within these minutes; resets asked within the lockout window
# per card and per client address (patrons.pin_attempts): past either, no email is sent.
CALUMET_PIN_RESET_MINUTES = env.int("CALUMET_PIN_RESET_MINUTES", default=60)
CALUMET_PIN_RESET_CARD_LIMIT = env.int("CALUMET_PIN_RESET_CARD_LIMIT", default=3)
CALUMET_PIN_RESET_ADDRESS_LIMIT = env.int("CALUMET_PIN_RESET_ADDRESS_LIMIT", default=10)

# Online sign-up (patrons/signup.py; docs/portal.md): the fields the form asks and those
# required (name and email always), sign-ups per client address in the lockout window, the
# confirmation link's hours. An application never collected goes at its retention.
CALUMET_SIGNUP_ENABLED = env.bool("CALUMET_SIGNUP_ENABLED", default=True)
CALUMET_SIGNUP_FIELDS = env.list(
    "CALUMET_SIGNUP_FIELDS",
    default=["birth_date", "address_line1", "address_line2", "city", "postal_code", "phone"],
)
CALUMET_SIGNUP_REQUIRED = env.list(
    "CALUMET_SIGNUP_REQUIRED", default=["birth_date", "address_line1", "city", "postal_code"]
)
CALUMET_SIGNUP_ADDRESS_LIMIT = env.int("CALUMET_SIGNUP_ADDRESS_LIMIT", default=5)
CALUMET_SIGNUP_CONFIRM_HOURS = env.int("CALUMET_SIGNUP_CONFIRM_HOURS", default=48)

# Patron portal sessions on shared public terminals: signed out after this many idle
# minutes, and after this many minutes in all.
CALUMET_PORTAL_IDLE_MINUTES = env.int("CALUMET_PORTAL_IDLE_MINUTES", default=10)
CALUMET_PORTAL_MAX_MINUTES = env.int("CALUMET_PORTAL_MAX_MINUTES", default=60)

# The circulation desk forgets the patron being served, and its scan lines, after this
# many minutes without a scan (also at "Done — next patron" and at sign-out).
CALUMET_DESK_IDLE_MINUTES = env.int("CALUMET_DESK_IDLE_MINUTES", default=10)

# The expunge (retention engine): records per transaction, the nightly run's local time,
# how long lockout records are kept, and VACUUM of touched tables on PostgreSQL.
CALUMET_EXPUNGE_BATCH_SIZE = env.int("CALUMET_EXPUNGE_BATCH_SIZE", default=2000)
CALUMET_EXPUNGE_TIME = env.str("CALUMET_EXPUNGE_TIME", default="02:30")
CALUMET_EXPUNGE_LOCKOUT_KEEP_MINUTES = env.int(
    "CALUMET_EXPUNGE_LOCKOUT_KEEP_MINUTES", default=env.int("CALUMET_LOCKOUT_MINUTES", default=15)
)
CALUMET_EXPUNGE_VACUUM = env.bool("CALUMET_EXPUNGE_VACUUM", default=True)

# Backups (`manage.py backup` / `restore`, docs/deployment.md "Backups"): encrypted
# PostgreSQL dumps in CALUMET_BACKUP_DIR, with the key in CALUMET_BACKUP_KEY_FILE (never in
# the backup folder), kept CALUMET_BACKUP_KEEP_DAYS days (never longer than the longest
# retention in force; empty: that longest retention).
CALUMET_BACKUP_DIR = env.str("CALUMET_BACKUP_DIR", default=str(VAR_DIR / "backups"))
CALUMET_BACKUP_KEY_FILE = env.str("CALUMET_BACKUP_KEY_FILE", default="")
CALUMET_BACKUP_KEEP_DAYS = env.int("CALUMET_BACKUP_KEEP_DAYS", default=None)

# A notice claimed by a worker that has not marked it sent after this many seconds is sent
# again by the next run (the worker died; circulation.notices.outbox).
CALUMET_NOTICE_LEASE_SECONDS = env.int("CALUMET_NOTICE_LEASE_SECONDS", default=300)

# Days a disclosure release package is kept after the request is marked fulfilled.
CALUMET_DISCLOSURE_PACKAGE_DAYS = env.int("CALUMET_DISCLOSURE_PACKAGE_DAYS", default=30)

# Statistics (docs/statistics.md): the month the fiscal year starts (7 = July), the
# smallest count a breakdown shows (smaller ones read "fewer than N"), and the public
# page counting disclosure requests per year (off: it answers 404).
CALUMET_FISCAL_YEAR_START_MONTH = env.int("CALUMET_FISCAL_YEAR_START_MONTH", default=7)
CALUMET_STATS_SUPPRESS_BELOW = env.int("CALUMET_STATS_SUPPRESS_BELOW", default=5)
# The statistics tables keep no cell made by fewer patrons than this once the expunge has
# run: smaller cells are generalised (docs/statistics.md, "What the tables keep").
CALUMET_ANONYMITY_K = env.int("CALUMET_ANONYMITY_K", default=5)
CALUMET_TRANSPARENCY_PAGE = env.bool("CALUMET_TRANSPARENCY_PAGE", default=True)

# The SIP2 server for self-check kiosks and PC reservation (`manage.py sip2server`,
# docs/sip2.md). TLS with this certificate and key; without them plain TCP is served on
# the loopback address only, unless CALUMET_SIP2_ALLOW_PLAIN is on.
CALUMET_SIP2_HOST = env.str("CALUMET_SIP2_HOST", default="127.0.0.1")
CALUMET_SIP2_PORT = env.int("CALUMET_SIP2_PORT", default=6001)
CALUMET_SIP2_CERT = env.str("CALUMET_SIP2_CERT", default="")
CALUMET_SIP2_KEY = env.str("CALUMET_SIP2_KEY", default="")
CALUMET_SIP2_ALLOW_PLAIN = env.bool("CALUMET_SIP2_ALLOW_PLAIN", default=False)
CALUMET_SIP2_INSTITUTION = env.str("CALUMET_SIP2_INSTITUTION", default="calumet")
# The patron's name in answers: full, initial (first name and last initial) or none.
CALUMET_SIP2_PATRON_NAME = env.str("CALUMET_SIP2_PATRON_NAME", default="initial")
# Titles in answers (screen and print lines, title fields); off: item barcodes only.
CALUMET_SIP2_TITLES = env.bool("CALUMET_SIP2_TITLES", default=False)
CALUMET_SIP2_IDLE_SECONDS = env.int("CALUMET_SIP2_IDLE_SECONDS", default=300)
CALUMET_SIP2_MAX_MESSAGE = env.int("CALUMET_SIP2_MAX_MESSAGE", default=4096)
CALUMET_SIP2_THREADS = env.int("CALUMET_SIP2_THREADS", default=1)
# Server processes sharing the port (one per core: Python runs one thread at a time).
CALUMET_SIP2_PROCESSES = env.int("CALUMET_SIP2_PROCESSES", default=1)
CALUMET_SIP2_CURRENCY = env.str("CALUMET_SIP2_CURRENCY", default="USD")
# How far back a terminal may date a transaction: an offline check-out (no-block flag)
# or the return date of a check-in (a book drop emptied later). Older ones are refused.
CALUMET_SIP2_OFFLINE_MAX_HOURS = env.int("CALUMET_SIP2_OFFLINE_MAX_HOURS", default=72)

# Staff sign in to the admin with a second factor (TOTP app, backup codes). On by default
# whenever debug is off; the demo staff of `make run` (debug on) skip it.
CALUMET_STAFF_2FA = env.bool("CALUMET_STAFF_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = CALUMET_LIBRARY_NAME

# django-q2: the ORM broker by default (no extra server), Redis when configured.
CALUMET_REDIS_URL = env.str("CALUMET_REDIS_URL", default="")
Q_CLUSTER = {
    "name": env.str("CALUMET_Q_NAME", default="calumet"),
    "workers": env.int("CALUMET_WORKERS", default=2),
    "timeout": 3600,
    "retry": 4000,  # must be larger than timeout
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "save_limit": 250,
    "label": "Background tasks",
}
if CALUMET_REDIS_URL:
    Q_CLUSTER["redis"] = CALUMET_REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 2  # seconds between polls of the ORM queue

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
DEFAULT_FROM_EMAIL = env.str("CALUMET_FROM_EMAIL", default="library@localhost")

# Logging: to the console; no URL path, query string, card number or request body
# (calumet/log_config.py says how).
LOGGING = logging_config(level=env.str("CALUMET_LOG_LEVEL", default="INFO"), debug=DEBUG)
