"""The member's webinar registrations on /account/ (the directory's page cannot import events,
so its template loads this tag)."""

from django import template
from django.conf import settings
from django.db.models import Q

from events.models import Registration
from events.zones import clinician_zone_name

register = template.Library()


@register.inclusion_tag("events/registration_account_list.html")
def member_registrations(clinician):
    """The clinician's registrations that are not cancelled, soonest webinar first, with the
    times in the clinician's own zone and a cancel link each."""
    zone_name = clinician_zone_name(clinician, fallback=settings.TIME_ZONE)
    who = Q(clinician=clinician)
    if clinician.email:
        who |= Q(email__iexact=clinician.email)
    registrations = (
        Registration.objects.filter(who, erased=False)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("webinar")
        .order_by("webinar__start", "pk")
    )
    return {"registrations": registrations, "zone": zone_name}
