"""The privacy statement's versions: a changed text needs a new label, and each label published is
recorded (``PrivacyStatementVersion``) so members can be told of a new one.

When a statement is published under a label not seen before, and an earlier label exists,
``privacy_version_published`` is sent (with the ``PrivacyStatementVersion``) after commit: the
directory, which knows the members, tells them (directory/consent.py). The home app never imports
the directory.
"""

import json

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from wagtail.signals import page_published

from home.models import PrivacyStatementPage, PrivacyStatementVersion

# Sent with ``version`` (a PrivacyStatementVersion) once a new label is published and committed.
privacy_version_published = Signal()

CURRENT_LABEL_KEY = "privacy:current-label"
SAME_LABEL_MESSAGE = (
    "The text of the privacy statement has changed, so it needs a new version label "
    "(version {label} is the one members agreed to). Give it a new label, an effective date "
    "and say what changed, then publish or submit it again."
)


def statement_text(title, body):
    """What counts as the statement's text: its title and the words of its body's blocks (as the
    search index reads them), not their markup or the block ids an editor's copy and paste
    changes."""
    words = []
    for child in body or []:
        words.extend(
            " ".join(str(text).split()) for text in child.block.get_searchable_content(child.value)
        )
    return json.dumps([" ".join((title or "").split()), [w for w in words if w]])


def changed_under_same_label(page, cleaned_data):
    """The error message if the statement in ``cleaned_data`` (the edit form's) differs in text
    from the one in force under the same version label; None when it may go ahead."""
    label = (cleaned_data.get("version_label") or "").strip()
    if not label:
        return None
    reference = None
    if page.pk:
        reference = PrivacyStatementPage.objects.live().filter(pk=page.pk).first()
    if reference is None:
        reference = PrivacyStatementPage.in_force()
    if reference is None or reference.version_label.strip() != label:
        return None
    new = statement_text(cleaned_data.get("title", page.title), cleaned_data.get("body"))
    if new == statement_text(reference.title, reference.body):
        return None
    return SAME_LABEL_MESSAGE.format(label=label)


def current_label():
    """The version label of the statement in force ('' if none), from the cache when it can."""
    label = cache.get(CURRENT_LABEL_KEY)
    if label is None:
        statement = PrivacyStatementPage.in_force()
        label = statement.version_label if statement else ""
        cache.set(CURRENT_LABEL_KEY, label, 300)
    return label


def record_published(page):
    """Record ``page``'s label as published; returns the new PrivacyStatementVersion if the label
    is new (and so members must be told if an earlier one exists), else None."""
    earlier = PrivacyStatementVersion.objects.exists()
    try:
        with transaction.atomic():
            version, created = PrivacyStatementVersion.objects.get_or_create(
                label=page.version_label.strip(),
                defaults={"page": page, "what_changed": page.what_changed},
            )
    except IntegrityError:
        return None
    if not created:
        return None
    if not earlier:
        # The first statement recorded: nobody agreed to an older one.
        PrivacyStatementVersion.objects.filter(pk=version.pk).update(members_told_at=timezone.now())
        return None
    return version


def _published(sender, instance, **kwargs):
    cache.delete(CURRENT_LABEL_KEY)
    transaction.on_commit(lambda: cache.delete(CURRENT_LABEL_KEY))
    if not isinstance(instance, PrivacyStatementPage):
        return
    version = record_published(instance)
    if version is not None:
        transaction.on_commit(
            lambda: privacy_version_published.send(sender=PrivacyStatementVersion, version=version)
        )


def connect():
    """Record each published label (called from HomeConfig.ready)."""
    page_published.connect(_published, dispatch_uid="cmss-privacy-version")
