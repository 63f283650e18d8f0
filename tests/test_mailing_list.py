"""The mailing list: who is on it, the one-click unsubscribe link (GET page, RFC 8058 POST with no
CSRF token and no sign-in), rejoining, /account/, and the helpdesk's member list."""

import email
from email import policy

import pytest
from django.test import Client
from wagtail.models import ModelLogEntry

from directory import mailing_list
from directory.models import Clinician, Country, MailingListDeparture
from directory.services.access import HELPDESK_GROUP, national_contact_point_group_name

from .test_directory_pages import make_clinician, make_hospital
from .test_pages import outline


def ncp_user(django_user_model, username, country_name, email=None):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username, email or f"{username}@ncp.example.eu", is_staff=False
    )
    user.groups.add(Group.objects.get(name=national_contact_point_group_name(country_name)))
    return user


@pytest.fixture
def people(db, django_user_model):
    be = make_hospital("Hôpital Érasme", "Brussels", "BE")
    pl = make_hospital("Szpital", "Łódź", "PL")
    return {
        "anna": make_clinician("Anna", "Kowalska", pl, role=Clinician.Role.CASE_MANAGER),
        "jan": make_clinician("Jan", "Peeters", be),
        "left": make_clinician("Lea", "Left", be, mailing_opt_out=True),
        "pending": make_clinician("Petra", "Pending", be, status=Clinician.Status.AWAITING),
        "suspended": make_clinician("Sam", "Suspended", be, status=Clinician.Status.SUSPENDED),
        "ncp": ncp_user(django_user_model, "ncp-be", "Belgium"),
        # A national contact point who is an approved clinician too: a member once.
        "both": ncp_user(django_user_model, "ncp-pl", "Poland", email="Anna.Kowalska@example.eu"),
    }


def emails(**filters):
    return sorted(m.email for m in mailing_list.iter_members(**filters))


@pytest.mark.django_db
def test_members_are_approved_clinicians_on_the_list_and_national_contact_points(people):
    assert emails() == [
        "anna.kowalska@example.eu",
        "jan.peeters@example.eu",
        "ncp-be@ncp.example.eu",
    ]
    assert mailing_list.count_members() == 3


@pytest.mark.django_db
def test_members_filtered_by_country_and_role(people):
    belgium = Country.objects.get(code="BE")
    assert emails(countries=[belgium]) == ["jan.peeters@example.eu", "ncp-be@ncp.example.eu"]
    assert emails(roles=[mailing_list.NCP_ROLE]) == ["ncp-be@ncp.example.eu"]
    assert emails(roles=[Clinician.Role.CASE_MANAGER]) == ["anna.kowalska@example.eu"]
    assert mailing_list.count_members(countries=[belgium], roles=["ncp"]) == 1
    with_departed = emails(include_departed=True)
    assert "lea.left@example.eu" in with_departed
    assert "petra.pending@example.eu" not in with_departed


@pytest.mark.django_db
def test_a_national_contact_point_leaves_and_rejoins(people):
    token = mailing_list.unsubscribe_token(f"u:{people['ncp'].pk}")
    mailing_list.leave_by_token(token)
    assert MailingListDeparture.objects.filter(email="ncp-be@ncp.example.eu").exists()
    assert "ncp-be@ncp.example.eu" not in emails()
    mailing_list.rejoin_by_token(token)
    assert "ncp-be@ncp.example.eu" in emails()


@pytest.mark.django_db
def test_a_forged_or_damaged_token_is_refused(people):
    token = mailing_list.unsubscribe_token(f"c:{people['jan'].pk}")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), f"c:{people['anna'].pk}:x", ""):
        with pytest.raises(mailing_list.UnknownMember):
            mailing_list.member_for_token(bad)
    # A token for another purpose (another salt) opens nothing here.
    from django.core import signing

    other = signing.Signer(salt="something-else").sign(f"c:{people['jan'].pk}")
    with pytest.raises(mailing_list.UnknownMember):
        mailing_list.member_for_token(other)


# --- the link, over HTTP ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_get_page_shows_a_button_and_changes_nothing(people):
    jan = people["jan"]
    client = Client(enforce_csrf_checks=True)
    token = mailing_list.unsubscribe_token(f"c:{jan.pk}")
    response = client.get(f"/mailing-list/leave/{token}/")
    assert response.status_code == 200
    page = outline(response)
    assert "Leave the mailing list" in " ".join(page.text)
    jan.refresh_from_db()
    assert jan.mailing_opt_out is False
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_rfc_8058_one_click_post_unsubscribes_without_csrf_or_login(people):
    jan = people["jan"]
    client = Client(enforce_csrf_checks=True)
    token = mailing_list.unsubscribe_token(f"c:{jan.pk}")
    response = client.post(
        f"/mailing-list/leave/{token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    jan.refresh_from_db()
    assert jan.mailing_opt_out is True
    assert "jan.peeters@example.eu" not in emails()
    entry = ModelLogEntry.objects.get(action=mailing_list.LEAVE_ACTION, object_id=str(jan.pk))
    assert entry.data["how"] == "one-click"
    assert entry.user is None
    # Twice is harmless, and logs once.
    client.post(
        f"/mailing-list/leave/{token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert ModelLogEntry.objects.filter(action=mailing_list.LEAVE_ACTION).count() == 1


@pytest.mark.django_db
def test_rejoin_from_the_page(people):
    jan = people["jan"]
    client = Client(enforce_csrf_checks=True)
    token = mailing_list.unsubscribe_token(f"c:{jan.pk}")
    client.post(f"/mailing-list/leave/{token}/", {})
    response = client.post(f"/mailing-list/rejoin/{token}/")
    assert response.status_code == 200
    jan.refresh_from_db()
    assert jan.mailing_opt_out is False


@pytest.mark.django_db
def test_a_bad_token_is_a_404_and_changes_nothing(people):
    client = Client(enforce_csrf_checks=True)
    jan = people["jan"]
    token = mailing_list.unsubscribe_token(f"c:{jan.pk}")
    assert client.get(f"/mailing-list/leave/{token}x/").status_code == 404
    assert client.post(f"/mailing-list/leave/c:{jan.pk}:abc/").status_code == 404
    jan.refresh_from_db()
    assert jan.mailing_opt_out is False


@pytest.mark.django_db
def test_account_leave_and_rejoin_is_logged(client, people, django_user_model):
    jan = people["jan"]
    jan.user = django_user_model.objects.create_user("jan", jan.email)
    jan.save()
    client.force_login(jan.user)
    client.post("/account/mailing-list/", {})
    jan.refresh_from_db()
    assert jan.mailing_opt_out is True
    client.post("/account/mailing-list/", {"stay_on_list": "on"})
    jan.refresh_from_db()
    assert jan.mailing_opt_out is False
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(jan.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [mailing_list.LEAVE_ACTION, mailing_list.REJOIN_ACTION]


# --- the helpdesk's member list ---------------------------------------------------------------


@pytest.mark.django_db
def test_helpdesk_filters_members(client, people, make_staff):
    client.force_login(make_staff("desk", HELPDESK_GROUP))
    response = client.get("/admin/mailing-list/")
    assert response.status_code == 200
    text = " ".join(outline(response).text)
    assert "jan.peeters@example.eu" in text and "ncp-be@ncp.example.eu" in text
    assert "lea.left@example.eu" not in text
    belgium = Country.objects.get(code="BE")
    text = " ".join(outline(client.get(f"/admin/mailing-list/?country={belgium.pk}&role=ncp")).text)
    assert "ncp-be@ncp.example.eu" in text and "jan.peeters@example.eu" not in text
    text = " ".join(outline(client.get("/admin/mailing-list/?left=left")).text)
    assert "lea.left@example.eu" in text and "jan.peeters@example.eu" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["editor", "ncp", "clinician"])
def test_others_may_not_see_the_members(client, people, make_staff, who, django_user_model):
    if who == "editor":
        user = make_staff("ed", "Editors")
    elif who == "ncp":
        user = people["ncp"]
        user.is_staff = True
        user.save()
    else:
        user = django_user_model.objects.create_user("jan", people["jan"].email)
        people["jan"].user = user
        people["jan"].save()
    client.force_login(user)
    response = client.get("/admin/mailing-list/")
    assert response.status_code in (302, 403)
    assert "jan.peeters@example.eu" not in response.content.decode()


def parsed(raw):
    return email.message_from_bytes(raw, policy=policy.default)
