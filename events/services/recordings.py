"""Webinar recordings: found on Webex after a recorded webinar ends (or pasted by the helpdesk in
the page's Recording panel), stored on the page, emailed once to the registrants, and removed
after WEBINAR_RECORDING_RETENTION_DAYS (events/retention.py).

The link and its password are page fields that editors also see in the edit form, so the site
writes them the same way everywhere: on the live row (a queryset update, no new revision) and in
the page's latest and live revisions, so that the next edit or publication starts from them and
cannot bring an empty link back. ``recording_added_at`` (when the link arrived) and
``recording_sent_at`` (when registrants were told) are kept on publish (``KEPT_ON_PUBLISH``).

"Once" for the email: ``recording_sent_at`` is set in the transaction that stores the messages,
with the webinar's row locked, and checked under that lock; the mail service sends after commit.
The public pages show the recording, so the page cache is dropped whenever the link changes.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from wagtail.models import Revision
from wagtail.signals import page_published

from cms.mail.services import InvalidRecipient, send_mail
from events.models import Registration, WebexBooking, WebinarPage
from events.services import registrations
from events.webex import WebexError, get_backend
from events.zones import zone_or_site
from home.pagecache import invalidate_public_pages

logger = logging.getLogger(__name__)

TEMPLATE = "events/email/recording"
RECORDING_FIELDS = ("recording_url", "recording_password")


def webinars_to_sync(now=None):
    """Published webinars that asked to be recorded (with consent), have ended, are booked on
    Webex, and have no recording yet (and never had one: a removed link is not fetched again)."""
    now = now or timezone.now()
    return (
        WebinarPage.objects.filter(
            live=True,
            recorded=True,
            speaker_consents_to_recording=True,
            end__lte=now,
            recording_url="",
            recording_added_at__isnull=True,
            booking__status=WebexBooking.Status.BOOKED,
        )
        .exclude(state=WebinarPage.State.CANCELLED)
        .exclude(booking__webex_meeting_id="")
        .select_related("booking")
        .order_by("end")
    )


def webinars_to_announce(now=None):
    """Published webinars that have ended, with a recording link whose email has not gone out."""
    now = now or timezone.now()
    return (
        WebinarPage.objects.filter(live=True, end__lte=now, recording_sent_at__isnull=True)
        .exclude(recording_url="")
        .exclude(state=WebinarPage.State.CANCELLED)
        .order_by("end")
    )


def sync_recordings(now=None):
    """Look for the recordings of the webinars due, store those found, and email every stored
    recording not announced yet. Returns {"found": n, "announced": n, "failed": n}; a webinar
    whose Webex call failed (logged) is tried again next time."""
    counts = {"found": 0, "announced": 0, "failed": 0}
    backend = None
    for webinar in webinars_to_sync(now):
        backend = backend or get_backend()
        try:
            if find_recording(webinar, backend):
                counts["found"] += 1
        except WebexError as error:
            counts["failed"] += 1
            logger.warning("Recording of webinar %s not read from Webex: %s", webinar.pk, error)
    for webinar in webinars_to_announce(now):
        if announce(webinar) is not None:
            counts["announced"] += 1
    return counts


def find_recording(webinar, backend=None):
    """Store ``webinar``'s Webex recording if there is one; returns whether one was stored.
    Raises WebexError."""
    backend = backend or get_backend()
    found = [r for r in backend.list_recordings(webinar.booking.webex_meeting_id) if r.playback_url]
    if not found:
        return False
    # Several recordings (a restart mid-webinar): the longest is the webinar.
    recording = max(found, key=lambda r: (r.duration_seconds, r.created or webinar.end))
    return store(webinar, recording.playback_url, recording.password, only_if_empty=True)


def store(webinar, url, password="", *, only_if_empty=False):
    """Put the recording link and password on ``webinar`` (live row and latest revisions) and
    drop the cached pages. ``only_if_empty``: leave a link already there (the helpdesk's) alone.
    Returns whether it was stored."""
    with transaction.atomic():
        locked = WebinarPage.objects.select_for_update(of=("self",)).get(pk=webinar.pk)
        if only_if_empty and (locked.recording_url or locked.recording_added_at):
            return False
        now = timezone.now()
        values = {"recording_url": url, "recording_password": password}
        WebinarPage.objects.filter(pk=webinar.pk).update(recording_added_at=now, **values)
        _write_revisions(locked, values)
        invalidate_public_pages()
    for name, value in {**values, "recording_added_at": now}.items():
        setattr(webinar, name, value)
    return True


def _write_revisions(page, values, revisions=None):
    """Write ``values`` into the content of the page's latest and live revisions (or the given
    ones), without making a revision."""
    if revisions is None:
        ids = {page.latest_revision_id, page.live_revision_id} - {None}
        revisions = Revision.page_revisions.filter(pk__in=ids, object_id=str(page.pk))
    for revision in revisions:
        content = {**revision.content, **values}
        Revision.objects.filter(pk=revision.pk).update(content=content)


def announce(webinar):
    """Email the recording to ``webinar``'s registrants (confirmed, not erased), once; returns
    how many were sent (0 with nobody to tell: it is marked announced all the same), or None when
    it was announced already (by another run) or has no link."""
    with transaction.atomic():
        locked = WebinarPage.objects.select_for_update(of=("self",)).get(pk=webinar.pk)
        if locked.recording_sent_at is not None or not locked.recording_url:
            return None
        now = timezone.now()
        WebinarPage.objects.filter(pk=locked.pk).update(
            recording_sent_at=now, recording_added_at=locked.recording_added_at or now
        )
        sent = 0
        recipients = Registration.objects.filter(
            webinar_id=locked.pk, status=Registration.Status.CONFIRMED, erased=False
        ).select_related("webinar")
        for registration in recipients:
            registration.webinar = locked
            try:
                send_mail(
                    TEMPLATE,
                    _context(registration, locked),
                    registration.email,
                    to_name=registration.full_name,
                    kind="webinar_recording",
                    related=registration,
                )
            except InvalidRecipient:
                logger.warning(
                    "Recording not sent to registration %s: bad address", registration.pk
                )
                continue
            sent += 1
    webinar.recording_sent_at = now
    logger.info("Recording of webinar %s sent to %s registrant(s)", webinar.pk, sent)
    return sent


def remove_expired(older_than):
    """Remove the recording link and password of every webinar whose recording arrived before
    ``older_than`` (live rows and every revision); returns how many webinars."""
    expired = WebinarPage.objects.filter(recording_added_at__lt=older_than).filter(
        ~Q(recording_url="") | ~Q(recording_password="")
    )
    removed = 0
    for page in expired:
        with transaction.atomic():
            blank = dict.fromkeys(RECORDING_FIELDS, "")
            WebinarPage.objects.filter(pk=page.pk).update(**blank)
            _write_revisions(page, blank, Revision.page_revisions.filter(object_id=str(page.pk)))
            invalidate_public_pages()
        removed += 1
    return removed


@receiver(page_published, sender=WebinarPage, dispatch_uid="events.recordings.published")
def recording_published(sender, instance, **kwargs):
    """A link the helpdesk pasted and published goes to the registrants once the webinar has
    ended (now, or by the next sync_recordings)."""
    if not instance.recording_url:
        return
    if not instance.recording_added_at:
        now = timezone.now()
        WebinarPage.objects.filter(pk=instance.pk, recording_added_at__isnull=True).update(
            recording_added_at=now
        )
        instance.recording_added_at = now
    if instance.has_ended and not instance.recording_sent_at:
        announce(instance)


def _context(registration, webinar):
    zone = zone_or_site(webinar.time_zone)
    return {
        "registration": registration,
        "webinar": webinar,
        "name": registration.full_name,
        "start": timezone.localtime(webinar.start, zone),
        "end": timezone.localtime(webinar.end, zone),
        "recording_url": webinar.recording_url,
        "recording_password": webinar.recording_password,
        "webinar_url": registrations.webinar_url(webinar),
        "cancel_url": registrations.cancel_url(registration),
    }
