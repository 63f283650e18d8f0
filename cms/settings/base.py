"""Settings shared by every environment; the environment-specific modules import these and adjust."""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# dev and test set a fixed, clearly non-secret key; production requires DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    "events",
    "directory",
    "home",
    "cms.mail",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail_modeladmin",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Outside the page cache, so cached pages carry the same security headers (cms/security.py).
    "cms.security.SecurityHeadersMiddleware",
    # Plain HTTP is sent to HTTPS before the page cache can answer it.
    "django.middleware.security.SecurityMiddleware",
    # Then a cached public page is answered before any other work is done.
    "home.pagecache.PublicPageCacheMiddleware",
    # Before any view reads ?q=: searches are cut to a few words (cms/security.py).
    "cms.security.SearchCapMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: /admin/ needs staff access and, for staff, a TOTP-verified session.
    "directory.middleware.StaffSecondFactorMiddleware",
    # A clinician who agreed to an older privacy statement is asked to accept the new one.
    "directory.consent.PrivacyConsentMiddleware",
    # The site history report is the helpdesk's (directory/admin_access.py).
    "directory.admin_access.SiteHistoryAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# DATABASE_URL selects PostgreSQL in production (and for the PostgreSQL test pass);
# without it the embedded SQLite file is used.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}

# The embedded SQLite file serves the web server and the task worker side by side: WAL lets
# readers go on while one connection writes, a writer waits up to 20 s for the lock instead of
# failing at once, and IMMEDIATE transactions take the write lock when they begin (a read that
# later wants to write cannot then fail half-way with "database is locked"). Long jobs keep
# their writes short (the directory import writes in one brief transaction at the end).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_environment():
    """The default cache: Redis when CACHE_URL or REDIS_URL names one, local memory otherwise."""
    url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
    if url:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "cmss",
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cmss"}


CACHES = {"default": cache_from_environment()}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail: one sender for everything; the helpdesk mailbox is also kept in the site settings.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "CMSS helpdesk <helpdesk@cmss.example.eu>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
HELPDESK_EMAIL = os.environ.get("HELPDESK_EMAIL", "helpdesk@cmss.example.eu")
# A send that hangs must end well before the worker's lease on the message does.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

# Background work (the Django tasks API, django-tasks). Wagtail's own tasks (search and
# reference index) run on "default", inline as Wagtail expects; ours run on "background",
# stored in the database and run by `manage.py task_worker` (django-tasks-db's db_worker on
# this backend and every queue; make run starts one for all queues and one for "mail").
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail"],
    },
}

# The mail service (cms/mail): every message is logged, sent by a task after commit, and
# retried after a transient error after each of these delays (seconds), then marked failed.
CMSS_MAIL_RETRY_DELAYS = [30, 120, 600, 1800, 3600]
# A message still "sending" this long after a worker claimed it was interrupted: it is marked
# failed for the helpdesk to resend, never sent again automatically (manage.py retry_mail).
CMSS_MAIL_SENDING_LEASE_SECONDS = 900
# A queued message with no task run after this long is handed to the task again.
CMSS_MAIL_REQUEUE_AFTER_SECONDS = 60
# An SMTP connection idle longer than this is closed rather than reused.
CMSS_MAIL_CONNECTION_IDLE_SECONDS = 20
# anymail's tracking webhook (/anymail/<provider>/tracking/) takes basic auth "user:password".
# Unset, a random value that nobody knows makes every call fail with 400.
ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET") or secrets.token_urlsafe(32),
}
# The one provider whose tracking webhook is routed (its name in /anymail/<name>/tracking/, e.g.
# "mailgun"); every other /anymail/ address answers 404. Empty: no webhook at all. Production
# takes it from ANYMAIL_BACKEND when unset. A call with more events than the first number is
# answered at once and applied by the task worker, the second number of events per task.
CMSS_MAIL_WEBHOOK_ESP = os.environ.get("CMSS_MAIL_WEBHOOK_ESP", "").strip().lower()
CMSS_MAIL_WEBHOOK_INLINE_EVENTS = 50
CMSS_MAIL_WEBHOOK_EVENTS_PER_TASK = 500

# The site's own address, scheme and host (and port), without a trailing slash: every link in an
# email and in the admin's notifications starts with it. One setting, from the environment
# variable CMSS_BASE_URL (`make run` sets it to the host and port it serves on). Emails are often
# sent by the task worker, with no request to take a host from, so this is the one source of
# truth. Production requires an https address, or derives https://<first of
# DJANGO_ALLOWED_HOSTS> when it is unset (cms/settings/production.py).
CMSS_BASE_URL = os.environ.get("CMSS_BASE_URL", "http://127.0.0.1:8000").strip().rstrip("/")

# Wagtail
WAGTAIL_SITE_NAME = "CMSS"
WAGTAILADMIN_BASE_URL = CMSS_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "ods", "txt", "csv", "pptx"]
# Content is public, for members (approved clinicians and staff: Wagtail's "login" restriction,
# enforced by home/members.py) or for chosen staff groups; never behind a shared password.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
# Documents are always served through Wagtail's view, which checks the collection's privacy;
# never by their file's address under MEDIA_URL (cms/urls.py, README "Running in production").
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The information package (home/services/package.py, directory/services/package_mail.py): a
# document (or the package PDF) larger than this is linked in the email instead of attached; the
# PDF of a version is kept this long in the cache; DejaVu Sans from Debian's fonts-dejavu-core
# (without it the PDF falls back to a built-in font with Latin-1 letters only).
CMSS_PACKAGE_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("CMSS_PACKAGE_ATTACHMENT_MAX_BYTES", str(2 * 1024 * 1024))
)
CMSS_PACKAGE_PDF_CACHE_SECONDS = 7 * 86400
CMSS_PDF_FONT_DIR = os.environ.get("CMSS_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True

# Rendered public pages are cached for anonymous visitors and dropped whenever
# anything they show is published (see home/pagecache.py).
CMSS_PAGE_CACHE_SECONDS = int(os.environ.get("CMSS_PAGE_CACHE_SECONDS", "600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"level": "WARNING"},
        # One line per background task and page save drowns the demo's terminal.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# Security headers (cms/security.py). The Content-Security-Policy (django-csp) is enforced on
# the public site, which runs no inline script or style (static/js, static/css only), and only
# reported (in the browser's console) under /admin/, where Wagtail's own pages need inline
# scripts. Public pages may not be framed; Wagtail's preview sets X-Frame-Options: SAMEORIGIN
# itself so that the admin can show it.
CMSS_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": CMSS_CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {
    "DIRECTIVES": {**CMSS_CSP_DIRECTIVES, "frame-ancestors": ["'self'"]}
}
CMSS_CSP_REPORT_ONLY_PATHS = ("/admin/",)
CMSS_SECURITY_HEADERS = {
    "Permissions-Policy": ", ".join(
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    ),
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

# Every search box (?q=, and Wagtail's tag autocomplete ?term=) is cut to this many words and
# characters before a view reads it (cms/security.py): a longer search is never a real one.
CMSS_SEARCH_PARAMETERS = ("q", "term", "search")
CMSS_SEARCH_MAX_TERMS = 10
CMSS_SEARCH_MAX_CHARS = 150

# Directory spreadsheets larger than this are refused before they are read.
DIRECTORY_IMPORT_MAX_BYTES = int(
    os.environ.get("DIRECTORY_IMPORT_MAX_BYTES", str(20 * 1024 * 1024))
)
# ... and so are files with more rows with content than this (the largest real list has 20,000),
# workbooks that unpack to more than this, or with a part packed tighter than this ratio (a zip
# bomb): see directory/services/import_reading.py and bench/import_memory.py.
DIRECTORY_IMPORT_MAX_ROWS = int(os.environ.get("DIRECTORY_IMPORT_MAX_ROWS", "100000"))
DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024))
)
DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO = int(
    os.environ.get("DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO", "100")
)

# Sign-in (django-allauth): clinicians have no password and sign in with a code sent by
# email; staff reach /admin/ only with a TOTP second factor (directory/middleware.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/accounts/login/"
# allauth's emails (sign-in codes, confirmations) go through the mail service and its log.
# directory/second_factor.py adds the staff TOTP set-up rules to the mail service's adapter.
ACCOUNT_ADAPTER = "directory.second_factor.SignInAccountAdapter"
# allauth shows "the user" in messages and emails: a person's name (or address), never the
# internal username.
ACCOUNT_USER_DISPLAY = "cms.mail.adapter.user_display"
# Not allauth's default profile page, which does not exist under Wagtail.
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
WAGTAILADMIN_LOGIN_URL = LOGIN_URL
# Restricted pages and documents send anonymous visitors to the code sign-in too.
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL
# No passwords anywhere: Wagtail's password reset and change, and the password fields of its
# user forms, are switched off; allauth re-authenticates by code or TOTP only, and its password
# pages are redirected to the sign-in (cms/urls.py). tests/test_no_passwords.py tries each.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
ACCOUNT_REAUTHENTICATION_METHODS = ("code", "mfa")
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
# Imported members have no account yet: asking for a code makes one (directory/services/accounts.py).
ACCOUNT_FORMS = {
    "login": "directory.signin_forms.MemberLoginForm",
    "request_login_code": "directory.signin_forms.MemberLoginCodeForm",
}
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CMSS] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Added to allauth's defaults (sign-in 30/min per IP, 3 codes/min per address, 5 failed
# sign-ins per 5 min per address): /enrol/ per IP, and per address (directory/views.py); the
# webinar registration form per IP and per webinar and address, its code page per IP
# (events/views/registration.py).
ACCOUNT_RATE_LIMITS = {
    "enrol": "20/h/ip",
    "enrol_email": "3/h/key",
    "webinar_register": "30/h/ip",
    "webinar_register_email": "3/h/key",
    "webinar_code": "30/10m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CMSS"
# The set-up page keeps its secret across a reload (directory/second_factor.py); the recovery
# codes are shown once, right after set-up, with a way on to where the person was going.
MFA_FORMS = {"activate_totp": "directory.second_factor.StableSecretActivateTOTPForm"}
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Demo only: lets staff use /admin/ without TOTP. dev.py may turn it on; production.py
# forces it off.
CMSS_DEMO_RELAX_STAFF_MFA = False

# Webex: the simulated backend (no network) unless WEBEX_BACKEND names the API one,
# events.webex.api.WebexAPI. Refreshed tokens are kept in the shared cache.
WEBEX_BACKEND = os.environ.get("WEBEX_BACKEND", "events.webex.simulated.SimulatedWebex")
WEBEX_API_URL = os.environ.get("WEBEX_API_URL", "https://webexapis.com/v1")
WEBEX_ACCESS_TOKEN = os.environ.get("WEBEX_ACCESS_TOKEN", "")
WEBEX_REFRESH_TOKEN = os.environ.get("WEBEX_REFRESH_TOKEN", "")
WEBEX_CLIENT_ID = os.environ.get("WEBEX_CLIENT_ID", "")
WEBEX_CLIENT_SECRET = os.environ.get("WEBEX_CLIENT_SECRET", "")
WEBEX_TIMEOUT = 10  # seconds, every call
WEBEX_MAX_RETRIES = 3
WEBEX_MAX_RETRY_AFTER = 60  # a longer 429 wait is left to a later retry, not slept through
WEBEX_WEBINAR_SESSION_TYPE_ID = os.environ.get("WEBEX_WEBINAR_SESSION_TYPE_ID") or None
# A booking task that meets a passing Webex fault runs again after each of these delays
# (seconds, or Webex's Retry-After when longer); then the booking waits, with its error,
# for the helpdesk's retry or `manage.py retry_bookings` (which takes bookings idle this long).
WEBEX_BOOKING_RETRY_DELAYS = [30, 120, 600, 1800]
WEBEX_BOOKING_REQUEUE_AFTER_MINUTES = 60
# A webinar's recording link and password are removed this many days after the link arrived
# (manage.py purge_expired, events/retention.py).
WEBINAR_RECORDING_RETENTION_DAYS = 365
