"""Admin views of the directory: hospital and clinician snippets, cut down to the user's countries.

Every view that reaches rows (listing, export, edit, delete, copy, history, usage, inspect,
chooser, approve and suspend) goes through services/access.py, so a national contact point gets a
404 for another country's rows rather than a page that merely hides them.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_list_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property, classproperty
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.views.generic.base import BaseOperationView, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views import chooser as chooser_views
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from directory import committee
from directory.models import Clinician, Hospital
from directory.services import access, approval, contact_persons, exports

PHONE_FIELDS = {"phone"}
CHOOSER_ACTIONS = ("add", "change", "delete", "view")


class ScopedObjectMixin:
    """Raise 404 for a hospital or clinician outside the user's countries."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not access.in_scope(self.request.user, obj):
            raise Http404
        return obj


class ScopedFormMixin:
    """Offer only the user's countries and hospitals in the create and edit forms."""

    def get_form(self, *args, **kwargs):
        return access.limit_form_choices(super().get_form(*args, **kwargs), self.request.user)


class DirectoryIndexView(snippet_views.IndexView):
    """The listing and its CSV/XLSX export: the import's column names (an exported file, edited and
    imported again, changes nothing), formula-safe cells, a UTF-8 BOM before a CSV (so that Excel
    reads accented names right) and an audit-log entry per export."""

    def stream_csv(self, queryset):
        yield exports.CSV_BOM
        yield from super().stream_csv(queryset)

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return exports.spreadsheet_safe(value, export_format, phone=field in PHONE_FIELDS)

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in super().generate_xlsx_row(worksheet, row_dict, date_format=date_format):
            # A string cell is a text cell, whatever it starts with (formulae and phone numbers).
            if isinstance(cell.value, str):
                cell.data_type = "s"
            yield cell

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # A page of clinicians (contact details) opened by the Health Security Committee is
        # recorded; an export is recorded by as_spreadsheet below, for everyone.
        if (
            self.model is Clinician
            and not self.is_export
            and response.status_code == 200
            and committee.is_committee_member(request.user)
        ):
            paginator = getattr(self, "paginator", None)
            rows = paginator.count if paginator is not None else None
            committee.log_contact_details_view(request, "admin clinician list", rows)
        return response

    def as_spreadsheet(self, queryset, spreadsheet_format):
        filters = {key: values for key, values in self.request.GET.lists() if key != "export"}
        exports.log_export(
            self.request.user, self.model, spreadsheet_format, filters, queryset.count()
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)


class ClinicianWriteMixin:
    """A clinician saved from the admin: the contact-person rule checked by its service with the
    hospital row locked (services/contact_persons.py), said on the form rather than as an error
    page. A clinician added (or copied) awaits approval, like an enrolment: the status is not in
    the form, and only the approve action (services/approval.py) approves, logs it and sends the
    welcome. The source says who added them."""

    new_clinician = False

    def save_instance(self):
        instance = self.form.instance
        if not isinstance(instance, Clinician):
            return super().save_instance()
        if self.new_clinician:
            instance.status = Clinician.Status.AWAITING
            everywhere = access.countries_for_user(self.request.user) is None
            instance.source = (
                Clinician.Source.HELPDESK if everywhere else Clinician.Source.NATIONAL_CONTACT_POINT
            )
        with transaction.atomic():
            contact_persons.reserve(instance)
            return super().save_instance()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as refused:
            form.add_error(None, refused)
            return self.form_invalid(form)


class EditView(ClinicianWriteMixin, ScopedFormMixin, ScopedObjectMixin, snippet_views.EditView):
    pass


class CreateView(ClinicianWriteMixin, ScopedFormMixin, snippet_views.CreateView):
    new_clinician = True


class CopyView(ClinicianWriteMixin, ScopedFormMixin, ScopedObjectMixin, snippet_views.CopyView):
    new_clinician = True


class DeleteView(ScopedObjectMixin, snippet_views.DeleteView):
    pass


class UsageView(ScopedObjectMixin, snippet_views.UsageView):
    pass


class HistoryView(ScopedObjectMixin, snippet_views.HistoryView):
    pass


class InspectView(ScopedObjectMixin, snippet_views.InspectView):
    pass


class ScopedChooserMixin:
    """Choosers: for those with some right on the model (Wagtail asks for none), and only the
    rows of their countries."""

    def dispatch(self, request, *args, **kwargs):
        model = self.model_class
        codenames = [f"{action}_{model._meta.model_name}" for action in CHOOSER_ACTIONS]
        if not any(request.user.has_perm(f"{model._meta.app_label}.{c}") for c in codenames):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object_list(self):
        return access.visible_to(self.request.user, super().get_object_list())


class ChooseView(ScopedChooserMixin, chooser_views.ChooseView):
    pass


class ChooseResultsView(ScopedChooserMixin, chooser_views.ChooseResultsView):
    pass


class ChosenView(ScopedChooserMixin, chooser_views.SnippetChosenView):
    def get_object(self, pk):
        return access.visible_to(self.request.user, self.model_class.objects.all()).get(pk=pk)


class ChosenMultipleView(ScopedChooserMixin, chooser_views.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return access.visible_to(self.request.user, super().get_objects(pks))


class DirectoryChooserViewSet(chooser_views.SnippetChooserViewSet):
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    chosen_multiple_view_class = ChosenMultipleView


class DirectoryViewSet(SnippetViewSet):
    """Common ground of the hospital and clinician snippets: scoped views, ORM search, export."""

    index_view_class = DirectoryIndexView
    add_view_class = CreateView
    edit_view_class = EditView
    copy_view_class = CopyView
    delete_view_class = DeleteView
    usage_view_class = UsageView
    history_view_class = HistoryView
    inspect_view_class = InspectView
    chooser_viewset_class = DirectoryChooserViewSet
    # Plain database search (icontains) over search_fields: it accepts any scoping filter.
    search_backend_name = None
    related = ()

    def get_queryset(self, request):
        queryset = self.model._default_manager.all()
        if self.related:  # select_related() without names would follow every foreign key
            queryset = queryset.select_related(*self.related)
        if (
            committee.is_committee_member(request.user)
            and access.countries_for_user(request.user) == frozenset()
        ):
            # The committee reads every country (its group has view rights only; the views
            # that change or delete check in_scope, which keeps them out).
            return queryset
        return access.visible_to(request.user, queryset)


class HospitalViewSet(DirectoryViewSet):
    model = Hospital
    icon = "site"
    menu_order = 100
    related = ("country",)
    list_display = ["name", "city", "country", "taking_part", "last_verified"]
    list_filter = ["country", "taking_part"]
    search_fields = ["name", "city"]
    # The import's columns first (services/exports.py), then what only the admin keeps.
    list_export = [
        "country.code",
        "name",
        "city",
        "website",
        "ern_memberships",
        "taking_part",
        "last_verified",
    ]
    export_headings = exports.HOSPITAL_HEADINGS
    export_filename = "hospitals"


class ClinicianStatusView(PermissionCheckedMixin, WagtailAdminTemplateMixin, BaseOperationView):
    """Approve or suspend a clinician. GET shows a page that names them and says what the change
    will do; POST makes it through services/approval.py and says what happened."""

    permission_required = "change"
    template_name = "directory/admin/clinician_status_confirm.html"
    header_icon = "user"
    operation = None
    verb = ""
    target_status = None
    done_message = ""
    unchanged_message = ""
    index_url_name = None

    def get_base_object_queryset(self):
        return access.clinicians_visible_to(self.request.user)

    def get_page_title(self):
        return f"{self.verb} {self.object}"

    def consequences(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            clinician=self.object,
            verb=self.verb,
            already=self.object.status == self.target_status,
            consequences=self.consequences(),
            cancel_url=self.get_success_url(),
        )
        return context

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def perform_operation(self):
        self.changed = self.operation(self.object, self.request.user)

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as refused:
            # The contact-person rule (services/contact_persons.py): say why, change nothing.
            for text in refused.messages:
                messages.error(request, text)
            return redirect(self.get_success_url())

    def get_success_message(self):
        text = self.done_message if self.changed else self.unchanged_message
        return text.format(clinician=self.object)

    def get_success_url(self):
        return self.next_url or reverse(self.index_url_name)


class ApproveClinicianView(ClinicianStatusView):
    operation = staticmethod(approval.approve_clinician)
    verb = "Approve"
    target_status = Clinician.Status.APPROVED
    done_message = "Approved {clinician}. A welcome email is on its way."
    unchanged_message = "{clinician} was already approved: nothing changed, no email was sent."

    def consequences(self):
        clinician = self.object
        return [
            "They can sign in and see the directory's contact details, request case conferences "
            "and register for webinars.",
            f"We send them the welcome email with the information package, to {clinician.email}.",
            "They stay off the network's mailing list, which they left earlier."
            if clinician.mailing_opt_out
            else "They join the network's mailing list (every message says how to leave it).",
        ]


class SuspendClinicianView(ClinicianStatusView):
    operation = staticmethod(approval.suspend_clinician)
    verb = "Suspend"
    target_status = Clinician.Status.SUSPENDED
    done_message = "Suspended {clinician}. They can no longer see the directory."
    unchanged_message = "{clinician} was already suspended: nothing changed."

    def consequences(self):
        clinician = self.object
        items = [
            "They can no longer see the directory or request case conferences, and they leave "
            "the mailing list. No email is sent to them.",
            "Their record stays in the list, marked Suspended: you can approve them again later.",
        ]
        if clinician.takes_a_contact_place:
            items.append(f"Their contact-person place at {clinician.hospital.name} becomes free.")
        return items


class ClinicianViewSet(DirectoryViewSet):
    model = Clinician
    icon = "user"
    menu_order = 200

    @cached_property
    def menu_item_class(self):
        """The menu item says how many enrolments await the user's approval."""

        class ClinicianMenuItem(super().menu_item_class):
            def render_component(self, request):
                component = super().render_component(request)
                waiting = approval.awaiting_approval(request.user).count()
                if waiting:
                    component.label = f"{component.label} ({waiting} waiting)"
                return component

        return ClinicianMenuItem

    related = ("hospital__country",)
    # What an editor keeps up to date. Not the status (approve and suspend are actions, through
    # services/approval.py: audit entry and welcome email), nor the user account, the source or
    # the consent record (the clinician's own, from enrolment), nor their mailing-list choice.
    panels = [
        FieldPanel(name)
        for name in (
            "first_name",
            "last_name",
            "email",
            "phone",
            "specialty",
            "role",
            "languages",
            "hospital",
            "time_zone",
            "last_verified",
        )
    ]
    list_display = ["__str__", "email", "hospital", "role", "status"]
    list_filter = ["hospital__country", "status", "role", "hospital__taking_part"]
    search_fields = ["first_name", "last_name", "email", "specialty", "hospital__name"]
    list_export = [
        "hospital.country.code",
        "hospital.name",
        "hospital.city",
        "first_name",
        "last_name",
        "email",
        "phone",
        "specialty",
        "get_role_display",  # "Contact person", as the import reads it
        "languages",
        "get_status_display",
        "last_verified",
    ]
    export_headings = exports.CLINICIAN_HEADINGS
    export_filename = "clinicians"

    def status_view(self, view_class):
        return self.construct_view(view_class, index_url_name=self.get_url_name("list"))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "approve/<str:pk>/",
                self.status_view(ApproveClinicianView),
                name="approve",
            ),
            path(
                "suspend/<str:pk>/",
                self.status_view(SuspendClinicianView),
                name="suspend",
            ),
        ]


class DirectoryDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk delete of snippets, for hospitals and clinicians: only for those who may
    delete them, and only the rows of the user's countries (others are left out, as if they did
    not exist). Wagtail's own lists every id asked for by name, "no permission" or not.

    Registered after Wagtail's (directory/wagtail_hooks.py), which it replaces for these models.
    """

    @classproperty
    def models(cls):
        return [Hospital, Clinician]

    def dispatch(self, request, *args, **kwargs):
        if not self.permission_policy.user_has_permission(request.user, "delete"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self, model, object_ids):
        scoped = access.visible_to(self.request.user, model._default_manager.all())
        return get_list_or_404(scoped, pk__in=object_ids)


class DirectoryViewSetGroup(SnippetViewSetGroup):
    menu_label = "Directory"
    menu_icon = "group"
    menu_order = 250
    items = (HospitalViewSet, ClinicianViewSet)

    def get_submenu_items(self):
        from directory.import_views import may_import

        class ImportMenuItem(MenuItem):
            def is_shown(self, request):
                return may_import(request.user)

        return [
            *super().get_submenu_items(),
            ImportMenuItem("Import spreadsheet", reverse("directory_import"), icon_name="upload"),
        ]


def clinician_status_buttons(clinician, user, next_url=None):
    """Approve and suspend buttons for a clinician's row, for those who may change them. Each
    opens the page that asks for confirmation."""
    if not isinstance(clinician, Clinician) or not approval.may_approve(user):
        return []
    viewset = Clinician.snippet_viewset
    buttons = []
    for name, label, hidden_for in (
        ("approve", "Approve", Clinician.Status.APPROVED),
        ("suspend", "Suspend", Clinician.Status.SUSPENDED),
    ):
        if clinician.status == hidden_for:
            continue
        url = reverse(viewset.get_url_name(name), args=[clinician.pk])
        if next_url:
            url = f"{url}?{urlencode({'next': next_url})}"
        buttons.append(
            Button(
                label,
                url=url,
                icon_name="check" if name == "approve" else "cross",
                priority=10,
            )
        )
    return buttons
