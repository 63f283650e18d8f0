"""The import at the helpdesk's pace: a paged preview that opens with a summary, the import run as a
background task (directory/tasks.py, directory/services/import_runs.py) and its progress page."""

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, DirectoryImportRun, Hospital
from directory.services import import_matching, import_runs, imports
from directory.services.access import national_contact_point_group_name

from .test_directory_import_admin import BAD_ROW, GOOD, token_of
from .test_pages import outline

HEADER = "country,hospital,city,website\n"


@pytest.fixture
def helpdesk(client, make_staff, settings, tmp_path):
    settings.DIRECTORY_IMPORT_DIR = tmp_path / "imports"
    client.force_login(make_staff("hd", "Helpdesk"))
    return client


def upload(client, text, name="directory.csv"):
    response = client.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
    )
    assert response.status_code == 302  # to the preview: a reload does not upload again
    return response["Location"]


def many_hospitals(count):
    lines = [f"DE,Klinik {n:04d},Berlin,klinik{n}.example.de" for n in range(count)]
    return HEADER + "\n".join(lines) + "\nDE,Klinik warn,Berlin,in constructie\n"


def headings(response):
    """The text of the page's h3 headings, in order."""

    class Headings(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found, self.inside = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "h3":
                self.inside = True
                self.found.append("")

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "h3"

        def handle_data(self, data):
            if self.inside:
                self.found[-1] += data

    parser = Headings()
    parser.feed(response.content.decode())
    return [" ".join(text.split()) for text in parser.found]


# The preview --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_opens_with_summary_then_errors_then_warnings_then_rows(helpdesk):
    location = upload(helpdesk, HEADER + "DE,Charité,Berlin,in constructie\nAtlantis,X,Y,\n")
    response = helpdesk.get(location)
    page = outline(response)

    assert headings(response)[:3] == ["Summary", "Errors (1): these rows cannot be imported",
                                  "Warnings (1): imported as described"]  # fmt: skip
    assert headings(response)[3] == "Rows 1 to 2 of 2"
    cells = page.text[page.text.index("Hospitals new") :][:14]
    summary = dict(zip(cells[::2], cells[1::2], strict=True))
    assert summary == {
        "Hospitals new": "1",
        "Hospitals changed": "0",
        "Hospitals unchanged": "0",
        "People new": "0",
        "People changed": "0",
        "Rows with errors": "1",
        "Warnings": "1",
    }
    # Import above and below: one form, two buttons.
    assert page.find("form", id="import-form")
    assert len(page.find("button", type="submit", form="import-form")) == 1
    assert len(page.find("button", type="submit")) == 2


@pytest.mark.django_db
def test_rows_come_100_a_page_and_paging_keeps_the_upload_token(
    helpdesk, django_assert_max_num_queries
):
    location = upload(helpdesk, many_hospitals(250))
    response = helpdesk.get(location)
    first = outline(response)
    assert headings(response)[-1] == "Rows 1 to 100 of 251"
    page_links = [link for link in first.links if link and "p=2" in link]
    assert page_links and all("token=" in link for link in page_links)

    # The report is stored beside the upload: paging does not read the file or the directory.
    with django_assert_max_num_queries(12):
        response = helpdesk.get(location + "&p=3")
    assert headings(response)[-1] == "Rows 201 to 251 of 251"
    assert "Klinik warn, Berlin (DE)" in outline(response).text


@pytest.mark.django_db
def test_a_preview_is_not_shown_to_someone_else(helpdesk, make_staff, client):
    location = upload(helpdesk, GOOD)
    client.force_login(make_staff("other", "Helpdesk"))
    response = client.get(location)
    assert response.status_code == 302 and response["Location"] == reverse("directory_import")


# The run ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_runs_as_a_task_after_commit_and_ends_on_the_list_it_changed(
    helpdesk, django_capture_on_commit_callbacks
):
    location = upload(helpdesk, GOOD)
    token = token_of(helpdesk.get(location))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = helpdesk.post(reverse("directory_import"), {"token": token})
    run = DirectoryImportRun.objects.get()
    assert response["Location"] == reverse("directory_import_run", args=[run.pk])
    assert run.status == "queued" and not Hospital.objects.exists()  # queued, not yet run

    # While queued, the page refreshes itself and says so to a screen reader.
    waiting = outline(helpdesk.get(response["Location"]))
    assert waiting.find("meta", **{"http-equiv": "refresh", "content": "2"})
    assert waiting.find("div", role="status", **{"aria-live": "polite"})
    assert waiting.find("progress")
    assert "Waiting to start" in waiting.text

    [callback] = callbacks
    callback()  # the commit: the task runs (the test backend is immediate)
    run.refresh_from_db()
    assert run.status == "done" and run.rows_done == run.rows_total == 2
    assert run.counts["clinicians"]["created"] == 2
    assert Clinician.objects.count() == 2
    assert not import_runs.stored_path(run).exists()  # no personal data left lying about
    assert ModelLogEntry.objects.filter(action="cmss.directory_import").count() == 1

    done = outline(helpdesk.get(response["Location"]))
    assert not done.find("meta", **{"http-equiv": "refresh"})
    assert not done.find("progress")
    assert "Imported" in done.text
    assert reverse(Clinician.snippet_viewset.get_url_name("list")) in done.links


@pytest.mark.django_db
def test_a_failed_run_shows_why_wrote_nothing_and_can_start_again_from_its_file(
    helpdesk, django_capture_on_commit_callbacks, tmp_path
):
    location = upload(helpdesk, BAD_ROW)
    token = token_of(helpdesk.get(location))
    for report in (tmp_path / "imports").glob("*.report.jsonl"):
        report.unlink()  # the preview's report is lost: the run itself finds the bad row
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(reverse("directory_import"), {"token": token})
    run = DirectoryImportRun.objects.get()
    assert run.status == "failed" and not Hospital.objects.exists()

    failed = outline(helpdesk.get(response["Location"]))
    assert "The import failed: nothing was written" in failed.text
    assert any("1 row has an error, so nothing was written" in t for t in failed.text)
    assert not failed.find("meta", **{"http-equiv": "refresh"})
    assert "Start this import again" in failed.text

    with django_capture_on_commit_callbacks(execute=True):
        again = helpdesk.post(response["Location"], {"skip_invalid": "on"})
    assert again.status_code == 302
    run.refresh_from_db()
    assert run.status == "done" and run.skip_invalid
    assert Hospital.objects.count() == 2


@pytest.mark.django_db
def test_only_a_failed_run_starts_again(helpdesk, django_capture_on_commit_callbacks):
    location = upload(helpdesk, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(reverse("directory_import"), {"token": token_of(helpdesk.get(location))})
    run = DirectoryImportRun.objects.get()
    with pytest.raises(import_runs.ImportRunNotRestartable):
        import_runs.restart_import_run(run)


@pytest.mark.django_db
def test_the_task_may_run_twice(helpdesk, tmp_path):
    stored = import_runs.import_dir() / "twice.csv"
    stored.write_text(HEADER + "DE,Charité,Berlin,\n")
    run = DirectoryImportRun.objects.create(filename="twice.csv", stored_name="twice.csv")
    assert import_runs.perform_import_run(run.pk) == "done"
    assert import_runs.perform_import_run(run.pk) is None  # taken already: left alone
    assert Hospital.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_progress_is_saved_outside_any_transaction_and_the_write_is_one(settings, tmp_path):
    """What keeps SQLite's write lock short: progress in its own autocommit updates while the rows
    are checked, then one transaction for the whole write."""
    settings.DIRECTORY_IMPORT_DIR = tmp_path
    # An earlier transactional test may have flushed the countries the migrations put in.
    Country.objects.get_or_create(
        code="DE", defaults={"name": "Germany", "time_zone": "Europe/Berlin", "membership": "EU"}
    )
    (tmp_path / "big.csv").write_text(many_hospitals(30))
    run = DirectoryImportRun.objects.create(filename="big.csv", stored_name="big.csv")
    seen = []
    original = imports._write

    def write(plan):
        seen.append(("write", connection.in_atomic_block))
        return original(plan)

    def checked(done, total):
        seen.append(("progress", connection.in_atomic_block))
        DirectoryImportRun.objects.filter(pk=run.pk).update(rows_done=done, rows_total=total)

    import_matching.PROGRESS_EVERY, every = 10, import_matching.PROGRESS_EVERY
    imports._write = write
    try:
        imports.run_import(tmp_path / "big.csv", progress=checked)
    finally:
        imports._write, import_matching.PROGRESS_EVERY = original, every
    assert seen == [("progress", False)] * 4 + [("write", True)]
    assert Hospital.objects.count() == 31


# Who may see a run --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_who_may_import_sees_a_run(client, make_staff, settings, tmp_path):
    settings.DIRECTORY_IMPORT_DIR = tmp_path
    run = DirectoryImportRun.objects.create(filename="x.csv", stored_name="x.csv")
    url = reverse("directory_import_run", args=[run.pk])
    belgium = Country.objects.get(code="BE")
    for user in (make_staff("ncp", national_contact_point_group_name(belgium)),
                 make_staff("ed", "Editors")):  # fmt: skip
        client.force_login(user)
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Waiting to start" not in response.content
        client.post(url, {"skip_invalid": "on"})
    client.force_login(make_staff("hd", "Helpdesk"))
    assert b"Waiting to start" in client.get(url).content
    assert client.get(reverse("directory_import_run", args=[run.pk + 1])).status_code == 404


@pytest.mark.django_db
def test_a_run_whose_worker_was_stopped_can_start_again(
    helpdesk, settings, django_capture_on_commit_callbacks
):
    """A worker killed mid-run leaves the run "running" for ever; past the stale limit the page
    says so and offers to start it again. Before the limit it is left alone (control)."""
    settings.DIRECTORY_IMPORT_STALE_MINUTES = 30
    stored = import_runs.import_dir() / "stopped.csv"
    stored.write_text(HEADER + "DE,Charité,Berlin,\n")
    run = DirectoryImportRun.objects.create(
        filename="stopped.csv", stored_name="stopped.csv", status="running"
    )
    url = reverse("directory_import_run", args=[run.pk])

    DirectoryImportRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    recent = outline(helpdesk.get(url))
    assert "Importing" in recent.text and "Start this import again" not in recent.text
    with pytest.raises(import_runs.ImportRunNotRestartable):
        import_runs.restart_import_run(DirectoryImportRun.objects.get(pk=run.pk))

    DirectoryImportRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timezone.timedelta(minutes=31)
    )
    stale = outline(helpdesk.get(url))
    assert "The import stopped before it finished" in stale.text
    assert not stale.find("meta", **{"http-equiv": "refresh"})
    assert "Start this import again" in stale.text
    with django_capture_on_commit_callbacks(execute=True):
        assert helpdesk.post(url, {}).status_code == 302
    run.refresh_from_db()
    assert run.status == "done"
    assert Hospital.objects.filter(name="Charité").count() == 1
