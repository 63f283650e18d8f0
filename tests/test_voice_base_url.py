"""CMSS_BASE_URL: one setting for the site's address; production insists on https."""

from tests.test_settings import PRODUCTION_ENV, manage

PRINT_BASE_URLS = (
    "from django.conf import settings; "
    "print(settings.CMSS_BASE_URL, settings.WAGTAILADMIN_BASE_URL)"
)


def test_production_derives_the_base_url_from_the_first_allowed_host():
    result = manage("shell", "-c", PRINT_BASE_URLS, CMSS_BASE_URL="", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["https://cmss.example.eu", "https://cmss.example.eu"]


def test_production_takes_an_https_base_url():
    result = manage(
        "shell",
        "-c",
        PRINT_BASE_URLS,
        CMSS_BASE_URL="https://www.cmss.example.eu/",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["https://www.cmss.example.eu"] * 2


def test_production_refuses_a_plain_http_base_url():
    result = manage("check", CMSS_BASE_URL="http://cmss.example.eu", **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "CMSS_BASE_URL must be the site's https address" in result.stderr


def test_the_demo_follows_the_environment():
    env = {"DJANGO_SETTINGS_MODULE": "cms.settings.dev", "CMSS_BASE_URL": "http://127.0.0.1:8100"}
    result = manage("shell", "-c", PRINT_BASE_URLS, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["http://127.0.0.1:8100"] * 2
