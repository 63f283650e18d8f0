"""Reminders a day and an hour before a webinar, to each confirmed registrant, once each.

"Once" is decided by the database, not by looking first: the ``Reminder`` row (UNIQUE
registration + kind) is inserted in the same transaction that stores the email, so two runs at
the same moment (two workers, or a worker and ``manage.py send_reminders``) cannot both send it.
The second insert waits for the first transaction and fails with ``IntegrityError``: that run
skips the registrant. The mail service sends after commit, so a rolled-back insert sends nothing.
The listing of what is due leaves out reminders already stored, but only to save work; it is a
look, and two runs may both see a reminder as due.

A reminder carries the join link as it is when it is sent (the registrant's own link from Webex,
else the webinar's), so a link that changed since the invitation reaches the registrant.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cms.mail.services import InvalidRecipient, send_mail
from events.models import Registration, Reminder, WebinarPage
from events.services import registrations
from events.zones import zone_or_site

logger = logging.getLogger(__name__)

# How long before the start each reminder goes out. A reminder is due from that moment until the
# next (shorter) one is: someone who registers 30 minutes before gets only the hour's reminder.
LEAD_TIMES = {
    Reminder.Kind.DAY: datetime.timedelta(hours=24),
    Reminder.Kind.HOUR: datetime.timedelta(hours=1),
}
TEMPLATE = "events/email/reminder"


def window(kind, now):
    """(from, until): the webinars starting in this window are due a ``kind`` reminder at ``now``."""
    later = [lead for lead in LEAD_TIMES.values() if lead < LEAD_TIMES[kind]]
    return now + max(later, default=datetime.timedelta(0)), now + LEAD_TIMES[kind]


def due_reminders(now=None):
    """[(registration, kind)] of reminders due at ``now`` and not stored yet: confirmed, not
    erased registrants of published, scheduled webinars starting in the kind's window."""
    now = now or timezone.now()
    due = []
    for kind in LEAD_TIMES:
        after, until = window(kind, now)
        sent = Reminder.objects.filter(registration=OuterRef("pk"), kind=kind)
        registrations_due = (
            Registration.objects.filter(
                status=Registration.Status.CONFIRMED,
                erased=False,
                webinar__live=True,
                webinar__state=WebinarPage.State.SCHEDULED,
                webinar__start__gt=after,
                webinar__start__lte=until,
            )
            .exclude(Exists(sent))
            .select_related("webinar", "webinar__booking")
            .order_by("webinar__start", "pk")
        )
        due.extend((registration, kind) for registration in registrations_due)
    return due


def send_reminder(registration, kind):
    """Store the ``kind`` reminder of ``registration`` and its email in one transaction.

    Returns the ``OutgoingMessage``, or None when the reminder was already stored (by this run
    earlier or by another run at the same time) or the address is refused by the mail service.
    """
    try:
        with transaction.atomic():
            Reminder.objects.create(registration=registration, kind=kind)
            return send_mail(
                TEMPLATE,
                reminder_context(registration, kind),
                registration.email,
                to_name=registration.full_name,
                kind=f"webinar_reminder_{kind}",
                related=registration,
            )
    except IntegrityError:
        return None
    except InvalidRecipient:
        logger.warning("Reminder to registration %s not sent: invalid address", registration.pk)
        return None


def send_reminders(now=None):
    """Send every reminder due at ``now``; returns how many this run sent."""
    sent = 0
    for registration, kind in due_reminders(now):
        if send_reminder(registration, kind) is not None:
            sent += 1
    return sent


def reminder_context(registration, kind):
    webinar = registration.webinar
    zone = zone_or_site(webinar.time_zone)
    return {
        "registration": registration,
        "webinar": webinar,
        "kind": kind,
        "hour": kind == Reminder.Kind.HOUR,
        "name": registration.full_name,
        "start": timezone.localtime(webinar.start, zone),
        "end": timezone.localtime(webinar.end, zone),
        "join_url": registrations.join_link(registration),
        "cancel_url": registrations.cancel_url(registration),
        "webinar_url": registrations.webinar_url(webinar),
    }
