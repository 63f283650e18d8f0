"""Announcements to the mailing list: a test to oneself, then the send, as a background task.

The send writes one ``AnnouncementRecipient`` row per member first (unique per announcement and
address), all in one transaction. It then works in batches of ``CMSS_ANNOUNCEMENT_BATCH_SIZE``:
each batch stores one ``OutgoingMessage`` per recipient and links it to the row in the same
transaction, then, once committed, delivers those messages through the mail service
(``deliver``, whose conditional claim sends a message at most once), and pauses
``CMSS_ANNOUNCEMENT_BATCH_PAUSE_SECONDS``. So a send stopped anywhere and run again sends no one
a second copy: a row with a message is never given another, and a queued message is only ever
claimed once. A message left "sending" by a killed worker is marked failed by ``retry_mail``,
never resent by itself.

Every step (draft saved, test, send started, send finished) is in Wagtail's audit log.
"""

import re
import time
from html import unescape

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from wagtail.log_actions import log
from wagtail.rich_text import expand_db_html

from cms.mail import services as mail
from cms.mail.links import absolute_url
from cms.mail.models import OutgoingMessage
from directory import mailing_list
from directory.models import Announcement, AnnouncementRecipient, Country

KIND = "announcement"
TEST_KIND = "announcement test"
SAVE_ACTION = "cmss.announcement.save"
TEST_ACTION = "cmss.announcement.test"
SEND_ACTION = "cmss.announcement.send"
SENT_ACTION = "cmss.announcement.sent"
RECIPIENT_ROWS_PER_INSERT = 1000

Status = Announcement.Status


class AnnouncementNotDraft(Exception):
    """The announcement is already sending or sent: it cannot be changed or sent again."""


def batch_size():
    return max(1, int(getattr(settings, "CMSS_ANNOUNCEMENT_BATCH_SIZE", 200)))


def batch_pause():
    return max(0.0, float(getattr(settings, "CMSS_ANNOUNCEMENT_BATCH_PAUSE_SECONDS", 1.0)))


def pause(seconds):
    time.sleep(seconds)


# --- who it goes to ---------------------------------------------------------------------------


def audience_emails(announcement):
    """The queryset of addresses of the announcement's audience, or None (no audience)."""
    if not announcement.audience:
        return None
    try:
        found = mailing_list.audience(announcement.audience)
    except KeyError:
        return []
    return found.emails(announcement.audience_value)


def targets(announcement):
    return {
        "countries": list(announcement.countries.all()),
        "roles": list(announcement.roles or []),
        "emails": audience_emails(announcement),
    }


def recipients_count(announcement):
    """How many members the announcement would reach now."""
    return mailing_list.count_members(**targets(announcement))


def target_summary(announcement):
    parts = []
    countries = [c.name for c in announcement.countries.all()]
    parts.append(", ".join(countries) if countries else "every country")
    roles = [mailing_list.ROLE_LABELS.get(r, r) for r in announcement.roles or []]
    parts.append(", ".join(roles) if roles else "every role")
    if announcement.audience:
        label = mailing_list.audiences().get(announcement.audience)
        choices = dict(label.choices()) if label else {}
        value = choices.get(announcement.audience_value, announcement.audience_value)
        parts.append(f"{label.label if label else announcement.audience}: {value}")
    return "; ".join(parts)


# --- the message ------------------------------------------------------------------------------

_RELATIVE_LINK = re.compile(r'(href|src)="/(?!/)')
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|ul|ol)>|<br\s*/?>", re.IGNORECASE)


def body_html(announcement):
    """The rich text as HTML for an email: internal links made absolute."""
    html = expand_db_html(announcement.body or "")
    return _RELATIVE_LINK.sub(lambda m: f'{m.group(1)}="{absolute_url("/")}', html)


def body_text(html):
    text = _BLOCK_END.sub("\n", html)
    text = unescape(strip_tags(text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines()))


def list_headers(unsubscribe_url):
    """RFC 2369 and RFC 8058: a one-click POST to the link, or a mail to the helpdesk."""
    mailto = getattr(settings, "CMSS_LIST_UNSUBSCRIBE_MAILTO", "") or settings.DEFAULT_FROM_EMAIL
    address = mailto.rpartition("<")[2].rstrip(">").strip()
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>, <mailto:{address}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def compose(announcement, *, member_key, name, html, test=False):
    """(subject, text, html, headers) of the announcement for one member."""
    url = absolute_url("directory:unsubscribe", mailing_list.unsubscribe_token(member_key))
    context = {
        "announcement": announcement,
        "name": name,
        "body_html": mark_safe(html),  # noqa: S308 (Wagtail's rich text, cleaned on save)
        "body_text": body_text(html),
        "unsubscribe_url": url,
        "account_url": absolute_url("directory:account"),
        "test": test,
    }
    subject = render_to_string("directory/email/announcement_subject.txt", context)
    text = render_to_string("directory/email/announcement.txt", context)
    html_body = render_to_string("directory/email/announcement.html", context)
    return " ".join(subject.split()), text, html_body, list_headers(url)


# --- the helpdesk's steps ---------------------------------------------------------------------


def saved(announcement, user, created):
    """Record a draft's creation or change in the audit log."""
    log(
        announcement,
        "wagtail.create" if created else "wagtail.edit",
        user=user,
        data={"targets": target_summary(announcement)},
    )


def check_draft(announcement):
    if announcement.status != Status.DRAFT:
        raise AnnouncementNotDraft


def send_test(announcement, user):
    """Send the announcement to ``user`` alone, marked as a test; returns the OutgoingMessage.
    Raises ``InvalidRecipient`` when the user has no usable address."""
    subject, text, html, headers = compose(
        announcement,
        member_key=f"u:{user.pk}",
        name=user.get_full_name() or user.email,
        html=body_html(announcement),
        test=True,
    )
    with transaction.atomic():
        message = mail.queue_message(
            user.email,
            subject,
            text,
            html=html,
            kind=TEST_KIND,
            related=announcement,
            headers=headers,
        )
        Announcement.objects.filter(pk=announcement.pk).update(test_sent_at=timezone.now())
        log(announcement, TEST_ACTION, user=user, data={"to": user.email})
    return message


def start_sending(announcement, user):
    """Move a draft to "sending" and queue the send task after commit; raises
    ``AnnouncementNotDraft`` for one already started."""
    from directory.tasks import send_announcement

    with transaction.atomic():
        started = Announcement.objects.filter(pk=announcement.pk, status=Status.DRAFT).update(
            status=Status.SENDING, sending_started_at=timezone.now()
        )
        if not started:
            raise AnnouncementNotDraft
        announcement.refresh_from_db()
        log(
            announcement,
            SEND_ACTION,
            user=user,
            data={
                "targets": target_summary(announcement),
                "members": recipients_count(announcement),
            },
        )
        pk = announcement.pk
        transaction.on_commit(lambda: send_announcement.enqueue(pk))
    return announcement


def resume_sending(announcement):
    """Queue the send task again for an announcement whose send was stopped (a worker killed):
    running it again sends only what was not stored yet."""
    from directory.tasks import send_announcement

    if announcement.status == Status.SENDING:
        pk = announcement.pk
        transaction.on_commit(lambda: send_announcement.enqueue(pk))
        return True
    return False


# --- the send (the task) ----------------------------------------------------------------------


def write_recipients(announcement):
    """One row per member the announcement targets, written once (the first run), in one
    transaction; returns how many rows the announcement has."""
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.recipients.exists():
            return locked.recipients_total
        rows = []
        total = 0
        for member in mailing_list.iter_members(**targets(locked)):
            rows.append(
                AnnouncementRecipient(
                    announcement_id=locked.pk,
                    email=member.email,
                    name=member.name[:200],
                    member_key=member.key,
                    clinician_id=member.clinician_id,
                )
            )
            if len(rows) >= RECIPIENT_ROWS_PER_INSERT:
                AnnouncementRecipient.objects.bulk_create(rows, ignore_conflicts=True)
                total += len(rows)
                rows = []
        if rows:
            AnnouncementRecipient.objects.bulk_create(rows, ignore_conflicts=True)
        total = locked.recipients.count()
        Announcement.objects.filter(pk=locked.pk).update(recipients_total=total)
        return total


def store_batch(announcement, html, size, refused=None):
    """Store the next ``size`` recipients' messages (one each, linked in the same transaction);
    returns the ids of the messages stored. Recipients whose address the mail service refuses
    are added to ``refused`` (a set of row ids) and passed over."""
    refused = set() if refused is None else refused
    stored = []
    with transaction.atomic():
        pending = (
            announcement.recipients.filter(message__isnull=True)
            .exclude(pk__in=refused)
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        for recipient in pending[:size]:
            subject, text, body, headers = compose(
                announcement, member_key=recipient.member_key, name=recipient.name, html=html
            )
            try:
                message = mail.queue_message(
                    recipient.email,
                    subject,
                    text,
                    html=body,
                    to_name=recipient.name,
                    kind=KIND,
                    related=announcement,
                    headers=headers,
                    send_after_commit=False,
                )
            except mail.InvalidRecipient:
                refused.add(recipient.pk)  # left without a message: shown as not stored
                continue
            linked = AnnouncementRecipient.objects.filter(
                pk=recipient.pk, message__isnull=True
            ).update(message=message)
            if not linked:  # another run stored this one first
                message.delete()
                continue
            stored.append(message.pk)
    return stored


def deliver_all(message_ids):
    for pk in message_ids:
        mail.deliver(pk)


def unsent_message_ids(announcement):
    """Messages stored but not yet claimed (a run stopped between storing and sending)."""
    return list(
        OutgoingMessage.objects.filter(
            announcement_recipient__announcement=announcement, status=OutgoingMessage.Status.QUEUED
        ).values_list("pk", flat=True)
    )


def remaining(announcement, refused=()):
    return announcement.recipients.filter(message__isnull=True).exclude(pk__in=refused)


def run_sending(announcement_id, max_batches=None):
    """The send task's work: write the recipients once, then store and deliver batch by batch,
    pausing between batches; finishes the announcement when everyone has a message. Returns
    "sent", "stopped" (after ``max_batches``) or "skipped" (not sending)."""
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None or announcement.status != Status.SENDING:
        return "skipped"
    write_recipients(announcement)
    deliver_all(unsent_message_ids(announcement))
    html = body_html(announcement)
    size, wait = batch_size(), batch_pause()
    batches = 0
    refused = set()
    while True:
        stored = store_batch(announcement, html, size, refused)
        if not stored:
            if not remaining(announcement, refused).exists():
                break
            pause(max(wait, 0.05))  # a batch of refused addresses, or rows another run holds
            continue
        deliver_all(stored)
        batches += 1
        if max_batches is not None and batches >= max_batches:
            return "stopped"
        if wait and remaining(announcement, refused).exists():
            pause(wait)
    with transaction.atomic():
        finished = Announcement.objects.filter(pk=announcement.pk, status=Status.SENDING).update(
            status=Status.SENT, finished_at=timezone.now()
        )
        if finished:
            log(announcement, SENT_ACTION, data=progress(announcement))
    return "sent"


def progress(announcement):
    """Recipients by their message's status, with the total and how many were sent."""
    counts = {
        row["message__status"]: row["n"]
        for row in announcement.recipients.values("message__status").annotate(n=Count("pk"))
    }
    not_stored = counts.pop(None, 0)
    total = announcement.recipients_total or sum(counts.values()) + not_stored
    sent = counts.get(OutgoingMessage.Status.SENT, 0)
    return {
        "total": total,
        "sent": sent,
        "not_stored": not_stored,
        "by_status": counts,
        "percent": int(100 * sent / total) if total else 0,
    }


def country_choices():
    return [(c.pk, c.name) for c in Country.objects.order_by("name")]
