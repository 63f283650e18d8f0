"""Local development and the `make run` demo: SQLite, local-memory cache, mail to the terminal."""

import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-not-secret-cmss"  # noqa: S105
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost"]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The demo serves static files from the source folders, so no collectstatic is needed.
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT = None  # static files come from the source folders (whitenoise finders)

# Sign-in codes go to the terminal (console mail backend); http on the demo's loopback.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
# The demo lets staff into /admin/ without setting up TOTP (README, "Signing in");
# CMSS_DEMO_RELAX_STAFF_MFA=0 tries the real thing. Production never allows it.
CMSS_DEMO_RELAX_STAFF_MFA = os.environ.get("CMSS_DEMO_RELAX_STAFF_MFA", "1") == "1"
