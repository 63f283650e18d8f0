"""Countries, hospitals and clinicians of the network: its address book, which holds personal data."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from wagtail.fields import RichTextField
from wagtail.search import index

MAX_CONTACT_PERSONS = 2


def match_text(value):
    """How names and cities are compared: case and surrounding or doubled spaces ignored."""
    return re.sub(r"\s+", " ", (value or "").strip()).casefold()


class Country(models.Model):
    """A country of the network (EU, EEA or the UK) and the time zone used to schedule its clinicians."""

    class Membership(models.TextChoices):
        EU = "EU", "EU member state"
        EEA = "EEA", "EEA state"
        OTHER = "OTHER", "Other"

    code = models.CharField("ISO code", max_length=2, unique=True)
    name = models.CharField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/Brussels.")
    membership = models.CharField(max_length=5, choices=Membership.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.name


class Hospital(index.Indexed, models.Model):
    """A reference hospital taking part in the network (or that once did)."""

    name = models.CharField(max_length=255)
    city = models.CharField(max_length=120, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="hospitals")
    website = models.URLField(max_length=300, blank=True)
    ern_memberships = models.CharField(
        "ERN memberships",
        max_length=500,
        blank=True,
        help_text="European Reference Networks the hospital belongs to, comma-separated.",
    )
    taking_part = models.BooleanField(default=True)
    last_verified = models.DateField(null=True, blank=True)
    staff_notes = models.TextField(blank=True, help_text="Seen by staff only.")
    # name and city as compared (see match_text): the import matches hospitals on these.
    match_name = models.CharField(max_length=255, editable=False, db_index=True)
    match_city = models.CharField(max_length=120, editable=False, blank=True)
    # Folded name, city and country, for the directory search (see directory/search.py).
    search_text = models.CharField(max_length=500, editable=False, blank=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("city"),
        index.FilterField("country"),
        index.FilterField("taking_part"),
    ]

    class Meta:
        ordering = ["country__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "match_name", "match_city"], name="hospital_unique_per_city"
            )
        ]

    def __str__(self):
        return f"{self.name}, {self.city}" if self.city else self.name

    def save(self, *args, **kwargs):
        from directory.search import clinician_search_text, hospital_search_text

        self.match_name = match_text(self.name)
        self.match_city = match_text(self.city)
        self.search_text = hospital_search_text(self)
        super().save(*args, **kwargs)
        # Clinicians are found by their hospital's name and city too.
        clinicians = list(self.clinicians.all())
        for clinician in clinicians:
            clinician.search_text = clinician_search_text(clinician, self)
        Clinician.objects.bulk_update(clinicians, ["search_text"], batch_size=500)


class Clinician(index.Indexed, models.Model):
    """A clinician of a member hospital; their contact details are personal data."""

    class Role(models.TextChoices):
        CONTACT_PERSON = "contact", "Contact person"
        CASE_MANAGER = "case_manager", "Case manager"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Email unconfirmed"
        AWAITING = "awaiting", "Awaiting approval"
        APPROVED = "approved", "Approved"
        SUSPENDED = "suspended", "Suspended"

    class Source(models.TextChoices):
        ENROLMENT = "enrolment", "Enrolment"
        IMPORT = "import", "Import"
        HELPDESK = "helpdesk", "Helpdesk"
        NATIONAL_CONTACT_POINT = "ncp", "National contact point"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    specialty = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)
    languages = models.CharField(
        max_length=200, blank=True, help_text="Languages for conferences, comma-separated."
    )
    hospital = models.ForeignKey(
        Hospital, null=True, blank=True, on_delete=models.SET_NULL, related_name="clinicians"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNCONFIRMED)
    privacy_version = models.CharField(
        "privacy statement version consented to", max_length=80, blank=True
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    mailing_opt_out = models.BooleanField("left the mailing list", default=False)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Only if different from the hospital's country."
    )
    last_verified = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.HELPDESK)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clinician",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Folded names, specialty, languages and hospital, for the directory search.
    search_text = models.CharField(max_length=1000, editable=False, blank=True)

    search_fields = [
        index.SearchField("first_name"),
        index.SearchField("last_name"),
        index.AutocompleteField("last_name"),
        index.SearchField("specialty"),
        index.FilterField("status"),
        index.FilterField("role"),
        index.FilterField("hospital"),
    ]

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="clinician_email_unique_ci"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        from directory.search import clinician_search_text

        self.email = (self.email or "").strip().lower()
        self.search_text = clinician_search_text(self, self.hospital if self.hospital_id else None)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        if not self.takes_a_contact_place:
            super().save(*args, **kwargs)
            return
        # The last word on the two-contact-persons rule, for writers that did not ask the
        # service first (services/contact_persons.py: it locks the hospital row and counts).
        # Imported here: the service imports this module.
        from directory.services import contact_persons

        with transaction.atomic():
            contact_persons.reserve(self)
            super().save(*args, **kwargs)

    @property
    def takes_a_contact_place(self):
        return (
            self.role == self.Role.CONTACT_PERSON
            and self.hospital_id is not None
            and self.status != self.Status.SUSPENDED
        )

    @property
    def full_name(self):
        return str(self)

    @property
    def effective_time_zone(self):
        if self.time_zone:
            return self.time_zone
        if self.hospital_id:
            return self.hospital.country.time_zone
        return settings.TIME_ZONE

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()
        errors = {}
        if self.email:
            clash = Clinician.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if clash.exists():
                errors["email"] = "Another clinician already uses this email address."
        if self.takes_a_contact_place:
            from directory.services import contact_persons

            if not contact_persons.has_room(self.hospital_id, exclude=self.pk):
                errors["role"] = contact_persons.message(self.hospital)
        if errors:
            raise ValidationError(errors)


class DirectoryImportRun(models.Model):
    """One import of the directory spreadsheet from the admin, run by a background task
    (directory/tasks.py) so that the helpdesk can watch its progress; the file waits in
    DIRECTORY_IMPORT_DIR under `stored_name` until the import is done, so a failed run can be
    started again."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=100, editable=False)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    # What the import did: rows, hospitals and clinicians by action, and the first issues.
    counts = models.JSONField(default=dict, blank=True)
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import of {self.filename} ({self.get_status_display().lower()})"

    @property
    def in_progress(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class MailingListDeparture(models.Model):
    """A national contact point without a clinician record who left the mailing list (a clinician
    who leaves has `Clinician.mailing_opt_out` set instead); see directory/mailing_list.py."""

    email = models.EmailField(max_length=254, unique=True)
    left_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mailing list departure"

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class Announcement(models.Model):
    """News the helpdesk sends to the mailing list, or to part of it (countries, roles, an
    audience such as a webinar's registrants); sent by a background task, one stored message per
    recipient (directory/services/announcements.py)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    subject = models.CharField(max_length=200)
    body = RichTextField(features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])
    countries = models.ManyToManyField(
        Country, blank=True, related_name="+", help_text="None chosen: every country."
    )
    # Role keys of directory/mailing_list.py ROLES; empty: every role.
    roles = models.JSONField(default=list, blank=True)
    # An audience of the registry in directory/mailing_list.py (e.g. a webinar's registrants).
    audience = models.CharField(max_length=60, blank=True)
    audience_value = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    recipients_total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    test_sent_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.subject


class AnnouncementRecipient(models.Model):
    """One member an announcement goes to, written before anything is sent; `message` is set in
    the transaction that stores the member's one OutgoingMessage, so a send run again skips them."""

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="recipients"
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    # The unsubscribe token's subject: "c:<clinician pk>" or "u:<user pk>".
    member_key = models.CharField(max_length=40)
    # Erasing a clinician removes the rows that name them.
    clinician = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.OneToOneField(
        "mail.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="announcement_recipient",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "email"], name="announcement_recipient_once"
            )
        ]

    def __str__(self):
        return f"{self.announcement} → {self.email}"


class PackageDelivery(models.Model):
    """The information package sent to one person: which version, when, and the stored message
    (directory/services/package_mail.py). One per version and address, so a send run again, or
    an approval retried, sends no one the same version twice."""

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    version = models.ForeignKey(
        "home.InformationPackageVersion", on_delete=models.PROTECT, related_name="deliveries"
    )
    email = models.EmailField(max_length=254)
    # Erasing a clinician removes the rows that name them.
    clinician = models.ForeignKey(
        Clinician,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="package_deliveries",
    )
    message = models.OneToOneField(
        "mail.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="package_delivery",
    )
    # "list" (sent to the mailing list by the helpdesk), "approval" or "helpdesk" (to one person).
    reason = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name_plural = "package deliveries"
        constraints = [
            models.UniqueConstraint(fields=["version", "email"], name="package_delivery_once")
        ]

    def __str__(self):
        return f"{self.version} → {self.email}"
