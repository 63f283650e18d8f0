"""The information package by version: what it holds, its version, and its PDF.

The package is the information package page (its introduction), its public live children that
are marked "part of the information package", and its documents. Its fingerprint is made from
when each of those was last published (a document: its file's hash) and which they are, so it
changes when one of them is published anew, added or removed, and never otherwise (saving a
draft, viewing, sending). Each new fingerprint gets the next version number
(``InformationPackageVersion``), recorded when the publication commits (``connect``) or, at the
latest, the next time the version is asked for.

The PDF is built once per version and kept in the cache under the version
(``CMSS_PACKAGE_PDF_CACHE_SECONDS``): a new version is a new key, so it is made again.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from home.models import InformationPackagePage, InformationPackageVersion

PDF_CACHE_KEY = "package-pdf:{pk}:{number}:{fingerprint}"


@dataclass
class PackageContents:
    package: InformationPackagePage
    pages: list
    documents: list  # InformationPackageDocument rows, their document selected
    # Read from the database: an instance held since before a publication still has the old one.
    package_published_at: object = None

    @property
    def fingerprint(self):
        held = {
            "package": [self.package.pk, _when(self.package_published_at)],
            "pages": [[page.pk, _when(page.last_published_at)] for page in self.pages],
            "documents": [
                [item.document_id, item.document.file_hash, item.description]
                for item in self.documents
            ],
        }
        return hashlib.sha256(json.dumps(held, sort_keys=True).encode()).hexdigest()

    @property
    def titles(self):
        return [page.title for page in self.pages] + [
            item.document.title for item in self.documents
        ]


def _when(moment):
    return moment.isoformat() if moment else None


def current_package():
    """The live information package page, or None."""
    return InformationPackagePage.objects.live().order_by("path").first()


def contents(package):
    """What the package holds now (``PackageContents``)."""
    pages = [
        page
        for page in package.get_children().live().public().specific().order_by("path")
        if getattr(page, "in_package", False)
    ]
    documents = list(
        package.package_documents.select_related("document").order_by("sort_order", "pk")
    )
    published_at = (
        Page.objects.filter(pk=package.pk).values_list("last_published_at", flat=True).first()
    )
    return PackageContents(package, pages, documents, published_at)


def current_version(package=None, held=None):
    """The package's version for what it holds now, recorded if it is new; None without a live
    package. Raises nothing (two processes recording the same new version agree on one row)."""
    package = package or current_package()
    if package is None:
        return None
    held = held or contents(package)
    fingerprint = held.fingerprint
    for _ in range(3):
        latest = package.versions.order_by("-number").first()
        if latest is not None and latest.fingerprint == fingerprint:
            return latest
        try:
            with transaction.atomic():
                return InformationPackageVersion.objects.create(
                    package=package,
                    number=(latest.number + 1) if latest else 1,
                    fingerprint=fingerprint,
                    contents=held.titles,
                )
        except IntegrityError:
            continue  # another process recorded a version at the same moment: read it
    return package.versions.order_by("-number").first()


def package_pdf(package=None):
    """(version, PDF bytes) of the current version, built once per version; (None, None)
    without a live package."""
    from home.package_pdf import build_package_pdf

    package = package or current_package()
    if package is None:
        return None, None
    held = contents(package)
    version = current_version(package, held)
    key = PDF_CACHE_KEY.format(
        pk=package.pk, number=version.number, fingerprint=version.fingerprint[:16]
    )
    data = cache.get(key)
    if data is None:
        data = build_package_pdf(held, version)
        cache.set(key, data, getattr(settings, "CMSS_PACKAGE_PDF_CACHE_SECONDS", 7 * 86400))
    return version, data


def pdf_filename(version):
    return f"cmss-information-package-v{version.number}.pdf"


# --- recording a new version when something of the package is published --------------------


def _record_after_commit(**kwargs):
    transaction.on_commit(_record_now)


def _record_now():
    package = current_package()
    if package is not None:
        current_version(package)


def connect():
    """Record a new version when a page or document of the package is published, unpublished,
    moved, deleted or replaced (called from HomeConfig.ready)."""
    uid = "cmss-package-version-{}"
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_record_after_commit, dispatch_uid=uid.format(id(signal)))
    post_delete.connect(_record_after_commit, sender=Page, dispatch_uid=uid.format("delete"))
    Document = get_document_model()
    post_save.connect(_record_after_commit, sender=Document, dispatch_uid=uid.format("doc"))
    post_delete.connect(_record_after_commit, sender=Document, dispatch_uid=uid.format("docdel"))
