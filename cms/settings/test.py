"""The test suite: SQLite in memory unless DATABASE_URL names PostgreSQL; nothing leaves the machine."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret-cmss"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
STATIC_ROOT = None  # static files come from the source folders (whitenoise finders)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
# Tests that sign staff in with force_login (no second factor) reach /admin/; the
# second-factor tests (tests/test_signin.py) turn this off with override_settings.
CMSS_DEMO_RELAX_STAFF_MFA = True
# Tasks run inline; mail is sent when the test's transaction would commit
# (django_capture_on_commit_callbacks) and retries do not wait.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "mail"],
    },
}
CMSS_MAIL_RETRY_DELAYS = [0, 0, 0]
ANYMAIL = {
    "WEBHOOK_SECRET": "tracker:test-webhook-secret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key",
}
CMSS_MAIL_WEBHOOK_ESP = "mailgun"  # the routed tracking webhook (tests/test_mail_webhook.py)
