"""No personal data appears in any public page, sitemap, search result or feed.

An anonymous visitor crawls the public site from its entry points, following every same-site link
(links, GET forms with each of their choices, sitemap locations, robots.txt paths, redirects), and
no clinician's email address, phone number (compared digit by digit) or full name turns up in any
answer. A control test plants a leak and shows the crawler reports it, so the check cannot pass by
looking at nothing.
"""

import html
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model

from directory.models import Clinician, Country, Hospital
from directory.public_views import HOSPITALS_PER_PAGE
from directory.search import fold

START = ["/", "/sitemap.xml", "/robots.txt", "/hospitals/", "/enrol/", "/accounts/login/"]
SAME_SITE_HOSTS = {"", "testserver", "localhost", "localhost:80", "127.0.0.1"}
SKIPPED_PREFIXES = ("/admin/", "/static/")
MAX_PAGES = 500
SIGN_IN = "/accounts/login/"


# --- the crawler -----------------------------------------------------------------------------


class Links(HTMLParser):
    """The URLs a page points to: a/link/area href, and GET forms with each of their choices."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link", "area") and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action") or "", "fields": []}
            if method != "get":
                self._form = None
        elif self._form is not None and attrs.get("name"):
            if tag == "select":
                self._select = (attrs["name"], [])
                self._form["fields"].append(self._select)
            elif tag == "textarea":
                self._form["fields"].append((attrs["name"], [""]))
            elif tag == "input" and attrs.get("type", "text") not in {"submit", "button", "reset"}:
                self._form["fields"].append((attrs["name"], [attrs.get("value") or ""]))
        elif tag == "option" and self._select is not None:
            self._select[1].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.urls.extend(form_submissions(self._form))
            self._form = None


def form_submissions(form):
    """The form sent as it stands, then once per choice of each of its selects."""
    defaults = {name: values[0] if values else "" for name, values in form["fields"]}
    action = form["action"]
    urls = [f"{action}?{urlencode(defaults)}"]
    for name, values in form["fields"]:
        urls += [f"{action}?{urlencode({**defaults, name: value})}" for value in values[1:]]
    return urls


def body_of(response):
    if response.streaming:
        content = b"".join(response.streaming_content)
        response.close()
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def links_in(response, body):
    if 300 <= response.status_code < 400 and response.has_header("Location"):
        return [response["Location"]]
    content_type = response.get("Content-Type", "")
    if "html" in content_type:
        parser = Links()
        parser.feed(body)
        parser.close()
        return parser.urls
    if "xml" in content_type:  # the sitemap (and any feed): every <loc> and <link>
        return [html.unescape(u) for u in re.findall(r"<(?:loc|link)>\s*(.*?)\s*</", body)]
    if "text/plain" in content_type:  # robots.txt: its sitemap and the paths it names
        return re.findall(r"https?://\S+", body) + re.findall(
            r"^(?:Allow|Disallow):\s*(\S+)", body, flags=re.MULTILINE
        )
    return []


def same_site(base, link):
    """The path and query of a link on this site that the crawl follows, or None."""
    parts = urlsplit(urljoin(f"http://testserver{base}", link.strip()))
    if parts.scheme not in ("http", "https") or parts.netloc not in SAME_SITE_HOSTS:
        return None  # mailto:, tel:, hospitals' own websites
    path = parts.path or "/"
    if path.startswith(SKIPPED_PREFIXES):
        return None
    return f"{path}?{parts.query}" if parts.query else path


class Crawl:
    """What an anonymous visitor reached: status and body of every URL, and the leaks found."""

    def __init__(self, client, people, start=START, limit=MAX_PAGES):
        self.status = {}
        self.bodies = {}
        self.leaks = []
        queue, seen = deque(start), set(start)
        while queue:
            url = queue.popleft()
            assert len(self.status) < limit, f"the crawl passed {limit} URLs; last {url}"
            response = client.get(url)
            body = body_of(response)
            self.status[url] = response.status_code
            self.bodies[url] = body
            self.leaks += leaks_in(url, body, people)
            for link in links_in(response, body):
                target = same_site(url, link)
                if target and target not in seen:
                    seen.add(target)
                    queue.append(target)

    def all_text(self):
        return fold(" ".join(self.bodies.values()))


# --- what counts as personal data ------------------------------------------------------------

PHONE_LIKE = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
TAG = re.compile(r"<[^>]*>")
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def readings(body):
    """The body as a reader (or a script) could read it: raw, unescaped, URL-decoded, without
    tags, JSON escapes decoded; each folded (case, accents and spacing ignored)."""
    unescaped = html.unescape(body)
    decoded = unquote(unescaped)
    texts = [body, unescaped, decoded, TAG.sub(" ", decoded)]
    texts.append(JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), decoded))
    return [fold(text) for text in texts]


def phone_digits_in(body):
    """Digits of every phone-like run (digits with spaces, dots, dashes, brackets or slashes)."""
    decoded = unquote(html.unescape(body))
    runs = PHONE_LIKE.findall(decoded) + PHONE_LIKE.findall(TAG.sub(" ", decoded))
    return [re.sub(r"\D", "", run) for run in runs]


def leaks_in(url, body, people):
    """(url, kind, value) for each email, phone or full name of `people` found in `body`."""
    texts = readings(body)
    digit_runs = phone_digits_in(body)
    found = []
    for person in people:
        email = person.email.casefold()
        if any(email in text or email.split("@")[0] in text for text in texts):
            found.append((url, "email", person.email))
        digits = re.sub(r"\D", "", person.phone)
        # Written in full, or nationally (without the country code): the last 8 digits.
        if digits and any(digits in run or digits[-8:] in run for run in digit_runs):
            found.append((url, "phone", person.phone))
        first, last = fold(person.first_name), fold(person.last_name)
        names = [f"{first} {last}", f"{last} {first}", f"{last}, {first}"]
        if any(name in text for name in names for text in texts):
            found.append((url, "name", person.full_name))
    return found


# --- the site --------------------------------------------------------------------------------


def hospital(name, city, code, **fields):
    return Hospital.objects.create(
        name=name, city=city, country=Country.objects.get(code=code), **fields
    )


def clinician(first, last, email, phone, hospital=None, status="approved", **fields):
    return Clinician.objects.create(
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        hospital=hospital,
        status=status,
        **fields,
    )


@pytest.fixture
def people(home_page, package_page, privacy_page):
    """Hospitals in several countries (Luxembourg has one only) and clinicians in every status."""
    erasme = hospital("Hôpital Érasme", "Brussels", "BE", website="https://erasme.example.eu")
    athens = hospital("Ευαγγελισμός", "Αθήνα", "GR")
    lodz = hospital("Szpital im. Kopernika", "Łódź", "PL")
    luxembourg = hospital("Centre Hospitalier de Luxembourg", "Luxembourg", "LU")
    closed = hospital("Closed clinic", "Ghent", "BE", taking_part=False)
    belgium = Country.objects.get(code="BE")
    # Enough Belgian hospitals for /hospitals/ to have a second page, with and without a filter.
    Hospital.objects.bulk_create(
        Hospital(
            name=f"Filler hospital {n:03d}",
            city="Liège",
            country=belgium,
            match_name=f"filler hospital {n:03d}",
            match_city="liège",
        )
        for n in range(HOSPITALS_PER_PAGE + 10)
    )
    found = [
        clinician(
            "Xanthippe",
            "Quillfeather",
            "xanthippe.quillfeather@erasme-leakcheck.example.eu",
            "+32 2 555 73 91",
            erasme,
            specialty="Infectious diseases",
        ),
        clinician(
            "Ευρυδίκη",
            "Ζαχαροπούλου",
            "evrydiki.zacharopoulou@athens-leakcheck.example.eu",
            "+30 697 314 2718",
            athens,
            role=Clinician.Role.CONTACT_PERSON,
        ),
        clinician(
            "Bożydar",
            "Wróblewski",
            "bozydar.wroblewski@lodz-leakcheck.example.eu",
            "+48 42 639 58 17",
            lodz,
        ),
        # The only hospital of its country: the country filter names one hospital.
        clinician(
            "Ottilie",
            "Wreckenridge",
            "ottilie.wreckenridge@chl-leakcheck.example.eu",
            "+352 4411 8265",
            luxembourg,
            role=Clinician.Role.CONTACT_PERSON,
        ),
        clinician(
            "Peregrine",
            "Ashcombe",
            "peregrine.ashcombe@closed-leakcheck.example.eu",
            "+32 9 332 47 06",
            closed,
            status=Clinician.Status.AWAITING,
        ),
        clinician(
            "Isolde",
            "Brackwater",
            "isolde.brackwater@nowhere-leakcheck.example.eu",
            "+44 20 7946 1283",
            status=Clinician.Status.UNCONFIRMED,
        ),
        clinician(
            "Leopold",
            "Fenwickstone",
            "leopold.fenwickstone@athens-leakcheck.example.eu",
            "+30 210 746 9352",
            athens,
            status=Clinician.Status.SUSPENDED,
        ),
    ]
    member = get_user_model().objects.create_user("member", found[2].email)
    found[2].user = member
    found[2].save()
    # Staff notes are not shown in public; they name a person here to make sure of it.
    erasme.staff_notes = f"Ask {found[0].full_name} ({found[0].email}, {found[0].phone})."
    erasme.save()
    return found


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_crawl_of_the_public_site_finds_no_personal_data(client, people):
    crawl = Crawl(client, people)

    assert crawl.leaks == []
    # The crawl really went through the site.
    for url in [*START, "/information-package/", "/information-package/privacy-statement/"]:
        assert crawl.status.get(url) == 200, (url, crawl.status.get(url))
    for code in Country.objects.values_list("code", flat=True):
        # The hospital list's form as it stands: an empty search, each country.
        assert crawl.status.get(f"/hospitals/?q=&country={code}") == 200, code
    assert crawl.status.get("/hospitals/?page=2") == 200
    assert crawl.status.get("/hospitals/?country=BE&page=2") == 200
    sitemap_paths = {
        urlsplit(html.unescape(loc)).path
        for loc in re.findall(r"<loc>\s*(.*?)\s*</loc>", crawl.bodies["/sitemap.xml"])
    }
    pages = {"/", "/information-package/", "/information-package/privacy-statement/"}
    assert pages <= sitemap_paths
    assert sitemap_paths <= set(crawl.status)
    assert crawl.status.get("/directory/") == 302  # named by robots.txt and /hospitals/
    # It saw the public content: every hospital taking part, including the only one in Luxembourg.
    text = crawl.all_text()
    for name in Hospital.objects.filter(taking_part=True).values_list("name", flat=True):
        assert fold(name) in text, name
    assert fold("Centre Hospitalier de Luxembourg") in fold(
        crawl.bodies["/hospitals/?q=&country=LU"]
    )


@pytest.mark.django_db
def test_the_crawl_reports_a_leak(client, people, package_page, make_standard_page):
    """The control: personal data put in a published page is found, whichever way it is written."""
    xanthippe, evrydiki, _, ottilie, *_ = people
    make_standard_page(
        package_page,
        "Who to call",
        slug="who-to-call",
        body=[
            {
                "type": "paragraph",
                "value": (
                    f'<p>Write to <a href="mailto:{xanthippe.email.upper()}">our colleague</a>, '
                    f"call 0030-697-314-27-18 or ask DR {ottilie.first_name.upper()} "
                    f"<b>{ottilie.last_name}</b>.</p>"
                ),
            }
        ],
    )

    crawl = Crawl(client, people)

    page = "/information-package/who-to-call/"
    assert crawl.status.get(page) == 200
    assert {kind for url, kind, _ in crawl.leaks if url == page} == {"email", "phone", "name"}
    assert {(kind, value) for url, kind, value in crawl.leaks if url == page} == {
        ("email", xanthippe.email),
        ("phone", evrydiki.phone),
        ("name", ottilie.full_name),
    }
    # Only the planted page leaks, and the package's printable page and PDF, which hold every
    # page of the package whole; the listing of the package shows the title, not the body.
    assert {url for url, _, _ in crawl.leaks} == {
        page,
        "/information-package/print/",
        "/information-package/pdf/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/snippets/directory/clinician/", "/admin/login/"]
)
def test_admin_sends_anonymous_visitors_to_sign_in_without_data(client, people, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert leaks_in(url, body_of(response), people) == []
    sign_in = client.get(response["Location"])
    assert sign_in.status_code == 200
    assert leaks_in(response["Location"], body_of(sign_in), people) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/directory/",
        "/directory/?q=quillfeather",
        "/directory/?country=LU",
        "/account/",
        "/account/download/",
    ],
)
def test_directory_and_account_send_anonymous_visitors_to_sign_in(client, people, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert leaks_in(url, body_of(response), people) == []
    sign_in = client.get(response["Location"])
    assert sign_in.status_code == 200
    assert leaks_in(response["Location"], body_of(sign_in), people) == []
