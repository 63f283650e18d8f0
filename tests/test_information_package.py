"""The information package by version: what it holds, when its version changes, the printable
page and the PDF (issue 12, points 3 and 9)."""

import re
import zlib

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.models import PageViewRestriction

from home import package_pdf
from home.models import InformationPackageDocument
from home.services import package as package_service
from tests.conftest import publish


@pytest.fixture
def package(package_page, privacy_page, make_standard_page, make_document):
    make_standard_page(
        package_page,
        "Procedures",
        summary="How a case conference runs.",
        body=[
            {
                "type": "paragraph",
                "value": '<p>See <a href="/enrol/">enrol</a>. Zażółć ŁÓDŹ Ελλάδα.</p>',
            }
        ],
    )
    offline = make_standard_page(package_page, "Online only")
    offline.in_package = False
    publish(offline)
    members = make_standard_page(package_page, "For members")
    PageViewRestriction.objects.create(page=members, restriction_type="login")
    document = make_document("Signed procedure")
    package_page.package_documents.add(
        InformationPackageDocument(document=document, description="As signed.")
    )
    publish(package_page)
    return package_page


def titles(package_page):
    return [page.title for page in package_service.contents(package_page).pages]


def test_the_package_is_the_public_live_pages_marked_in_it_and_its_documents(package):
    held = package_service.contents(package)
    assert [p.title for p in held.pages] == ["Privacy statement", "Procedures"]
    assert [item.document.title for item in held.documents] == ["Signed procedure"]


def test_version_changes_only_when_something_of_the_package_is_published_anew(
    package, make_standard_page, make_document
):
    first = package_service.current_version(package)
    assert first.number == 1
    procedures = package.get_children().get(slug="procedures").specific
    # A draft, a view, another ask: the same version.
    procedures.title = "Procedures (draft)"
    procedures.save_revision()
    package_service.current_version(package)
    assert package_service.current_version(package).pk == first.pk
    # Published anew: the next version.
    publish(procedures)
    second = package_service.current_version(package)
    assert second.number == 2
    assert "Procedures (draft)" in second.contents
    # A page outside the package published: no change.
    publish(package.get_children().get(slug="online-only").specific)
    assert package_service.current_version(package).pk == second.pk
    # A new document in the package: the next version.
    package.package_documents.add(InformationPackageDocument(document=make_document("Webex guide")))
    publish(package)
    assert package_service.current_version(package).number == 3


def test_publishing_records_the_new_version_when_it_commits(
    package, django_capture_on_commit_callbacks
):
    package_service.current_version(package)
    procedures = package.get_children().get(slug="procedures").specific
    with django_capture_on_commit_callbacks(execute=True):
        publish(procedures)
    assert package.versions.count() == 2


def test_printable_page_holds_the_whole_package(client, package):
    response = client.get("/information-package/print/")
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    assert html.find("h1").get_text() == "Information package"
    pages = [a.find("h2").get_text() for a in html.select("article.package-print__page")]
    assert pages == ["Privacy statement", "Procedures"]
    assert "Version 1 of" in html.select_one(".version-note").get_text()
    assert html.select_one(".document-list a")["href"].startswith("/documents/")
    print_css = html.select_one('link[media="print"]')
    assert print_css["href"].endswith("css/print.css")
    assert html.select_one('a[href="/information-package/pdf/"]') is not None


def pdf_object(text, number):
    return re.search(rf"(?s)\b{number} 0 obj(.*?)endobj", text).group(1)


def pdf_info(data):
    """The document's /Title (in its Info dictionary) and /Lang (in its catalogue), as written:
    fpdf2 writes both uncompressed."""
    text = data.decode("latin-1")
    info = pdf_object(text, re.search(r"/Info (\d+) 0 R", text).group(1))
    catalog = next(
        body for body in re.findall(r"(?s)\d+ 0 obj(.*?)endobj", text) if "/Type /Catalog" in body
    )
    string = r"(\(.*?\)|<[0-9A-Fa-f]+>)"
    return re.search(rf"/Title\s*{string}", info), re.search(rf"/Lang\s*{string}", catalog)


def decode_pdf_string(token):
    if token.startswith("<"):
        raw = bytes.fromhex(token[1:-1])
        return (
            raw.decode("utf-16") if raw[:2] in (b"\xfe\xff", b"\xff\xfe") else raw.decode("latin-1")
        )
    raw = token[1:-1].encode("latin-1")
    if raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("latin-1")


def test_pdf_has_title_and_language(client, package):
    response = client.get("/information-package/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="cmss-information-package-v1.pdf"' in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"%PDF-")
    title, lang = pdf_info(data)
    assert title and lang
    assert decode_pdf_string(title.group(1)).startswith("Information package – Version 1 of")
    assert decode_pdf_string(lang.group(1)) == "en"


def test_pdf_is_built_once_per_version_and_again_for_a_new_one(package, monkeypatch):
    built = []
    real = package_pdf.build_package_pdf

    def counting(held, version):
        built.append(version.number)
        return real(held, version)

    monkeypatch.setattr(package_pdf, "build_package_pdf", counting)
    first = package_service.package_pdf(package)[1]
    assert package_service.package_pdf(package)[1] == first
    assert built == [1]
    publish(package.get_children().get(slug="procedures").specific)
    package_service.package_pdf(package)
    assert built == [1, 2]


def page_texts(data):
    """The text drawing operators of every content stream, inflated."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return b"\n".join(out)


def test_pdf_without_dejavu_falls_back_to_the_built_in_font(package, settings, tmp_path):
    settings.CMSS_PDF_FONT_DIR = str(tmp_path)  # no fonts here, as on a bare machine
    assert not package_pdf.unicode_font_available()
    version, data = package_service.package_pdf(package)
    assert data.startswith(b"%PDF-")
    assert b"/Helvetica" in data
    # Polish letters without their accents where Latin-1 has none; Greek as "?"
    assert b"Zaz\xf3?c ?\xd3DZ ??????" in page_texts(data)


def test_pdf_with_dejavu_embeds_it(package):
    if not package_pdf.unicode_font_available():
        pytest.skip("DejaVu fonts are not installed (apt-get install fonts-dejavu-core)")
    _, data = package_service.package_pdf(package)
    assert b"DejaVu" in data and b"/Helvetica" not in data


def test_reduced_html_keeps_text_and_links_and_drops_images_and_scripts():
    html = (
        '<p class="x">A <strong>b</strong> <a href="/enrol/" onclick="x()">enrol</a>'
        '<img src="http://169.254.169.254/x.png" alt="y"><script>alert(1)</script></p>'
    )
    reduced = package_pdf.reduce_html(html)
    assert re.fullmatch(r'<p>A <b>b</b> <a href="https?://[^"/]+/enrol/">enrol</a></p>', reduced)
    assert "script" not in reduced and "169.254" not in reduced


def test_members_only_page_stays_out_of_the_public_package(package, client):
    response = client.get("/information-package/print/")
    assert response.status_code == 200
    assert b"For members" not in response.content


# --- sending it -------------------------------------------------------------------------------


@pytest.fixture
def members(db, django_user_model):
    from directory.models import Clinician

    def make(name, **fields):
        return Clinician.objects.create(
            first_name=name,
            last_name="Member",
            email=f"{name.lower()}@example.eu",
            status=fields.pop("status", Clinician.Status.APPROVED),
            **fields,
        )

    return make


def package_mails():
    from django.core import mail as django_mail

    return [m for m in django_mail.outbox if "information package" in m.subject]


def test_approval_sends_the_package_once_per_version(
    package, members, make_staff, django_capture_on_commit_callbacks
):
    from directory.models import Clinician, PackageDelivery
    from directory.services.approval import approve_clinician, suspend_clinician

    helpdesk = make_staff("help", "Helpdesk")
    clinician = members("Ana", status=Clinician.Status.AWAITING)
    with django_capture_on_commit_callbacks(execute=True):
        approve_clinician(clinician, helpdesk)
    sent = package_mails()
    assert [m.to for m in sent] == [["ana@example.eu"]]
    names = [name for name, _, _ in sent[0].attachments]
    assert names[0] == "cmss-information-package-v1.pdf"
    assert names[1].startswith("signed-procedure") and len(names) == 2
    delivery = PackageDelivery.objects.get()
    assert (delivery.clinician, delivery.version.number, delivery.reason) == (
        clinician,
        1,
        "approval",
    )
    # Suspended and approved again: the same version is not sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        suspend_clinician(clinician, helpdesk)
        approve_clinician(clinician, helpdesk)
    assert len(package_mails()) == 1


def test_documents_above_the_size_limit_are_linked(package, members, settings):
    from directory.services import package_mail

    settings.CMSS_PACKAGE_ATTACHMENT_MAX_BYTES = 10  # smaller than any file
    clinician = members("Ben")
    package_mail.send_to_clinician(clinician.pk)
    message = package_mail.deliveries(clinician).get().message
    assert message.attachments == []
    assert "/documents/" in message.body_text and "Signed procedure" in message.body_text
    assert "/information-package/pdf/" in message.body_text


def test_helpdesk_sends_the_package_to_the_list_once(
    client, package, members, make_staff, django_capture_on_commit_callbacks
):
    from wagtail.models import ModelLogEntry, PageLogEntry

    from directory.models import Clinician, PackageDelivery

    members("Ana")
    members("Ben")
    members("Cem", mailing_opt_out=True)
    members("Dan", status=Clinician.Status.AWAITING)
    client.force_login(make_staff("help", "Helpdesk"))
    url = reverse("package_send_to_list")
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in package_mails()) == ["ana@example.eu", "ben@example.eu"]
    assert "List-Unsubscribe" in package_mails()[0].extra_headers
    entry = PageLogEntry.objects.get(action="cmss.package.send_to_list")
    assert entry.data["version"] == 1
    assert not ModelLogEntry.objects.filter(action="cmss.package.send_to_list").exists()
    # Sent again: nobody gets the same version twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(package_mails()) == 2
    assert PackageDelivery.objects.count() == 2
    # The helpdesk sees who got which version, per clinician.
    ana = Clinician.objects.get(first_name="Ana")
    page = client.get(reverse("package_overview"), {"clinician": ana.pk})
    rows = BeautifulSoup(page.content, "html.parser").select("table.listing tbody tr")
    assert len(rows) == 1 and "ana@example.eu" in rows[0].get_text()
    assert "Version 1 of" in rows[0].get_text()


def test_only_the_helpdesk_may_send_the_package(client, package, members, make_staff):
    from wagtail.models import PageLogEntry

    members("Ana")
    client.force_login(make_staff("ed", "Editors"))
    # Wagtail's admin answers a refusal by sending the user to the dashboard with a message.
    for response in (
        client.post(reverse("package_send_to_list")),
        client.get(reverse("package_overview")),
    ):
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert package_mails() == []
    assert not PageLogEntry.objects.filter(action="cmss.package.send_to_list").exists()


def test_deliveries_are_in_a_clinicians_data_and_erased_with_it(package, members):
    from directory.models import PackageDelivery
    from directory.services import package_mail
    from directory.services.personal_data import collect_own_data, erase_clinician

    clinician = members("Eva")
    package_mail.send_to_clinician(clinician.pk)
    data = collect_own_data(clinician)
    assert [row["version"] for row in data["information package sent to you"]] == [
        package_service.current_version(package).label
    ]
    erase_clinician(clinician)
    assert not PackageDelivery.objects.filter(email="eva@example.eu").exists()
