"""Content pages of the site: the home page, the information package and its pages, and site settings."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
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


class StandardPage(Page):
    """A page of the information package or any other plain content: procedures, functionalities."""

    summary = models.CharField(
        max_length=300, blank=True, help_text="One sentence, shown in listings of this page."
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]


class InformationPackagePage(Page):
    """The package every member receives: its pages (privacy, procedures, functionalities) and documents."""

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


class InformationPackageDocument(Orderable):
    """A document that belongs to the information package, e.g. a signed procedure as PDF."""

    page = ParentalKey(
        InformationPackagePage, on_delete=models.CASCADE, related_name="package_documents"
    )
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=200, blank=True)

    panels = [FieldPanel("document"), FieldPanel("description")]


class PrivacyStatementPage(Page):
    """The data-protection notice under Regulation (EU) 2018/1725, versioned.

    Enrolment records the version in force when a clinician consents, so a new version
    is a new label and effective date rather than a silent edit.
    """

    version_label = models.CharField(
        max_length=40, help_text="Shown to readers and stored with each consent, e.g. '1.0'."
    )
    effective_date = models.DateField(help_text="The date from which this version applies.")
    summary = models.CharField(max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("version_label"), FieldPanel("effective_date")], "Version"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["home.InformationPackagePage"]

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
