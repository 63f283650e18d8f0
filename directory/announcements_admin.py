"""The helpdesk's mailing list and announcements in the Wagtail admin.

/admin/mailing-list/ lists the members (filtered by country, role, and whether they left);
/admin/announcements/ lists announcements; one is written, previewed, tested on oneself, then
sent (services/announcements.py), and its page shows the progress while it is sent (the page
reloads itself, no JavaScript) and each recipient's message status. The helpdesk and the
administrators only: everyone else gets 403.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator

from cms.mail import services as mail
from directory import mailing_list
from directory.models import Announcement, Country
from directory.services import announcements

MEMBERS_PER_PAGE = 100
RECIPIENTS_PER_PAGE = 100
REFRESH_SECONDS = 3


def helpdesk_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not mailing_list.may_send_announcements(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- the members ------------------------------------------------------------------------------


class MemberFilter(forms.Form):
    country = forms.ModelChoiceField(
        Country.objects.order_by("name"), required=False, empty_label="Every country"
    )
    role = forms.ChoiceField(choices=[("", "Every role"), *mailing_list.ROLES], required=False)
    left = forms.ChoiceField(
        label="On the list",
        choices=[("", "On the list"), ("left", "Left the list"), ("all", "Both")],
        required=False,
    )


@helpdesk_only
@require_http_methods(["GET"])
def members(request):
    form = MemberFilter(request.GET or None)
    country = role = left = None
    if form.is_valid():
        country = form.cleaned_data["country"]
        role = form.cleaned_data["role"]
        left = form.cleaned_data["left"]
    rows = mailing_list.iter_members(
        countries=[country] if country else (),
        roles=[role] if role else (),
        include_departed=left in ("left", "all"),
    )
    if left == "left":
        rows = (m for m in rows if not m.on_list)
    page = WagtailPaginator(list(rows), MEMBERS_PER_PAGE).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    return TemplateResponse(
        request,
        "directory/admin/announcement_members.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "header_title": "Mailing list",
        },
    )


# --- announcements ----------------------------------------------------------------------------


def audience_choices():
    choices = [("", "No audience: the list as filtered above")]
    for key, audience in sorted(mailing_list.audiences().items()):
        choices.append(
            (audience.label, [(f"{key}:{value}", label) for value, label in audience.choices()])
        )
    return choices


class AnnouncementForm(forms.ModelForm):
    countries = forms.ModelMultipleChoiceField(
        Country.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every country.",
    )
    roles = forms.MultipleChoiceField(
        choices=mailing_list.ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every role.",
    )
    target_audience = forms.ChoiceField(
        label="Only the members who are also", required=False, choices=()
    )

    class Meta:
        model = Announcement
        fields = ["subject", "body", "countries", "roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_audience"].choices = audience_choices()
        if self.instance.audience:
            self.initial["target_audience"] = (
                f"{self.instance.audience}:{self.instance.audience_value}"
            )

    def save(self, commit=True):
        key, _, value = (self.cleaned_data.get("target_audience") or "").partition(":")
        self.instance.audience = key
        self.instance.audience_value = value
        return super().save(commit)


@helpdesk_only
@require_http_methods(["GET"])
def announcement_list(request):
    page = WagtailPaginator(Announcement.objects.all(), 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "directory/admin/announcement_list.html",
        {"page": page, "header_title": "Announcements"},
    )


@helpdesk_only
@require_http_methods(["GET", "POST"])
def announcement_edit(request, pk=None):
    announcement = get_object_or_404(Announcement, pk=pk) if pk else Announcement()
    if pk and announcement.status != Announcement.Status.DRAFT:
        messages.error(request, "This announcement is already sent or sending: it cannot change.")
        return redirect("announcement_detail", pk=pk)
    form = AnnouncementForm(request.POST or None, instance=announcement)
    if request.method == "POST" and form.is_valid():
        created = announcement.pk is None
        if created:
            form.instance.created_by = request.user
        announcement = form.save()
        announcements.saved(announcement, request.user, created)
        messages.success(request, "Saved. Check the preview and send yourself a test.")
        return redirect("announcement_detail", pk=announcement.pk)
    return TemplateResponse(
        request,
        "directory/admin/announcement_form.html",
        {
            "form": form,
            "announcement": announcement,
            "header_title": "Edit the announcement" if pk else "New announcement",
        },
    )


@helpdesk_only
@require_http_methods(["GET"])
def announcement_detail(request, pk):
    announcement = get_object_or_404(Announcement, pk=pk)
    sending = announcement.status == Announcement.Status.SENDING
    context = {
        "announcement": announcement,
        "targets": announcements.target_summary(announcement),
        "header_title": announcement.subject,
        "refresh_seconds": REFRESH_SECONDS if sending else None,
    }
    if announcement.status == Announcement.Status.DRAFT:
        subject, _text, html, _headers = announcements.compose(
            announcement,
            member_key=f"u:{request.user.pk}",
            name=request.user.get_full_name() or request.user.email,
            html=announcements.body_html(announcement),
        )
        context.update(
            preview_subject=subject,
            preview_html=html,
            members=announcements.recipients_count(announcement),
        )
    else:
        recipients = announcement.recipients.select_related("message").order_by("pk")
        context.update(
            progress=announcements.progress(announcement),
            page=WagtailPaginator(recipients, RECIPIENTS_PER_PAGE).get_page(request.GET.get("p")),
        )
    return TemplateResponse(request, "directory/admin/announcement_detail.html", context)


@helpdesk_only
@require_POST
def announcement_test(request, pk):
    announcement = get_object_or_404(Announcement, pk=pk)
    try:
        announcements.send_test(announcement, request.user)
    except mail.InvalidRecipient:
        messages.error(request, "Your account has no usable email address: nothing was sent.")
    else:
        messages.success(request, f"A test is on its way to {request.user.email}.")
    return redirect("announcement_detail", pk=pk)


@helpdesk_only
@require_http_methods(["GET", "POST"])
def announcement_send(request, pk):
    announcement = get_object_or_404(Announcement, pk=pk)
    if request.method == "POST":
        try:
            announcements.start_sending(announcement, request.user)
        except announcements.AnnouncementNotDraft:
            messages.error(request, "This announcement is already sent or sending.")
        else:
            messages.success(request, "Sending: this page shows the progress.")
        return redirect("announcement_detail", pk=pk)
    if announcement.status != Announcement.Status.DRAFT:
        return redirect("announcement_detail", pk=pk)
    return TemplateResponse(
        request,
        "directory/admin/announcement_send.html",
        {
            "announcement": announcement,
            "targets": announcements.target_summary(announcement),
            "members": announcements.recipients_count(announcement),
            "header_title": f"Send: {announcement.subject}",
        },
    )


@helpdesk_only
@require_POST
def announcement_resume(request, pk):
    announcement = get_object_or_404(Announcement, pk=pk)
    if announcements.resume_sending(announcement):
        messages.success(request, "Sending again: only those not yet sent to will get it.")
    return redirect("announcement_detail", pk=pk)


# --- registration -----------------------------------------------------------------------------


@hooks.register("register_admin_urls")
def announcement_urls():
    return [
        path("mailing-list/", members, name="mailing_list_members"),
        path("announcements/", announcement_list, name="announcement_list"),
        path("announcements/add/", announcement_edit, name="announcement_add"),
        path("announcements/<int:pk>/", announcement_detail, name="announcement_detail"),
        path("announcements/<int:pk>/edit/", announcement_edit, name="announcement_edit"),
        path("announcements/<int:pk>/test/", announcement_test, name="announcement_test"),
        path("announcements/<int:pk>/send/", announcement_send, name="announcement_send"),
        path("announcements/<int:pk>/resume/", announcement_resume, name="announcement_resume"),
    ]


class HelpdeskMenuItem(MenuItem):
    def is_shown(self, request):
        return mailing_list.may_send_announcements(request.user)


@hooks.register("register_admin_menu_item")
def announcements_menu_item():
    return HelpdeskMenuItem(
        "Announcements", reverse("announcement_list"), icon_name="mail", order=260
    )


@hooks.register("register_admin_menu_item")
def mailing_list_menu_item():
    return HelpdeskMenuItem(
        "Mailing list", reverse("mailing_list_members"), icon_name="group", order=261
    )


@hooks.register("register_log_actions")
def announcement_log_actions(actions):
    actions.register_action(announcements.TEST_ACTION, "Announcement test", "Sent a test")
    actions.register_action(announcements.SEND_ACTION, "Announcement send", "Started sending")
    actions.register_action(announcements.SENT_ACTION, "Announcement sent", "Finished sending")
    actions.register_action(mailing_list.LEAVE_ACTION, "Left the list", "Left the mailing list")
    actions.register_action(mailing_list.REJOIN_ACTION, "Rejoined", "Rejoined the mailing list")
