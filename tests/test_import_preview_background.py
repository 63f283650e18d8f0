"""The import preview's dry run runs in the task worker, not in the upload request (issue 8,
point 6): the upload stores the file and queues the check; the preview page says "Checking the
file…" and refreshes itself until the report is ready, shows a failure plainly, says so when no
worker answers, and is only ever the uploader's."""

import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from directory.models import Clinician, DirectoryImportRun, Hospital
from directory.services import import_reading, import_runs
from tests.task_support import DATABASE_TASKS, keep_test_connection, run_worker

from .test_directory_import_admin import GOOD, token_of
from .test_pages import outline

HEADER = "country,hospital,city,website\n"


@pytest.fixture
def helpdesk(client, make_staff, settings, tmp_path, monkeypatch):
    settings.DIRECTORY_IMPORT_DIR = tmp_path / "imports"
    settings.TASKS = DATABASE_TASKS
    keep_test_connection(monkeypatch)
    client.force_login(make_staff("hd", "Helpdesk"))
    return client


def post_upload(client, text, name="directory.csv"):
    return client.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
    )


@pytest.mark.django_db
def test_the_upload_request_reads_no_row_and_queues_the_check(helpdesk, monkeypatch):
    records_read = []
    csv_records = import_reading._csv_records

    def counting(file, filename):
        for record in csv_records(file, filename):
            records_read.append(record)
            yield record

    monkeypatch.setattr(import_reading, "_csv_records", counting)
    response = post_upload(helpdesk, GOOD)
    assert response.status_code == 302
    assert records_read == []  # not even the header: the rows are the worker's
    assert DBTaskResult.objects.filter(backend_name="background", queue_name="default").count() == 1
    assert Hospital.objects.count() == 0

    run_worker()
    assert records_read  # the worker read them
    preview = helpdesk.get(response["Location"])
    assert "2 created" in " ".join(outline(preview).text)
    assert token_of(preview)


def token_in(location):
    return parse_qs(urlsplit(location).query)["token"][0]


def refresh_of(page):
    return page.find("meta", **{"http-equiv": "refresh"})


@pytest.mark.django_db
def test_the_preview_page_refreshes_itself_while_the_file_is_checked(helpdesk):
    location = post_upload(helpdesk, GOOD)["Location"]
    page = outline(helpdesk.get(location))
    assert "Checking the file…" in page.text
    assert refresh_of(page)  # a meta refresh: no script, as the import's progress page
    assert not page.find("button", type="submit")  # nothing to import yet

    run_worker()
    ready = outline(helpdesk.get(location))
    assert "Checking the file…" not in ready.text and not refresh_of(ready)
    assert ready.find("form", id="import-form")


@pytest.mark.django_db
def test_the_report_after_the_worker_ran_pages_errors_and_imports(
    helpdesk, tmp_path, django_capture_on_commit_callbacks
):
    rows = "".join(f"DE,Klinik {n:03d},Berlin,klinik{n}.example.de\n" for n in range(150))
    location = post_upload(helpdesk, HEADER + rows + "Atlantis,Nowhere,Nowhere,\n")["Location"]
    run_worker()
    stored = [p for p in (tmp_path / "imports").iterdir() if p.suffix == ".csv"]
    assert len(stored) == 1 and (tmp_path / "imports" / f"{stored[0].name}.report.jsonl").exists()

    first = helpdesk.get(location)
    assert "<td>152</td><td>country</td>" in first.content.decode()  # the error, by row and column
    second = outline(helpdesk.get(location + "&p=2"))
    assert "Klinik 149, Berlin (DE)" in second.text and "Klinik 000, Berlin (DE)" not in second.text

    token = token_of(first)
    refused = helpdesk.post(reverse("directory_import"), {"token": token})
    assert refused.status_code == 200 and "1 row has an error" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = helpdesk.post(reverse("directory_import"), {"token": token, "skip_invalid": "on"})
    assert done.status_code == 302
    run_worker()
    assert DirectoryImportRun.objects.get().status == "done"
    assert Hospital.objects.count() == 150
    # The run took the file; the preview's report went with it.
    assert list((tmp_path / "imports").iterdir()) == []


@pytest.mark.django_db
def test_a_file_the_check_refuses_is_shown_plainly_and_nothing_is_kept(
    helpdesk, settings, tmp_path
):
    settings.DIRECTORY_IMPORT_MAX_ROWS = 3
    location = post_upload(helpdesk, HEADER + "DE,A,B,\n" * 4)["Location"]  # cheap checks pass
    run_worker()
    page = outline(helpdesk.get(location))
    assert "This file cannot be imported" in page.text
    assert any("more than 3 rows" in t and "Nothing was written" in t for t in page.text)
    assert not refresh_of(page) and not page.find("form", id="import-form")
    kept = sorted(p.name for p in (tmp_path / "imports").iterdir())
    assert len(kept) == 1 and kept[0].endswith(".report.jsonl")  # the upload is gone
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
def test_an_unexpected_error_in_the_check_is_plain_and_can_be_checked_again(
    helpdesk, monkeypatch, tmp_path
):
    location = post_upload(helpdesk, GOOD)["Location"]

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_runs, "run_import", broken)
    run_worker()  # the task fails (its error is in the log); its report says so
    page = outline(helpdesk.get(location))
    assert "This file cannot be imported" in page.text
    assert any("unexpected error" in t for t in page.text) and "disk on fire" not in page.text
    assert not refresh_of(page)

    monkeypatch.undo()
    keep_test_connection(monkeypatch)
    token = token_in(location)
    again = helpdesk.post(reverse("directory_import"), {"token": token, "check_again": "1"})
    assert again.status_code == 302
    assert "Checking the file…" in outline(helpdesk.get(location)).text
    run_worker()
    assert "2 created" in " ".join(outline(helpdesk.get(location)).text)
    assert Clinician.objects.count() == 0


@pytest.mark.django_db
def test_a_check_that_never_answers_says_so_and_can_be_checked_again(helpdesk, tmp_path):
    location = post_upload(helpdesk, GOOD)["Location"]
    DBTaskResult.objects.all().delete()  # the worker never takes it
    (stored,) = (tmp_path / "imports").iterdir()
    an_hour_ago = time.time() - 3600
    os.utime(stored, (an_hour_ago, an_hour_ago))

    page = outline(helpdesk.get(location))
    assert "The check of the file has not finished" in page.text
    assert not refresh_of(page)  # no page that spins forever
    assert "Check the file again" in page.text

    token = token_in(location)
    helpdesk.post(reverse("directory_import"), {"token": token, "check_again": "1"})
    assert DBTaskResult.objects.count() == 1  # queued again
    assert refresh_of(outline(helpdesk.get(location)))  # fresh: checking again
    run_worker()
    assert "2 created" in " ".join(outline(helpdesk.get(location)).text)


@pytest.mark.django_db
def test_check_again_is_refused_while_a_check_is_under_way(helpdesk):
    location = post_upload(helpdesk, GOOD)["Location"]
    token = token_in(location)
    helpdesk.post(reverse("directory_import"), {"token": token, "check_again": "1"})
    assert DBTaskResult.objects.count() == 1  # not queued twice


@pytest.mark.django_db
def test_another_staff_members_token_reads_no_report(helpdesk, make_staff, client):
    location = post_upload(helpdesk, GOOD)["Location"]
    run_worker()
    token = token_in(location)
    client.force_login(make_staff("other", "Helpdesk"))
    for response in (
        client.get(location),
        client.get(location + "&p=1"),
        client.post(reverse("directory_import"), {"token": token, "check_again": "1"}),
        client.post(reverse("directory_import"), {"token": token}),
    ):
        assert response.status_code == 302 and response["Location"] == reverse("directory_import")
    assert DBTaskResult.objects.count() == 1  # the uploader's check only; nothing queued again
    assert DirectoryImportRun.objects.count() == 0
    # A forged token names no file either.
    forged = helpdesk.get(location[:-2] + "xx")
    assert forged.status_code == 302 and forged["Location"] == reverse("directory_import")
