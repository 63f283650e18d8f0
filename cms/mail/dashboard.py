"""The helpdesk's failed and bounced mail panel on the Wagtail admin home.

For those who may read the outgoing-mail log (the Helpdesk group and the administrators, by the
``mail.view_outgoingmessage`` permission: this app knows no feature app's groups). Counts cover
the last RECENT_DAYS days, each linking to the mail log filtered the same way; the most recent
few are listed. A fixed number of queries, whatever the size of the log.
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from wagtail.admin.ui.components import Component

from cms.mail.models import OutgoingMessage, SuppressedAddress

RECENT_DAYS = 7
SHOWN = 5
PROBLEMS = (OutgoingMessage.Status.FAILED, OutgoingMessage.Status.BOUNCED)


def may_see_mail_log(user):
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.has_perm("mail.view_outgoingmessage")
    )


def mail_log_url(**filters):
    url = reverse("mail_outgoingmessage_modeladmin_index")
    return f"{url}?{urlencode(filters)}" if filters else url


class FailedMailPanel(Component):
    name = "cmss_failed_mail"
    template_name = "mail/admin/dashboard_failed_mail.html"
    order = 90

    def get_context_data(self, parent_context=None):
        since = (timezone.now() - datetime.timedelta(days=RECENT_DAYS)).replace(microsecond=0)
        recent = OutgoingMessage.objects.filter(created_at__gte=since)
        counts = recent.aggregate(
            failed=Count("pk", filter=Q(status=OutgoingMessage.Status.FAILED)),
            bounced=Count("pk", filter=Q(status=OutgoingMessage.Status.BOUNCED)),
            held=Count("pk", filter=Q(status=OutgoingMessage.Status.HELD)),
        )
        latest = list(
            recent.filter(status__in=PROBLEMS)
            .only("recipient", "subject", "status", "last_error", "created_at")
            .order_by("-created_at", "-pk")[:SHOWN]
        )
        flagged = SuppressedAddress.objects.filter(created_at__gte=since).count()
        window = {"created_at__gte": since.isoformat()}
        rows = [
            ("Failed to send", counts["failed"], mail_log_url(status__exact="failed", **window)),
            ("Bounced", counts["bounced"], mail_log_url(status__exact="bounced", **window)),
            (
                "Held (to a flagged address)",
                counts["held"],
                mail_log_url(status__exact="held", **window),
            ),
            (
                "Addresses flagged (bounced or complained)",
                flagged,
                reverse("mail_suppressedaddress_modeladmin_index"),
            ),
        ]
        return {"rows": rows, "latest": latest, "days": RECENT_DAYS}


def construct_homepage_panels(request, panels):
    """Wagtail hook: the panel, for those who may read the mail log."""
    if may_see_mail_log(request.user):
        panels.append(FailedMailPanel())
