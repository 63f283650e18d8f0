"""The helpdesk's view of outgoing mail in the Wagtail admin (wagtail_modeladmin), with a resend action.

Registered from wagtail_hooks.py. Listing and inspecting need ``mail.view_outgoingmessage``;
resending needs ``mail.resend_outgoingmessage`` (the Helpdesk group has both, see migration
0002). Nothing here edits or deletes a logged message, shows the body of one that carried a
one-time code, or resends it.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import re_path
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup
from wagtail_modeladmin.views import HistoryView, IndexView

from cms.mail import services
from cms.mail.models import OutgoingMessage, SuppressedAddress


class PermissionCheckedHistoryView(HistoryView):
    """wagtail-modeladmin's history view asks for no permission at all (its other views do): an
    object's history is for those who may see the listing. Without this, any staff member could
    read who was mailed what, or every booking's changes, at /admin/<app>/<model>/history/<id>/."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_list(user)


class ForgivingIndexView(IndexView):
    """wagtail-modeladmin's listing answers 500 to a query parameter it does not know (``?foo=1``,
    a filter from an old bookmark); Django's own admin shows the list instead. So does this one,
    without the parameters, and says why."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            messages.warning(
                request, "The address asked for a filter this list does not have: showing it all."
            )
            return redirect(request.path)


class ReadOnlyPermissionHelper(PermissionHelper):
    """No add, edit or delete in the admin: what it lists is written by the services only."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class LogPermissionHelper(ReadOnlyPermissionHelper):
    """A log: seen with the view permission, never added to or edited by hand."""

    def user_can_list(self, user):
        return self.user_has_specific_permission(user, f"view_{self.opts.model_name}")

    def user_can_inspect_obj(self, user, obj):
        return self.inspect_view_enabled and self.user_can_list(user)

    def user_can_resend(self, user):
        return self.user_has_specific_permission(user, "resend_outgoingmessage")


class FlaggedAddressPermissionHelper(LogPermissionHelper):
    """Flags come from the webhook; the helpdesk may lift one by deleting it."""

    def user_can_delete_obj(self, user, obj):
        return self.user_has_specific_permission(user, "delete_suppressedaddress")


class OutgoingMessageButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        resendable = not obj.carries_secret and obj.status != OutgoingMessage.Status.CANCELLED
        if resendable and self.permission_helper.user_can_resend(self.request.user):
            buttons.append(
                {
                    "url": self.url_helper.get_action_url("resend", quote(obj.pk)),
                    "label": "Resend",
                    "classname": self.finalise_classname(classnames_add, classnames_exclude),
                    "title": f"Send this message to {obj.recipient} again",
                }
            )
        return buttons


class OutgoingMessageAdmin(ModelAdmin):
    model = OutgoingMessage
    menu_label = "Outgoing mail"
    menu_icon = "mail"
    list_display = (
        "created_at",
        "recipient_display",
        "subject",
        "kind",
        "status_detail",
        "attempts",
    )
    list_filter = ("status", "kind", "created_at")
    search_fields = ("recipient", "recipient_name", "subject", "provider_message_id")
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = (
        "recipient",
        "recipient_name",
        "subject",
        "kind",
        "status",
        "attempts",
        "last_error",
        "provider_message_id",
        "created_at",
        "sent_at",
        "resent_from",
        "body_shown",
    )
    permission_helper_class = LogPermissionHelper
    button_helper_class = OutgoingMessageButtonHelper
    history_view_class = PermissionCheckedHistoryView
    index_view_class = ForgivingIndexView

    @staticmethod
    def status_detail(obj):
        if (
            obj.status in (OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENT)
            or not obj.last_error
        ):
            return obj.get_status_display()
        return f"{obj.get_status_display()}: {Truncator(obj.last_error).chars(160)}"

    status_detail.short_description = "Status"

    def get_admin_urls_for_registration(self):
        return super().get_admin_urls_for_registration() + (
            re_path(
                self.url_helper.get_action_url_pattern("resend"),
                self.resend_view,
                name=self.url_helper.get_action_url_name("resend"),
            ),
        )

    def resend_view(self, request, instance_pk):
        return resend_message(request, instance_pk, self)


@require_http_methods(["GET", "POST"])
def resend_message(request, instance_pk, model_admin):
    """Confirm (GET) and queue (POST) a copy of a logged message."""
    if not model_admin.permission_helper.user_can_resend(request.user):
        raise PermissionDenied
    message = get_object_or_404(OutgoingMessage, pk=instance_pk)
    index_url = model_admin.url_helper.index_url
    try:
        services.check_resendable(message)
    except services.CannotResend as error:
        messages.error(request, str(error))
        return redirect(index_url)
    if request.method == "POST":
        copy = services.resend(message)
        if copy.status == OutgoingMessage.Status.HELD:
            messages.warning(request, f"Not sent: {copy.last_error}")
        else:
            messages.success(
                request, f"A copy of “{message.subject}” to {message.recipient} is queued."
            )
        return redirect(index_url)
    return TemplateResponse(
        request,
        "mail/admin/confirm_resend.html",
        {"message": message, "index_url": index_url, "view": model_admin},
    )


class FlaggedAddressAdmin(ModelAdmin):
    model = SuppressedAddress
    menu_label = "Flagged addresses"
    menu_icon = "warning"
    list_display = ("email", "reason", "created_at")
    search_fields = ("email", "reason")
    permission_helper_class = FlaggedAddressPermissionHelper
    history_view_class = PermissionCheckedHistoryView
    index_view_class = ForgivingIndexView


class MailAdminGroup(ModelAdminGroup):
    menu_label = "Mail"
    menu_icon = "mail"
    menu_order = 300
    items = (OutgoingMessageAdmin, FlaggedAddressAdmin)
