"""Settings for the benchmark server: the dev settings with DEBUG off and a separate SQLite file.

The database lives under var/bench/ (gitignored) so that the developer's db.sqlite3 is untouched;
static files are served by WhiteNoise from the source folders, as in dev.
"""

import dj_database_url

from cms.settings.dev import *  # noqa: F403

DEBUG = False
WHITENOISE_AUTOREFRESH = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"

BENCH_DIR = BASE_DIR / "var" / "bench"  # noqa: F405
DATABASES = {
    "default": dj_database_url.parse(f"sqlite:///{BENCH_DIR / 'db.sqlite3'}", conn_max_age=60)
}
# The site's SQLite options (cms/settings/base.py), which the parse above leaves out: without
# IMMEDIATE transactions and the 20 s wait, concurrent writers (the registration burst of
# bench/pages.py) fail with "database is locked".
DATABASES["default"]["OPTIONS"] = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
