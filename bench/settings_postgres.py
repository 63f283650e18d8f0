"""The benchmark settings (bench/settings.py) on a PostgreSQL database instead of the SQLite file.

bench/pages.py --database-url postgres://... uses it: the URL comes in CMSS_BENCH_DATABASE_URL.
"""

import os

import dj_database_url

from bench.settings import *  # noqa: F403

DATABASES = {
    "default": dj_database_url.parse(os.environ["CMSS_BENCH_DATABASE_URL"], conn_max_age=60)
}
