"""The information package in the helpdesk's admin: its current version, "Send the information
package" to the mailing list (POST), sending it to one clinician, and who was sent which version
when (all, or one clinician's). The helpdesk and the administrators only: everyone else gets 403.

Its hooks are registered when DirectoryConfig.ready imports this module.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator

from cms.mail import services as mail
from directory import mailing_list
from directory.models import Clinician
from directory.services import package_mail
from home.services import package as package_service

DELIVERIES_PER_PAGE = 100


def helpdesk_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not package_mail.may_send_package(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@helpdesk_only
@require_GET
def package_overview(request):
    package = package_service.current_package()
    version = package_service.current_version(package) if package else None
    clinician = None
    if request.GET.get("clinician", "").isdigit():
        clinician = Clinician.objects.filter(pk=request.GET["clinician"]).first()
    rows = package_mail.deliveries(clinician)
    page = WagtailPaginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "directory/admin/package_overview.html",
        {
            "header_title": "Information package",
            "package": package,
            "version": version,
            "members": mailing_list.count_members() if version else 0,
            "sent_this_version": version.deliveries.count() if version else 0,
            "clinician": clinician,
            "page": page,
        },
    )


@helpdesk_only
@require_POST
def package_send_to_list(request):
    try:
        version = package_mail.start_sending_to_list(request.user)
    except package_mail.NoPackage:
        messages.error(request, "There is no published information package to send.")
    else:
        messages.success(
            request,
            f"The information package ({version.label}) is being sent to the mailing list. "
            "Members who already had this version are not sent it again.",
        )
    return redirect("package_overview")


@helpdesk_only
@require_POST
def package_send_to_clinician(request, pk):
    clinician = get_object_or_404(Clinician, pk=pk)
    try:
        delivery = package_mail.send_to_clinician(
            clinician.pk, reason=package_mail.REASON_HELPDESK, by_user=request.user
        )
    except mail.InvalidRecipient:
        messages.error(request, f"{clinician}'s address cannot be mailed; nothing was sent.")
        delivery = None
    else:
        if delivery is not None:
            messages.success(request, f"The information package is on its way to {clinician}.")
        else:
            messages.warning(
                request,
                f"Nothing sent: {clinician} already had the current version, is not approved, "
                "or there is no published package.",
            )
    return redirect(f"{reverse('package_overview')}?clinician={clinician.pk}")


@hooks.register("register_admin_urls")
def package_urls():
    return [
        path("information-package/", package_overview, name="package_overview"),
        path("information-package/send/", package_send_to_list, name="package_send_to_list"),
        path(
            "information-package/send/<int:pk>/",
            package_send_to_clinician,
            name="package_send_to_clinician",
        ),
    ]


class HelpdeskMenuItem(MenuItem):
    def is_shown(self, request):
        return package_mail.may_send_package(request.user)


@hooks.register("register_admin_menu_item")
def package_menu_item():
    return HelpdeskMenuItem(
        "Information package", reverse("package_overview"), icon_name="doc-full", order=262
    )


@hooks.register("register_log_actions")
def package_log_actions(actions):
    actions.register_action(
        package_mail.SEND_TO_LIST_ACTION, "Package sent to the list", "Sent the information package"
    )
    actions.register_action(
        package_mail.SEND_TO_ONE_ACTION,
        "Package sent",
        "Sent the information package to one clinician",
    )
