"""Production settings take secrets and hosts from the environment and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "cms.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-value-only-for-this-test-" + "x" * 30,
    "DJANGO_ALLOWED_HOSTS": "cmss.example.eu",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "WEBEX_BACKEND": "events.webex.api.WebexAPI",
}


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.pop("DATABASE_URL", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"The environment variable {missing} must be set" in result.stderr


def test_production_passes_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_would_catch_a_weakened_setting():
    """Control: the same check fails when a security setting is turned off."""
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_HSTS_SECONDS="0", **PRODUCTION_ENV
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_deploy_check_asks_for_a_shared_cache():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "cmss.W001" in result.stdout + result.stderr


def test_nothing_secret_is_hard_coded_in_production():
    text = (ROOT / "cms" / "settings" / "production.py").read_text()
    assert 'SECRET_KEY = required("DJANGO_SECRET_KEY")' in text
