"""The helpdesk's view of one webinar's registrations, in the Wagtail admin: who holds a place,
the waiting list in order, who has not confirmed, the counts and the attendance; with actions
(cancel a registration, promote the next in line, message every registrant, a CSV export).

Thin views over events.services.registrations (cancel, promote_next, send_to_registrants): every
action is a POST with its CSRF token. Only the helpdesk (the "Helpdesk" group) and superusers come
in; anyone else gets 403. The export is formula-safe (directory/services/exports.py) and, like the
actions, recorded in Wagtail's audit log on the webinar. The webinar's edit view links here (a
header button, registered below).
"""

import csv
import io

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.log_actions import log

from directory.access import private_response
from directory.services.access import is_helpdesk
from directory.services.exports import CSV_BOM, formula_safe
from events.models import Registration, WebinarPage
from events.services import registrations as service

Status = Registration.Status

URL_NAME = "events_webinar_registrations"
EXPORT_ACTION = "cmss.webinar_registrations_export"
CANCEL_ACTION = "cmss.webinar_registration_cancel"
PROMOTE_ACTION = "cmss.webinar_registration_promote"
MESSAGE_ACTION = "cmss.webinar_message"

EXPORT_COLUMNS = (
    ("status", lambda r: r.get_status_display()),
    ("first_name", lambda r: r.first_name),
    ("last_name", lambda r: r.last_name),
    ("email", lambda r: r.email),
    ("profession", lambda r: r.profession),
    ("country", lambda r: r.country.code if r.country_id else ""),
    ("registered_at", lambda r: _iso(r.created_at)),
    ("queued_at", lambda r: _iso(r.queued_at)),
    ("confirmed_at", lambda r: _iso(r.confirmed_at)),
    ("cancelled_at", lambda r: _iso(r.cancelled_at)),
    ("cancelled_by", lambda r: r.cancelled_by),
    ("attended", lambda r: "" if r.attended is None else ("yes" if r.attended else "no")),
    ("minutes_attended", lambda r: "" if r.minutes_attended is None else r.minutes_attended),
)


def may_manage(user):
    """The helpdesk and superusers manage registrations."""
    return is_helpdesk(user)


def registrations_url(webinar):
    return reverse(URL_NAME, args=[webinar.pk])


def _helpdesk_only(view):
    def wrapper(request, page_id, *args, **kwargs):
        if not may_manage(request.user):
            # Not PermissionDenied: Wagtail's admin would turn that into a redirect home.
            return HttpResponseForbidden("Only the helpdesk manages webinar registrations.")
        webinar = get_object_or_404(WebinarPage, pk=page_id)
        return private_response(view(request, webinar, *args, **kwargs))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


class MessageForm(forms.Form):
    AUDIENCES = {
        "confirmed": ("confirmed",),
        "confirmed_waiting": ("confirmed", "waiting"),
    }

    audience = forms.ChoiceField(
        label="Send to",
        choices=[
            ("confirmed", "Everyone who holds a place"),
            ("confirmed_waiting", "Everyone who holds a place, and the waiting list"),
        ],
        initial="confirmed",
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(
        max_length=200, help_text="The email's subject line, e.g. “New speaker for tomorrow”."
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        help_text="Plain text. Each registrant's email adds the webinar and their cancel link.",
    )


def counts(webinar):
    """{status: number} of the webinar's registrations (erased ones apart), with places left."""
    by_status = dict(
        Registration.objects.filter(webinar_id=webinar.pk, erased=False)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    result = {status: by_status.get(status, 0) for status in Status.values}
    result["places_left"] = service.places_left(webinar)
    result["erased"] = Registration.objects.filter(webinar_id=webinar.pk, erased=True).count()
    result["attended"] = Registration.objects.filter(
        webinar_id=webinar.pk, erased=False, attended=True
    ).count()
    return result


@require_GET
@_helpdesk_only
def registrations_view(request, webinar):
    """The registrations, the waiting list in order, the counts, the actions."""
    live = Registration.objects.filter(webinar_id=webinar.pk, erased=False).select_related(
        "country"
    )
    numbers = counts(webinar)
    return TemplateResponse(
        request,
        "events/admin/registrations.html",
        {
            "webinar": webinar,
            "counts": numbers,
            "confirmed": live.filter(status=Status.CONFIRMED).order_by("confirmed_at", "pk"),
            "waiting": live.filter(status=Status.WAITING).order_by("queued_at", "pk"),
            "unconfirmed": live.filter(status=Status.UNCONFIRMED).order_by("created_at", "pk"),
            "cancelled": live.filter(status=Status.CANCELLED).order_by("-cancelled_at", "-pk"),
            "may_promote": numbers["places_left"] > 0 and numbers[Status.WAITING] > 0,
            "message_form": MessageForm(),
            "edit_url": reverse("wagtailadmin_pages:edit", args=[webinar.pk]),
            "export_url": reverse(f"{URL_NAME}_export", args=[webinar.pk]),
            "promote_url": reverse(f"{URL_NAME}_promote", args=[webinar.pk]),
            "message_url": reverse(f"{URL_NAME}_message", args=[webinar.pk]),
            "cancel_url_name": f"{URL_NAME}_cancel",
            "attendance_read": webinar.attendance_read_at is not None,
        },
    )


@require_POST
@_helpdesk_only
def cancel_view(request, webinar, registration_id):
    """POST: cancel one registration (the registrant is told; the next in line is promoted)."""
    registration = get_object_or_404(
        Registration, pk=registration_id, webinar_id=webinar.pk, erased=False
    )
    if registration.status == Status.CANCELLED:
        messages.info(request, f"{_name(registration)} had already cancelled: nothing changed.")
        return redirect(registrations_url(webinar))
    was = registration.get_status_display().lower()
    service.cancel(registration, by="helpdesk")
    log(
        instance=webinar,
        action=CANCEL_ACTION,
        user=request.user,
        data={"registration": registration.pk, "was": was},
    )
    messages.success(
        request,
        f"{_name(registration)}'s registration ({was}) is cancelled and they have been told. "
        "A freed place goes to the first in line.",
    )
    return redirect(registrations_url(webinar))


@require_POST
@_helpdesk_only
def promote_view(request, webinar):
    """POST: give a free place to the first in line."""
    promoted = service.promote_next(webinar)
    if promoted is None:
        messages.warning(
            request, "Nobody was promoted: there is no free place, or nobody is waiting."
        )
    else:
        log(
            instance=webinar,
            action=PROMOTE_ACTION,
            user=request.user,
            data={"registration": promoted.pk},
        )
        messages.success(request, f"{_name(promoted)} has a place now and has been told.")
    return redirect(registrations_url(webinar))


@require_http_methods(["POST"])
@_helpdesk_only
def message_view(request, webinar):
    """POST: email a subject and text to every registrant (through the mail service)."""
    form = MessageForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name.title()}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"The message was not sent. {problems}")
        return redirect(registrations_url(webinar))
    statuses = MessageForm.AUDIENCES[form.cleaned_data["audience"]]
    sent = service.send_to_registrants(
        webinar,
        subject=form.cleaned_data["subject"],
        text=form.cleaned_data["text"],
        statuses=statuses,
    )
    log(
        instance=webinar,
        action=MESSAGE_ACTION,
        user=request.user,
        data={"subject": form.cleaned_data["subject"], "statuses": list(statuses), "sent": sent},
    )
    messages.success(request, f"The message is on its way to {sent} registrant(s).")
    return redirect(registrations_url(webinar))


@require_GET
@_helpdesk_only
def export_view(request, webinar):
    """The registrations as a CSV file (UTF-8 with a byte-order mark, formula-safe cells)."""
    rows = (
        Registration.objects.filter(webinar_id=webinar.pk, erased=False)
        .select_related("country")
        .order_by("status", "queued_at", "pk")
    )
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer)
    writer.writerow([name for name, _value in EXPORT_COLUMNS])
    count = 0
    for registration in rows:
        writer.writerow([formula_safe(value(registration)) for _name, value in EXPORT_COLUMNS])
        count += 1
    log(
        instance=webinar,
        action=EXPORT_ACTION,
        user=request.user,
        data={"format": "csv", "rows": count},
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="registrations-{webinar.slug}-{stamp}.csv"'
    )
    return response


def _name(registration):
    return f"{registration.first_name} {registration.last_name}".strip() or registration.email


def _iso(value):
    return value.isoformat(timespec="seconds") if value else ""


# -- the admin's hooks (registered when events/wagtail_hooks.py imports this module) ---------


@hooks.register("register_admin_urls")
def registration_urls():
    base = "events/webinars/<int:page_id>/registrations/"
    return [
        path(base, registrations_view, name=URL_NAME),
        path(f"{base}export/", export_view, name=f"{URL_NAME}_export"),
        path(f"{base}promote/", promote_view, name=f"{URL_NAME}_promote"),
        path(f"{base}message/", message_view, name=f"{URL_NAME}_message"),
        path(f"{base}<int:registration_id>/cancel/", cancel_view, name=f"{URL_NAME}_cancel"),
    ]


@hooks.register("register_page_header_buttons")
def registrations_button(page, user, view_name, next_url=None):
    """A "Registrations" button in the header of a webinar's edit view, for the helpdesk."""
    if issubclass(page.specific_class or type(page), WebinarPage) and may_manage(user):
        yield Button(
            "Registrations",
            registrations_url(page),
            icon_name="group",
            priority=5,
            attrs={"title": "Registrations, waiting list, attendance and messages"},
        )


@hooks.register("register_log_actions")
def registration_log_actions(actions):
    actions.register_action(EXPORT_ACTION, "Export registrations", "Exported the registrations")
    actions.register_action(
        CANCEL_ACTION, "Cancel registration", "Cancelled a registration (helpdesk)"
    )
    actions.register_action(
        PROMOTE_ACTION, "Promote from waiting list", "Promoted the next in line"
    )
    actions.register_action(
        MESSAGE_ACTION, "Message registrants", "Sent a message to the registrants"
    )
