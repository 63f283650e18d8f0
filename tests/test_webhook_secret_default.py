"""Without ANYMAIL_WEBHOOK_SECRET the tracking webhook still needs a secret: a random one, new at each
start, which no caller can know, so every call is refused (issue 9, point 7: the test settings set
a fixed secret, so nothing else would notice if the random default went)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_SECRET = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.ANYMAIL.get('WEBHOOK_SECRET') or '')"
)


def secret_at_start():
    env = {k: v for k, v in os.environ.items() if k != "ANYMAIL_WEBHOOK_SECRET"}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.dev"
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SECRET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_an_unset_webhook_secret_is_a_random_one_per_start():
    first, second = secret_at_start(), secret_at_start()
    assert len(first) >= 32 and len(second) >= 32
    assert first != second
