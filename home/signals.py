"""Drop cached public pages whenever something they show changes."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .pagecache import invalidate_public_pages


def hash_document_file(sender, instance, **kwargs):
    """Documents saved other than through Wagtail's forms (imports, the demo loader, scripts)
    get their file's hash too: the download's ETag is made from it."""
    if instance.file:
        instance._set_file_hash()


def connect():
    pre_save.connect(
        hash_document_file, sender=get_document_model(), dispatch_uid="cmss-document-hash"
    )
    uid = "cmss-pagecache-{}-{}"
    for signal in (page_published, page_unpublished, post_page_move, page_slug_changed):
        signal.connect(invalidate_public_pages, dispatch_uid=uid.format(id(signal), "page"))
    from .models import SiteSettings

    # Making a page (or a collection of documents) private, or public again, changes what an
    # anonymous visitor may be given; a redirect changes where a path leads.
    restrictions = (PageViewRestriction, CollectionViewRestriction)
    models = (get_document_model(), get_image_model(), Site, SiteSettings, Redirect, *restrictions)
    for model in models:
        post_save.connect(
            invalidate_public_pages, sender=model, dispatch_uid=uid.format("save", model.__name__)
        )
        post_delete.connect(
            invalidate_public_pages, sender=model, dispatch_uid=uid.format("del", model.__name__)
        )
    # A deleted page disappears from menus and listings without being unpublished first.
    post_delete.connect(
        invalidate_public_pages, sender=Page, dispatch_uid="cmss-pagecache-page-delete"
    )
    for model in restrictions:
        m2m_changed.connect(
            invalidate_public_pages,
            sender=model.groups.through,
            dispatch_uid=f"cmss-pagecache-groups-{model.__name__}",
        )
