"""The audiences events adds to the mailing list's registry (directory/mailing_list.py): an
announcement can go to the registrants of one webinar (those registered or in line)."""

from django.db.models.functions import Lower

from directory.mailing_list import register_audience

WEBINAR_REGISTRANTS = "webinar-registrants"


def webinar_registrant_emails(value):
    from events.models import Registration

    if not str(value).isdigit():
        return Registration.objects.none().values_list("email", flat=True)
    return (
        Registration.objects.filter(
            webinar_id=int(value),
            status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITING],
        )
        .annotate(lower_email=Lower("email"))
        .values_list("lower_email", flat=True)
    )


def webinar_choices():
    from events.models import WebinarPage

    return [
        (str(pk), f"{title} ({start:%Y-%m-%d})")
        for pk, title, start in WebinarPage.objects.order_by("-start").values_list(
            "pk", "title", "start"
        )[:200]
    ]


def register():
    register_audience(
        WEBINAR_REGISTRANTS, "Registrants of a webinar", webinar_registrant_emails, webinar_choices
    )
