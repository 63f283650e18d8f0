"""Content pages of the site: the home page, the information package and its pages, and site settings."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .blocks import BodyBlock
from .navigation import without_dead_links


class HomePage(Page):
    """The front door: what the network offers, what to do next, and the webinars coming up."""

    introduction = RichTextField(
        features=["bold", "italic", "link"],
        blank=True,
        help_text="Two or three sentences: who the network is for and what it offers.",
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        InlinePanel("calls_to_action", label="Calls to action", max_num=4),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # A card whose target on this site does not exist (yet) is left out: no link to a 404.
        context["calls_to_action"] = without_dead_links(
            list(self.calls_to_action.select_related("link_page")), lambda cta: cta.href, request
        )
        return context


class HomePageCallToAction(Orderable):
    """A prominent link on the home page, to a page of the site or to a URL."""

    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="calls_to_action")
    label = models.CharField(max_length=80, help_text="The words on the button, e.g. 'Enrol'.")
    description = models.CharField(max_length=200, blank=True)
    link_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link_url = models.CharField(
        "or a link", max_length=300, blank=True, help_text="A path such as /enrol/ or a full URL."
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("description"),
        PageChooserPanel("link_page"),
        FieldPanel("link_url"),
    ]

    @property
    def href(self):
        if self.link_page_id:
            # url_path of the linked page was selected with it: no extra query on a single site.
            return self.link_page.get_url()
        return self.link_url or "#"


def in_package_field():
    """Whether a child page of the information package is part of the package that members are
    sent (printable page, PDF, version); editors untick it for a page only read online."""
    return models.BooleanField(
        "part of the information package",
        default=True,
        help_text=(
            "Included in the printable package and its PDF, and sent to members, when this page "
            "is a public page under the information package. Publishing it makes a new version "
            "of the package."
        ),
    )


class StandardPage(Page):
    """A page of the information package or any other plain content: procedures, functionalities."""

    summary = models.CharField(
        max_length=300, blank=True, help_text="One sentence, shown in listings of this page."
    )
    body = StreamField(BodyBlock(), blank=True)
    in_package = in_package_field()

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    settings_panels = [*Page.settings_panels, FieldPanel("in_package")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]


class InformationPackagePage(RoutablePageMixin, Page):
    """The package every member receives: its pages (privacy, procedures, functionalities) and documents.

    The package is this page's public live children marked "part of the information package",
    and its documents; its version (InformationPackageVersion) changes when one of them is
    published anew (home/services/package.py). ``print/`` shows the whole package as one
    printable page, ``pdf/`` the same as a PDF made on the server.
    """

    introduction = RichTextField(features=["bold", "italic", "link"], blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        InlinePanel("package_documents", label="Package documents"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    subpage_types = ["home.StandardPage", "home.PrivacyStatementPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["package_pages"] = self.get_children().live().public().specific()
        context["package_documents"] = list(self.package_documents.select_related("document"))
        return context

    @path("print/", name="print")
    def print_route(self, request):
        from home.views import information_package_print

        return information_package_print(request, self)

    @path("pdf/", name="pdf")
    def pdf_route(self, request):
        from home.views import information_package_pdf

        return information_package_pdf(request, self)


class InformationPackageDocument(Orderable):
    """A document that belongs to the information package, e.g. a signed procedure as PDF."""

    page = ParentalKey(
        InformationPackagePage, on_delete=models.CASCADE, related_name="package_documents"
    )
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=200, blank=True)

    panels = [FieldPanel("document"), FieldPanel("description")]


class PrivacyStatementForm(WagtailAdminPageForm):
    """Refuses to publish (or send to moderation) a changed statement under the label in force,
    so the editor gives the new version its label before anyone approves it."""

    SENDING_ACTIONS = (
        "action-publish",
        "action-submit",
        "action-restart-workflow",
        "action-workflow-action",
    )

    def clean(self):
        cleaned_data = super().clean()
        if not any(self.data.get(action) for action in self.SENDING_ACTIONS):
            return cleaned_data
        from home.services.privacy import changed_under_same_label

        message = changed_under_same_label(self.instance, cleaned_data)
        if message:
            self.add_error("version_label", message)
        return cleaned_data


class PrivacyStatementPage(Page):
    """The data-protection notice under Regulation (EU) 2018/1725, versioned.

    Enrolment records the version in force when a clinician consents, so a new version
    is a new label and effective date rather than a silent edit.
    """

    version_label = models.CharField(
        max_length=40, help_text="Shown to readers and stored with each consent, e.g. '1.0'."
    )
    effective_date = models.DateField(help_text="The date from which this version applies.")
    what_changed = models.TextField(
        "what changed",
        blank=True,
        help_text=(
            "For a new version: what is different from the previous one, in a few sentences. "
            "Members are sent this by email when the new version is published."
        ),
    )
    summary = models.CharField(max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True)
    in_package = in_package_field()

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("version_label"), FieldPanel("effective_date"), FieldPanel("what_changed")],
            "Version",
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    settings_panels = [*Page.settings_panels, FieldPanel("in_package")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["home.InformationPackagePage"]
    base_form_class = PrivacyStatementForm

    @classmethod
    def in_force(cls, on=None):
        """The live privacy statement in force on a date (today by default), or None."""
        on = on or timezone.localdate()
        return (
            cls.objects.live()
            .filter(effective_date__lte=on)
            .order_by("-effective_date", "-last_published_at")
            .first()
        )

    @property
    def version(self):
        return f"{self.version_label} ({self.effective_date:%d %B %Y})"


class InformationPackageVersion(models.Model):
    """One version of the information package: a number that goes up by one each time a page or
    document of the package is published anew, and the fingerprint of what it held then
    (home/services/package.py). Deliveries record the version they sent."""

    package = models.ForeignKey(
        InformationPackagePage, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    # The titles of its pages and documents, in order, as they were in this version.
    contents = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="package_version_once")
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return f"Version {self.number} of {timezone.localtime(self.created_at):%d %B %Y}"


class PrivacyStatementVersion(models.Model):
    """A version label of the privacy statement once it was published: the history that consents
    refer to, and the mark that members were told about it (``members_told_at``)."""

    label = models.CharField(max_length=40, unique=True)
    page = models.ForeignKey(
        PrivacyStatementPage, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    what_changed = models.TextField(blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    members_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self):
        return self.label


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    """Operational settings the helpdesk can change without a deployment."""

    helpdesk_email = models.EmailField(
        default="helpdesk@cmss.example.eu",
        help_text="Replies and calendar invitations come from this mailbox.",
    )
    organiser_name = models.CharField(
        max_length=120,
        default="CMSS helpdesk",
        help_text="The organiser shown in calendar invitations and emails.",
    )
    participant_limit = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(2), MaxValueValidator(10000)],
        help_text="Participants the Webex licence allows per meeting or webinar.",
    )
    retention_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=(
            "How many days the site keeps what it needs only for a while. After that many days it "
            "erases: the text and attachments of emails sent (the log still shows who was sent "
            "what, when, and whether it arrived); spreadsheets uploaded to import the directory; "
            "the mail provider's delivery reports once recorded; and, as features are added, what "
            "they keep for this period (such as the text of case conference requests, counted "
            "from the conference). The directory's names and contact details are not affected."
        ),
    )

    panels = [
        MultiFieldPanel([FieldPanel("helpdesk_email"), FieldPanel("organiser_name")], "Helpdesk"),
        MultiFieldPanel([FieldPanel("participant_limit"), FieldPanel("retention_days")], "Limits"),
    ]

    class Meta:
        verbose_name = "CMSS settings"
