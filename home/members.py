"""Who may see content restricted to members: approved clinicians and staff.

Editors restrict a page, or a collection of documents, in Wagtail's privacy dialog. Its option
"Members: approved clinicians and staff" is Wagtail's "login" restriction, and here it means
what it says (Wagtail alone would let in anyone signed in, which includes a clinician who has
only confirmed an email, or one who is suspended). The rule is read from the clinician's status
and the staff member's rights when the content is asked for, so approving, suspending, erasing
and importing take effect at once, with nothing to keep in step.

"Only these groups" (Wagtail's "groups" restriction) keeps Wagtail's meaning. A shared password
is never offered (settings) and, should such a restriction exist all the same, counts as members
only: no password form is ever shown. Anonymous visitors are sent to the code sign-in; people
signed in who may not see the content are told why (403), never sent back to sign in again.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from wagtail.models import BaseViewRestriction

APPROVED = "approved"  # directory.models.Clinician.Status.APPROVED


def is_member(user):
    """Whether ``user`` may see members' content: an approved clinician, or staff (anyone who may
    use the admin: editors, moderators, the helpdesk, national contact points, administrators)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or user.has_perm("wagtailadmin.access_admin"):
        return True
    try:
        clinician = user.clinician
    except ObjectDoesNotExist:
        return False
    return clinician.status == APPROVED


def _accepts(restriction, request):
    if restriction.restriction_type == BaseViewRestriction.NONE:
        return True
    if restriction.restriction_type == BaseViewRestriction.GROUPS:
        return restriction.accept_request(request)
    # "login" (the members option) and "password" (never offered): members only.
    return is_member(request.user)


def refusal(request, restrictions, what):
    """The response that keeps ``request`` out of content under ``restrictions``, or None.

    ``what`` names the content for the explanation ("page", "document").
    """
    restrictions = list(restrictions)
    for restriction in restrictions:
        if _accepts(restriction, request):
            continue
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        else:
            try:
                clinician = request.user.clinician
            except ObjectDoesNotExist:
                clinician = None
            response = render(
                request,
                "home/members_only.html",
                {
                    "clinician": clinician,
                    "what": what,
                    "groups_only": restriction.restriction_type == BaseViewRestriction.GROUPS,
                },
                status=403,
            )
        add_never_cache_headers(response)
        return response
    for restriction in restrictions:
        if restriction.restriction_type == BaseViewRestriction.PASSWORD:
            # A member passes without the shared password Wagtail would otherwise ask for.
            restriction.mark_as_passed(request)
    return None
