"""The staff second factor and allauth's forms with errors, in headless Chromium.

Each page (TOTP activation, TOTP at sign-in, re-authentication, the emailed code), as it first
shows and after a wrong code, has no axe-core WCAG 2.1 A/AA violation at 1280 and 320 px, no
horizontal scrolling at 320 px, unique ids and ARIA references that resolve; after a wrong code
the title starts "Error: " and an error summary links to the field. Then a staff member signs
in by code, sets up TOTP from the secret the page shows, and reaches Wagtail's dashboard.

The staff here have no password, as in the demo: allauth would otherwise ask for it before
TOTP can be set up. The second factor is enforced (CMSS_DEMO_RELAX_STAFF_MFA off); the live
server runs in this process, so the override applies to it.
"""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django import forms
from django.contrib.auth import get_user_model
from django.core import mail
from django.template import Context, Origin, Template
from playwright.sync_api import expect

from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}
STAFF_EMAIL = "helper@cmss.example.eu"
WRONG_TOTP = "000000"


@pytest.fixture(autouse=True)
def staff_mfa_enforced(settings):
    settings.CMSS_DEMO_RELAX_STAFF_MFA = False


@pytest.fixture
def make_staff_member(directory_site):
    """make_staff_member(totp) -> (user, TOTP secret or None): admin access, no password."""

    def make(totp):
        user = get_user_model().objects.create_user(
            username="helper", email=STAFF_EMAIL, is_superuser=True, is_staff=True
        )
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=STAFF_EMAIL, primary=True, verified=True)
        secret = None
        if totp:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
        return user, secret

    return make


def login_code(message):
    return re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.M).group(1)


def totp_code(secret):
    """The code an authenticator app shows now, not one about to expire (no tolerance is set)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def request_code(page, base, next_url=""):
    page.goto(base + "/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_role("button", name="Email me a sign-in code").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/code/confirm/"))
    heading(page, "Enter Sign-In Code")


def sign_in_by_code(page, base, next_url=""):
    request_code(page, base, next_url)
    page.get_by_label("Code").fill(login_code(mail.outbox[-1]))
    page.get_by_role("button", name="Confirm").click()


def submit_wrong_code(page, code, button):
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()


# --- How to reach each page in the state it is checked in: (page, base) -> None.


def code_wrong(page, base):
    request_code(page, base)
    submit_wrong_code(page, "AAAA-AAAA", "Confirm")
    heading(page, "Enter Sign-In Code")


def totp_activate(page, base):
    sign_in_by_code(page, base)
    page.goto(base + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next=%2Fadmin%2F$"))
    heading(page, "Activate Authenticator App")


def totp_activate_wrong(page, base):
    totp_activate(page, base)
    submit_wrong_code(page, WRONG_TOTP, "Activate")
    heading(page, "Activate Authenticator App")


def mfa_authenticate(page, base):
    sign_in_by_code(page, base)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    heading(page, "Two-Factor Authentication")


def mfa_authenticate_wrong(page, base):
    mfa_authenticate(page, base)
    submit_wrong_code(page, WRONG_TOTP, "Sign In")
    heading(page, "Two-Factor Authentication")


def reauthenticate(page, base):
    page.goto(base + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/reauthenticate/\?next=%2Fadmin%2F$"))
    heading(page, "Confirm Access")


def reauthenticate_wrong(page, base):
    reauthenticate(page, base)
    submit_wrong_code(page, WRONG_TOTP, "Confirm")
    heading(page, "Confirm Access")


# name: (how to reach it, staff member has TOTP, signed in beforehand with force_login)
PAGES = {
    "code_wrong": (code_wrong, False, False),
    "totp_activate": (totp_activate, False, False),
    "totp_activate_wrong": (totp_activate_wrong, False, False),
    "mfa_authenticate": (mfa_authenticate, True, False),
    "mfa_authenticate_wrong": (mfa_authenticate_wrong, True, False),
    "reauthenticate": (reauthenticate, True, True),
    "reauthenticate_wrong": (reauthenticate_wrong, True, True),
}


def broken_references(page):
    """Ids used twice, and ARIA references or in-page links to ids that do not exist."""
    return page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
            const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
            const missing = [];
            for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
                for (const el of document.querySelectorAll(`[${attr}]`)) {
                    for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                        if (!document.getElementById(id)) missing.push(`${attr}=${id}`);
                    }
                }
            }
            for (const link of document.querySelectorAll('a[href^="#"]')) {
                const id = link.getAttribute("href").slice(1);
                if (id && !document.getElementById(id)) missing.push(`href=#${id}`);
            }
            return {twice, missing};
        }"""
    )


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGES)
def test_signin_pages_are_accessible(
    directory_site, make_staff_member, open_page, signed_in_page, name, viewport
):
    reach, with_totp, signed_in = PAGES[name]
    user, _ = make_staff_member(totp=with_totp)
    size = VIEWPORTS[viewport]
    page = signed_in_page(user, size, True) if signed_in else open_page(size, True)
    reach(page, directory_site)

    results = run_axe(page)
    assert results.violations_count == 0, axe_report(results)
    assert broken_references(page) == {"twice": [], "missing": []}
    if name.endswith("_wrong"):
        assert page.title().startswith("Error: "), page.title()
        summary = page.locator(".error-summary")
        expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
        link = summary.get_by_role("link")
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", "#id_code")
        expect(link).to_contain_text("Incorrect code.")
        expect(page.locator("#id_code")).to_have_attribute("aria-describedby", "id_code_error")
    else:
        assert not page.title().startswith("Error"), page.title()
        expect(page.locator(".error-summary")).to_have_count(0)
    if size == NARROW:
        widths = page.evaluate(
            "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
        )
        assert widths["window"] == NARROW["width"]
        assert widths["scroll"] <= widths["window"], widths


def test_staff_member_signs_in_by_code_sets_up_totp_and_reaches_the_dashboard(
    directory_site, make_staff_member, open_page
):
    user, _ = make_staff_member(totp=False)
    page = open_page(DESKTOP)

    sign_in_by_code(page, directory_site, next_url="/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next=%2Fadmin%2F$"))
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # The recovery codes, once, with a way on: no second emailed code, no second TOTP prompt.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    heading(page, "Recovery codes")
    codes = page.get_by_label(re.compile("recovery codes")).input_value().split()
    assert len(codes) == 10, codes
    page.get_by_role("link", name=re.compile("^Continue")).click()

    expect(page).to_have_url(directory_site + "/admin/")
    # Wagtail's dashboard: its summary of the site.
    expect(page.get_by_role("link", name=re.compile(r"Pages created in CMSS"))).to_be_visible()
    assert (
        len([m for m in mail.outbox if m.to == [STAFF_EMAIL] and "code" in m.subject.lower()]) == 1
    )


def test_staff_member_with_totp_signs_in_by_code_then_totp_and_reaches_the_dashboard(
    directory_site, make_staff_member, open_page
):
    _, secret = make_staff_member(totp=True)
    page = open_page(DESKTOP)

    sign_in_by_code(page, directory_site, next_url="/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(directory_site + "/admin/")
    expect(page.get_by_role("link", name=re.compile(r"Pages created in CMSS"))).to_be_visible()


class EmailForm(forms.Form):
    email = forms.EmailField(help_text="Your work address.")


def test_allauth_field_element_gives_its_error_and_hint_one_id_each(transactional_db):
    """Django 5.2 renders a field's error list with the id <id>_error: written inside an element
    with that id, it made two. The input's aria-describedby must name ids that exist, once."""
    errors = EmailForm({"email": "not an address"})["email"].errors
    assert 'id="id_email_error"' in str(errors)  # what Django does, which the element avoids
    html = Template(
        '{% load allauth %}{% element field id="id_email" name="email" type="email" '
        "errors=errors %}{% slot label %}Email{% endslot %}"
        "{% slot help_text %}Your work address.{% endslot %}{% endelement %}",
        origin=Origin("field_test.html", template_name="field_test.html"),  # allauth reads it
    ).render(Context({"errors": errors}))

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted(ids) == ["id_email", "id_email_error", "id_email_helptext"], html
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1)
    assert described == "id_email_helptext id_email_error"
    assert 'aria-invalid="true"' in html
    assert "Enter a valid email address." in html
