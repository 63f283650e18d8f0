"""Drop cached public pages (/hospitals/, the enrolment combobox's answers) when a hospital or
a country changes. After commit: a page rendered before the change is committed would
otherwise be stored again with the old list."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from home.pagecache import invalidate_public_pages


def hospitals_changed(**kwargs):
    """Signal receiver; also for code that writes hospitals without signals (bulk_create)."""
    transaction.on_commit(invalidate_public_pages)


def connect():
    from directory.models import Country, Hospital

    for model in (Hospital, Country):
        post_save.connect(
            hospitals_changed, sender=model, dispatch_uid=f"cmss-pagecache-save-{model.__name__}"
        )
        post_delete.connect(
            hospitals_changed, sender=model, dispatch_uid=f"cmss-pagecache-del-{model.__name__}"
        )
