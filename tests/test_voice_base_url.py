"""CMSS_BASE_URL: one setting for the site's address; production insists on https."""

from tests.test_settings import PRODUCTION_ENV, manage

PRINT_BASE_URLS = (
    "from django.conf import settings; "
    "print(settings.CMSS_BASE_URL, settings.WAGTAILADMIN_BASE_URL)"
)


def test_production_derives_the_base_url_from_the_first_allowed_host():
    result = manage("shell", "-c", PRINT_BASE_URLS, CMSS_BASE_URL="", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "https://cmss.example.eu",
        "https://cmss.example.eu",
    ]


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


def test_seed_demo_prints_the_base_url(db, monkeypatch):
    import io

    from django.conf import settings
    from django.core.management import call_command

    # Not override_settings: seed_demo reads SETTINGS_MODULE, which an override hides.
    monkeypatch.setattr(settings, "CMSS_BASE_URL", "http://127.0.0.1:8100")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8100/accounts/login/" in out.getvalue()
    assert "8000" not in out.getvalue()
