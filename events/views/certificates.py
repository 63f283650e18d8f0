"""/account/webinars/<pk>/certificate/: an attendee downloads their certificate of attendance.

Only the registrant's own registration (the signed-in clinician's record, or their address) that
Webex recorded as attended; any other registration is a 404, so that nobody learns which exist.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from directory.access import clinician_for, private_response
from events import certificates
from events.models import Registration


def own_attended_registration(user, pk):
    """The attended, not erased registration ``pk`` of ``user``; raises Http404 otherwise."""
    clinician = clinician_for(user)
    if clinician is None:
        raise Http404("No such certificate.")
    who = Q(clinician=clinician)
    if clinician.email:
        who |= Q(email__iexact=clinician.email)
    registration = (
        Registration.objects.filter(who, pk=pk, attended=True, erased=False)
        .select_related("webinar")
        .first()
    )
    if registration is None:
        raise Http404("No such certificate.")
    return registration


@require_GET
@login_required
def certificate(request, pk):
    registration = own_attended_registration(request.user, pk)
    response = HttpResponse(
        certificates.certificate_pdf(registration), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{certificates.filename(registration)}"'
    )
    return private_response(response)
