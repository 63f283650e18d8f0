"""The operational settings that later features read, with their defaults and limits."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from home.models import SiteSettings


@pytest.mark.django_db
def test_defaults(home_page):
    settings = SiteSettings.for_site(home_page.get_site())
    assert settings.participant_limit == 100
    assert settings.retention_days == 30
    assert settings.helpdesk_email
    assert settings.organiser_name


@pytest.mark.django_db
def test_participant_limit_must_be_sensible(home_page):
    settings = SiteSettings.for_site(home_page.get_site())
    settings.participant_limit = 0
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert "participant_limit" in error.value.message_dict


@pytest.mark.django_db
def test_helpdesk_edits_settings_and_editors_cannot(client, home_page, make_staff):
    site = home_page.get_site()
    url = reverse("wagtailsettings:edit", args=["home", "sitesettings", site.pk])
    client.force_login(make_staff("ed", "Editors"))
    assert client.get(url).status_code in (302, 403)

    client.force_login(make_staff("hd", "Helpdesk"))
    response = client.post(
        url,
        {
            "helpdesk_email": "desk@network.example.eu",
            "organiser_name": "Network helpdesk",
            "participant_limit": "250",
            "retention_days": "14",
        },
    )
    assert response.status_code == 302
    settings = SiteSettings.for_site(site)
    assert (settings.participant_limit, settings.retention_days) == (250, 14)


@pytest.mark.django_db
def test_retention_help_says_what_is_erased_after_that_many_days(client, home_page, make_staff):
    """purge_expired applies retention_days to more than case-conference requests (cms/retention.py):
    the settings form says what goes, in words a policy official reads."""
    from bs4 import BeautifulSoup

    help_text = str(SiteSettings._meta.get_field("retention_days").help_text)
    for what in ("emails", "attachments", "spreadsheets", "delivery reports", "case conference"):
        assert what in help_text, what
    client.force_login(make_staff("hd", "Helpdesk"))
    site = home_page.get_site()
    form = client.get(reverse("wagtailsettings:edit", args=["home", "sitesettings", site.pk]))
    shown = BeautifulSoup(form.content, "html.parser").get_text(" ", strip=True)
    assert " ".join(help_text.split()) in " ".join(shown.split())
