"""Production: every secret and host from the environment; refuses to start without them."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def required(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be set for production "
            f"(DJANGO_SETTINGS_MODULE=cms.settings.production). See README.md, 'Settings'."
        )
    return value


SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS if h != "*"]
DEBUG = False
# Staff always need their second factor in production, whatever the environment says.
CMSS_DEMO_RELAX_STAFF_MFA = False

# Links in emails (settings/base.py): CMSS_BASE_URL when set, else https://<first allowed host>.
CMSS_BASE_URL = os.environ.get("CMSS_BASE_URL", "").strip().rstrip("/") or (
    f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
)
if not CMSS_BASE_URL.startswith("https://") or "*" in CMSS_BASE_URL:
    raise ImproperlyConfigured(
        "CMSS_BASE_URL must be the site's https address, e.g. https://cmss.example.eu "
        "(or leave it unset and list the site's host first in DJANGO_ALLOWED_HOSTS)."
    )
WAGTAILADMIN_BASE_URL = CMSS_BASE_URL

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Where collectstatic writes the files the web server (or WhiteNoise) serves.
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", "").strip() or STATIC_ROOT  # noqa: F405

# Any anymail provider: ANYMAIL_BACKEND names it (e.g. anymail.backends.mailgun.EmailBackend)
# and its own ANYMAIL_* variables carry the keys; SMTP through EMAIL_* otherwise.
EMAIL_BACKEND = os.environ.get(
    "ANYMAIL_BACKEND",
    os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
)
ANYMAIL = {
    **ANYMAIL,  # noqa: F405  (WEBHOOK_SECRET: refuse every webhook call when unset)
    **{
        key.removeprefix("ANYMAIL_"): value
        for key, value in os.environ.items()
        if key.startswith("ANYMAIL_") and key != "ANYMAIL_BACKEND" and value
    },
}
# The tracking webhook of the provider mail is sent through (anymail.backends.<name>.EmailBackend).
CMSS_MAIL_WEBHOOK_ESP = CMSS_MAIL_WEBHOOK_ESP or (  # noqa: F405
    EMAIL_BACKEND.split(".")[2]
    if EMAIL_BACKEND.startswith("anymail.backends.") and EMAIL_BACKEND.count(".") == 3
    else ""
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"

# Webex: named explicitly (events.webex.api.WebexAPI), never base.py's simulated fallback, whose
# bookings "succeed" with made-up links. A staging site may name the simulated one on purpose.
WEBEX_BACKEND = required("WEBEX_BACKEND")

LOGGING["root"]["level"] = os.environ.get("DJANGO_LOG_LEVEL", "INFO")  # noqa: F405
