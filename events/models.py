"""Webinars, registrations, proposals and case conferences (built out by the events work).

A WebexBooking is one meeting or webinar that CMSS asks Webex for. It exists before Webex
says yes, so that nothing is lost when Webex is slow or down: a booking stays pending, shows
what went wrong, and is tried again from the admin or by a task until it is booked.
"""

import datetime
import secrets
import uuid
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from events.panels import WebexBookingPanel
from events.zones import clinician_zone_name, is_known_zone
from home.blocks import BodyBlock


def validate_time_zone(value):
    if not is_known_zone(value):
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Brussels.")


def default_time_zone():
    return settings.TIME_ZONE


class WebexBooking(models.Model):
    """A case conference meeting or a webinar on Webex, and where booking it has got to."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting (case conference)"
        WEBINAR = "webinar", "Webinar"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Webex"
        BOOKED = "booked", "Booked"
        CANCELLING = "cancelling", "Cancelling on Webex"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MEETING)
    title = models.CharField(max_length=128)
    agenda = models.TextField(max_length=1300, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    record_automatically = models.BooleanField(
        default=False, help_text="Webex records it (webinars only, and only if the speaker agreed)."
    )

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # True when start, end, title or agenda changed here and Webex has not been told yet.
    changed_since_booked = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_error_tracking_id = models.CharField("Webex trackingId", max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker talks to Webex about this booking, so a second one keeps out.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    # Our key for the meeting on Webex (its integrationTags): a retry finds the meeting an
    # earlier try made instead of making another.
    integration_tag = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webex_meeting_id = models.CharField("Webex meeting series id", max_length=100, blank=True)
    meeting_number = models.CharField(max_length=32, blank=True)
    web_link = models.URLField(max_length=500, blank=True)
    password = models.CharField(max_length=64, blank=True)
    sip_address = models.CharField("SIP address", max_length=200, blank=True)
    access_code = models.CharField(max_length=32, blank=True)
    call_in_numbers = models.JSONField(default=list, blank=True)
    # Every [start, end] (ISO 8601) this booking had when it was tried while pending: a try
    # whose answer was lost made the meeting at that time, so a later try looks there too,
    # even after the booking has moved.
    tried_windows = models.JSONField(default=list, blank=True, editable=False)
    # The iCalendar SEQUENCE of the invitation: raised whenever the meeting changes.
    sequence = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = "Webex booking"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="webex_booking_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title} ({self.start:%Y-%m-%d %H:%M})"

    def save(self, *args, update_fields=None, **kwargs):
        # A try raises `attempts` as it claims the booking: a pending booking then records
        # the time it is tried at, so that where a lost answer may have made the meeting is
        # known even after the booking moves.
        tried = self.attempts != self._stored_attempts and (
            update_fields is None or "attempts" in update_fields
        )
        recorded = tried and self.status == self.Status.PENDING and self._record_window()
        if recorded and update_fields is not None:
            update_fields = {*update_fields, "tried_windows"}
        super().save(*args, update_fields=update_fields, **kwargs)
        self._stored_attempts = self.attempts

    # `attempts` as last read from or written to the database.
    _stored_attempts = 0

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_attempts = instance.__dict__.get("attempts", 0)
        return instance

    def _record_window(self):
        window = [self.start.isoformat(), self.end.isoformat()]
        if window in self.tried_windows:
            return False
        self.tried_windows = [*self.tried_windows, window]
        return True

    def earlier_windows(self):
        """The (start, end) of every time this booking was tried at, for
        MeetingSpec.earlier_windows."""
        return tuple(
            (datetime.datetime.fromisoformat(start), datetime.datetime.fromisoformat(end))
            for start, end in self.tried_windows
        )

    @property
    def needs_webex(self):
        """Whether something here still has to reach Webex."""
        return self.status in (self.Status.PENDING, self.Status.CANCELLING) or (
            self.status == self.Status.BOOKED and self.changed_since_booked
        )

    @property
    def is_claimed(self):
        return self.claimed_until is not None and self.claimed_until > timezone.now()


# The official languages of the EU, and those of the EEA states outside it: what a webinar or a
# proposal is given in. ISO 639-1 codes.
LANGUAGES = [
    ("bg", "Bulgarian"),
    ("hr", "Croatian"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("et", "Estonian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("de", "German"),
    ("el", "Greek"),
    ("hu", "Hungarian"),
    ("is", "Icelandic"),
    ("ga", "Irish"),
    ("it", "Italian"),
    ("lv", "Latvian"),
    ("lt", "Lithuanian"),
    ("mt", "Maltese"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("es", "Spanish"),
    ("sv", "Swedish"),
]


def default_capacity():
    return int(getattr(settings, "WEBINAR_DEFAULT_CAPACITY", 100))


class Topic(models.Model):
    """A subject the catalogue can be filtered by (a snippet the helpdesk and editors keep)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# The query parameters the catalogue reads: its cached copies are keyed by them.
CATALOGUE_PARAMS = ("topic", "language", "page")
CATALOGUE_PAGE_SIZE = 20


def registration_places_left(webinar):
    """Places left at ``webinar``: the registration service's figure when it exists, else the
    capacity less the confirmed registrations (the same count, until that service replaces it)."""
    try:
        from events.services.registrations import places_left
    except ImportError:
        confirmed = webinar.registrations.filter(status=Registration.Status.CONFIRMED).count()
        return max(webinar.capacity - confirmed, 0)
    return places_left(webinar)


def member_time_zone(request):
    """The zone of the signed-in clinician (theirs, or their country's), or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    try:
        clinician = user.clinician
    except ObjectDoesNotExist:
        return None
    return clinician_zone_name(clinician, fallback=None)


def webinars_registered_by(user):
    """Registrations through which ``user`` holds a place (by their clinician record or their
    email address); none for an anonymous visitor."""
    if user is None or not user.is_authenticated:
        return Registration.objects.none()
    who = Q(clinician__user=user)
    if user.email:
        who |= Q(email=user.email.strip().lower())
    return Registration.objects.filter(who, status=Registration.Status.CONFIRMED)


class WebinarIndexPage(Page):
    """The webinar catalogue at /webinars/: upcoming webinars soonest first, then past ones
    newest first, filtered by topic and language and paginated.

    Anonymous visitors get a cached copy keyed by the filter and page parameters (see
    home/pagecache.py); each listing costs the same few queries however many webinars there are.
    """

    introduction = RichTextField(features=["bold", "italic", "link"], blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["events.WebinarPage"]
    max_count = 1

    class Meta:
        verbose_name = "webinar catalogue"

    def published_webinars(self):
        return WebinarPage.objects.live().public().descendant_of(self)

    def webinars(self, published=None):
        """Live, public webinars of this catalogue (or of ``published``): upcoming (not yet
        ended) soonest first, then past ones newest first, with what a listing shows fetched in
        bulk."""
        now = timezone.now()
        published = self.published_webinars() if published is None else published
        return (
            published.annotate(
                is_past=Case(
                    When(end__lte=now, then=Value(True)),
                    default=Value(False),
                    output_field=models.BooleanField(),
                )
            )
            .order_by(
                "is_past",
                Case(When(end__gt=now, then=F("start"))).asc(nulls_last=True),
                F("start").desc(),
                "pk",
            )
            .prefetch_related("topics", speakers_prefetch())
        )

    def get_context(self, request, *args, **kwargs):
        from home.pagecache import REQUEST_FLAG, mark_cacheable

        context = super().get_context(request, *args, **kwargs)
        published = self.published_webinars()
        topics = list(Topic.objects.filter(webinars__in=published.values("pk")).distinct())
        in_use = set(published.order_by().values_list("language", flat=True).distinct())
        languages = [(code, name) for code, name in LANGUAGES if code in in_use]
        topic = next((t for t in topics if t.slug == request.GET.get("topic")), None)
        language = request.GET.get("language", "")
        language = language if language in in_use else ""

        webinars = self.webinars(published)
        if topic is not None:
            webinars = webinars.filter(topics=topic)
        if language:
            webinars = webinars.filter(language=language)
        page_obj = Paginator(webinars, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
        registered = set()
        if request.user.is_authenticated:
            registered = set(
                webinars_registered_by(request.user).values_list("webinar_id", flat=True)
            )
        for webinar in page_obj.object_list:
            webinar.recording_visible = webinar.recording_visible_to(
                request.user, registered=webinar.pk in registered
            )
        query = [("topic", topic.slug)] if topic else []
        query += [("language", language)] if language else []
        if getattr(request, REQUEST_FLAG, None) is not None:
            # The page reads these parameters: each filter and page is cached on its own.
            mark_cacheable(request, query_params=CATALOGUE_PARAMS)
        context.update(
            page_obj=page_obj,
            upcoming=[w for w in page_obj.object_list if not w.is_past],
            past=[w for w in page_obj.object_list if w.is_past],
            topics=topics,
            languages=languages,
            selected_topic=topic,
            selected_language=language,
            selected_language_name=dict(LANGUAGES).get(language, ""),
            filtered=bool(query),
            pagination_query="&".join(f"{name}={value}" for name, value in query),
        )
        return context


class WebinarPage(Page):
    """One webinar: what it is about, when, who speaks, and its Webex webinar.

    ``state`` is the webinar's own life (scheduled, cancelled, held), apart from whether the
    page is published; ``booking`` is its Webex webinar, made when the page is first
    published; ``calendar_uid`` and ``sequence`` are what every invitation, update and
    cancellation sent to registrants carries.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held"

    summary = models.CharField(
        max_length=300, help_text="One or two sentences for the catalogue and the calendar."
    )
    body = StreamField(BodyBlock(), blank=True)
    topics = ParentalManyToManyField(Topic, blank=True, related_name="webinars")
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="The zone the webinar is given in, e.g. Europe/Brussels.",
    )
    capacity = models.PositiveIntegerField(
        default=default_capacity, help_text="Places; past this, registrants join a waiting list."
    )
    registration_opens = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to open registration when published."
    )
    registration_closes = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to close registration when it starts."
    )
    speaker_consents_to_recording = models.BooleanField(
        "the speaker agreed to be recorded", default=False
    )
    recorded = models.BooleanField(
        "record it", default=False, help_text="Only with the speaker's consent."
    )
    recording_public = models.BooleanField(
        "everyone may watch the recording",
        default=False,
        help_text="Only if the speaker agreed; otherwise only registrants see it.",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    recording_url = models.URLField(max_length=500, blank=True)
    recording_password = models.CharField(max_length=64, blank=True)
    recording_added_at = models.DateTimeField(null=True, blank=True, editable=False)
    recording_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    attendance_read_at = models.DateTimeField(null=True, blank=True, editable=False)
    booking = models.OneToOneField(
        WebexBooking,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="webinar",
    )
    calendar_uid = models.CharField(max_length=255, blank=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
                FieldPanel("time_zone"),
                FieldPanel("language"),
                FieldPanel("state"),
            ],
            "When",
        ),
        InlinePanel("speakers", label="Speakers", min_num=1),
        FieldPanel("topics"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("capacity"),
                FieldRowPanel(
                    [FieldPanel("registration_opens"), FieldPanel("registration_closes")]
                ),
            ],
            "Registration",
        ),
        MultiFieldPanel(
            [
                FieldPanel("speaker_consents_to_recording"),
                FieldPanel("recorded"),
                FieldPanel("recording_public"),
                FieldPanel("recording_url"),
                FieldPanel("recording_password"),
            ],
            "Recording",
        ),
        # Where its Webex webinar has got to (read-only; a failed booking shows, with Retry).
        WebexBookingPanel(),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.FilterField("start"),
        index.FilterField("language"),
        index.FilterField("state"),
    ]
    parent_page_types = ["events.WebinarIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "webinar"

    def clean(self):
        super().clean()
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = "The webinar must end after it starts."
        if self.recorded and not self.speaker_consents_to_recording:
            errors["recorded"] = "A webinar is recorded only if the speaker agreed to it."
        if self.recording_public and not self.speaker_consents_to_recording:
            errors["recording_public"] = (
                "The recording is shown to everyone only if the speaker agreed to it."
            )
        opens, closes = self.registration_opens, self.registration_closes
        if opens and closes and closes <= opens:
            errors["registration_closes"] = "Registration must close after it opens."
        if self.registration_closes and self.end and self.registration_closes > self.end:
            errors["registration_closes"] = "Registration must close before the webinar ends."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every webinar has its calendar UID from its first save on; invitations, updates,
        # cancellations and the public feed all carry it, so it never changes.
        if not self.calendar_uid:
            from events.calendar import new_uid

            self.calendar_uid = new_uid(calendar_host())
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "calendar_uid"}
        return super().save(*args, **kwargs)

    # What the site keeps about a webinar (not editors' input): publishing a revision keeps the
    # live row's values, so that an older revision cannot bring back an old UID or sequence.
    KEPT_ON_PUBLISH = (
        "calendar_uid",
        "sequence",
        "booking_id",
        "recording_added_at",
        "recording_sent_at",
        "attendance_read_at",
    )

    def with_content_json(self, content):
        page = super().with_content_json(content)
        for name in self.KEPT_ON_PUBLISH:
            current = getattr(self, name)
            if current or name == "sequence":
                setattr(page, name, current)
        return page

    # -- what the pages show -------------------------------------------------------------------

    @property
    def is_cancelled(self):
        return self.state == self.State.CANCELLED

    @property
    def has_ended(self):
        return self.end <= timezone.now()

    @property
    def registration_closes_at(self):
        """When registration closes: the set time, or the start of the webinar."""
        if self.registration_closes and self.registration_closes < self.start:
            return self.registration_closes
        return self.start

    @property
    def registration_not_yet_open(self):
        return bool(self.registration_opens and timezone.now() < self.registration_opens)

    @property
    def registration_is_open(self):
        return (
            self.live
            and self.state == self.State.SCHEDULED
            and not self.registration_not_yet_open
            and timezone.now() < self.registration_closes_at
        )

    def times_in(self, zone_name):
        """(start, end) in the named zone."""
        zone = zoneinfo.ZoneInfo(zone_name)
        return self.start.astimezone(zone), self.end.astimezone(zone)

    def calendar_event(self, public_url=""):
        """The webinar as the public sees it in a calendar: no join details, no people."""
        from events.calendar import CalendarEvent

        return CalendarEvent(
            uid=self.calendar_uid,
            sequence=self.sequence,
            title=self.title,
            start=self.start,
            end=self.end,
            time_zone=self.time_zone,
            description_extra=self.summary,
            public_url=public_url,
            status="CANCELLED" if self.is_cancelled else "CONFIRMED",
            alarm_minutes=None,
        )

    def recording_visible_to(self, user, registered=None):
        """Whether ``user`` may watch the recording: everyone if the speaker agreed to show it
        publicly, otherwise those who held a place (``registered``, when already known)."""
        if not self.recording_url:
            return False
        if self.recording_public:
            return True
        if registered is None:
            registered = webinars_registered_by(user).filter(webinar=self).exists()
        return registered

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        registered = (
            webinars_registered_by(request.user).filter(webinar=self).exists()
            if request.user.is_authenticated
            else False
        )
        member_zone = member_time_zone(request)
        context.update(
            # Through the page's own relation, so that a preview shows the speakers being
            # edited (modelcluster keeps them in memory until saved).
            speakers=list(
                self.speakers.select_related("clinician__hospital").order_by("sort_order", "pk")
            ),
            topics=list(self.topics.all()),
            member_zone=member_zone if member_zone != self.time_zone else None,
            places_left=registration_places_left(self),
            registered=registered,
            recording_visible=self.recording_visible_to(request.user, registered),
            registration_url=registration_url(self),
        )
        return context


def calendar_host():
    """The host name in every calendar UID this site makes."""
    return urlsplit(settings.CMSS_BASE_URL).hostname or "cmss.localhost"


def registration_url(webinar):
    """/webinars/<slug>/register/ while registration is open and the registration part serves
    that address; otherwise "" (no link to a page that is not there)."""
    from django.urls import Resolver404, resolve

    if not webinar.registration_is_open or not webinar.url:
        return ""
    path = f"{webinar.url}register/"
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    return path if match.namespace == "events" else ""


def speakers_prefetch():
    return Prefetch(
        "speakers",
        queryset=WebinarSpeaker.objects.select_related("clinician__hospital").order_by(
            "sort_order", "pk"
        ),
    )


class WebinarSpeaker(Orderable):
    """A speaker of a webinar: a clinician of the directory, or a name typed in."""

    page = ParentalKey(WebinarPage, on_delete=models.CASCADE, related_name="speakers")
    clinician = models.ForeignKey(
        "directory.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A clinician of the directory, or leave empty and type a name.",
    )
    name = models.CharField(max_length=200, blank=True)
    affiliation = models.CharField(max_length=200, blank=True, help_text="e.g. the hospital.")

    panels = [FieldPanel("clinician"), FieldPanel("name"), FieldPanel("affiliation")]

    def clean(self):
        super().clean()
        if not self.clinician_id and not self.name.strip():
            raise ValidationError({"name": "Choose a clinician or type the speaker's name."})

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.name.strip():
            return self.name.strip()
        return str(self.clinician) if self.clinician_id else ""

    @property
    def display_affiliation(self):
        """The hospital (name and city only) or what was typed: never contact details."""
        if self.affiliation.strip():
            return self.affiliation.strip()
        if self.clinician_id and self.clinician.hospital_id:
            hospital = self.clinician.hospital
            return f"{hospital.name}, {hospital.city}" if hospital.city else hospital.name
        return ""


def new_cancel_token():
    return secrets.token_urlsafe(32)


class Registration(models.Model):
    """One person's place (or place in line) at a webinar.

    At most one registration per webinar and email that is not cancelled (a constraint, so two
    requests at once cannot both make one). The waiting list is served in ``queued_at`` order.
    ``cancel_token`` is in every email to the registrant: the link that gives up the place
    without signing in.
    """

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Email not confirmed yet"
        CONFIRMED = "confirmed", "Registered"
        WAITING = "waiting", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    webinar = models.ForeignKey(WebinarPage, on_delete=models.CASCADE, related_name="registrations")
    clinician = models.ForeignKey(
        "directory.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webinar_registrations",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    profession = models.CharField(max_length=120, blank=True)
    country = models.ForeignKey(
        "directory.Country", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    privacy_version = models.CharField(max_length=80, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.UNCONFIRMED, db_index=True
    )
    cancel_token = models.CharField(
        max_length=64, unique=True, default=new_cancel_token, editable=False
    )
    # The email confirmation code (hashed), as enrolment does it.
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Who gave the place up: the registrant, the helpdesk, or the webinar's cancellation.
    cancelled_by = models.CharField(max_length=20, blank=True)

    webex_registrant_id = models.CharField(max_length=100, blank=True, editable=False)
    join_link = models.URLField(max_length=1000, blank=True, editable=False)
    attended = models.BooleanField(null=True, blank=True)
    minutes_attended = models.PositiveIntegerField(null=True, blank=True)
    erased = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "email"],
                condition=~models.Q(status="cancelled"),
                name="one_live_registration_per_email",
            )
        ]
        indexes = [models.Index(fields=["webinar", "status", "queued_at"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name} – {self.webinar.title}"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)
        self._stored_status = self.status

    # The status as last read from or written to the database: whether a save changed the
    # number of places taken (events/apps.py drops the cached pages then).
    _stored_status = None

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def holds_place(self):
        return self.status == self.Status.CONFIRMED


class Reminder(models.Model):
    """A reminder sent to one registrant: the unique constraint makes each kind go out once,
    even when two `send_reminders` run at the same time."""

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        DAY = "day", "24 hours before"
        HOUR = "hour", "1 hour before"

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to registration {self.registration_id}"


class WebinarProposal(models.Model):
    """A clinician's offer to give a webinar, and where the helpdesk has got with it."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ANNOUNCED = "announced", "Announced to the list"
        SCHEDULED = "scheduled", "Scheduled"
        DECLINED = "declined", "Declined"

    proposer = models.ForeignKey(
        "directory.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webinar_proposals",
    )
    title = models.CharField("topic", max_length=200)
    abstract = models.TextField(max_length=4000)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    topics = models.ManyToManyField(Topic, blank=True, related_name="proposals")
    # [{"start": ISO 8601, "end": ISO 8601}, ...] in the proposer's zone, aware.
    available_slots = models.JSONField(default=list)
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    wants_recording = models.BooleanField("should be recorded", default=False)
    recording_consent = models.BooleanField("the speaker agrees to be recorded", default=False)
    recording_consent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    helpdesk_note = models.TextField(blank=True, help_text="Seen by the helpdesk only.")
    decline_reason = models.TextField(blank=True, help_text="Sent to the proposer.")
    webinar = models.OneToOneField(
        WebinarPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


def new_link_token():
    return secrets.token_urlsafe(32)


class ConferenceRequest(models.Model):
    """A clinician's request for a case conference, from submission to the call and after.

    The clinical question is the only free text; the patient-identifier guard checks it before
    it is stored, and ``manage.py purge_expired`` erases it a set number of days after the
    conference is held or cancelled (``question_erased_at``), keeping what statistics need.
    ``booking`` is the Webex meeting, made when the helpdesk schedules it; ``calendar_uid``
    and ``sequence`` are what every invitation, update and cancellation carries.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        POLLING = "polling", "Asking invitees"
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CLOSED = "closed", "Closed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    class Urgency(models.TextChoices):
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent (within 48 hours)"

    DURATIONS = [(30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1 hour 30")]

    requester = models.ForeignKey(
        "directory.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conference_requests",
    )
    # Kept for statistics when the requester is erased.
    requester_country = models.ForeignKey(
        "directory.Country", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clinical_question = models.TextField(max_length=2000, blank=True)
    question_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    duration_minutes = models.PositiveSmallIntegerField(choices=DURATIONS, default=60)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    # The zone the requester proposed the slots in.
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    chosen_slot = models.ForeignKey(
        "ConferenceSlot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booking = models.OneToOneField(
        WebexBooking,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="conference",
    )
    calendar_uid = models.CharField(max_length=255, blank=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # The SEQUENCE participants were last sent (None: no invitation yet). Invitations wait for
    # Webex (the join link): an invitation or update is due while this is behind ``sequence``.
    invited_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The form's one-time key: a double submit makes one request.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    helpdesk_note = models.TextField(blank=True, help_text="Seen by the helpdesk only.")
    decline_reason = models.TextField(blank=True, help_text="Sent to the requester.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When it was held or cancelled: the retention period counts from here.
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "case conference request"

    def __str__(self):
        return f"Case conference request {self.pk} ({self.get_status_display()})"


class ConferenceSlot(models.Model):
    """A time the requester proposed; it lasts the request's duration."""

    request = models.ForeignKey(ConferenceRequest, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "start"], name="one_slot_per_start")
        ]

    def __str__(self):
        return f"{self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def end(self):
        return self.start + datetime.timedelta(minutes=self.request.duration_minutes)


class ConferenceInvitee(models.Model):
    """A clinician invited to a case conference (chosen by name, or as a contact person of a
    hospital the requester chose). ``poll_token`` is in their emails: the link to the slot poll
    that needs no sign-in."""

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    request = models.ForeignKey(
        ConferenceRequest, on_delete=models.CASCADE, related_name="invitees"
    )
    clinician = models.ForeignKey(
        "directory.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conference_invitations",
    )
    via_hospital = models.ForeignKey(
        "directory.Hospital", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept for statistics when the invitee is erased.
    country = models.ForeignKey(
        "directory.Country", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    poll_token = models.CharField(
        max_length=64, unique=True, default=new_link_token, editable=False
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    erased = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clinician"], name="one_invitation_per_clinician"
            )
        ]

    def __str__(self):
        return f"Invitee {self.pk} of request {self.request_id}"


class SlotAnswer(models.Model):
    """An invitee's answer for one proposed slot."""

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        IF_NEED_BE = "maybe", "If need be"
        NO = "no", "No"

    invitee = models.ForeignKey(ConferenceInvitee, on_delete=models.CASCADE, related_name="answers")
    slot = models.ForeignKey(ConferenceSlot, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(max_length=5, choices=Answer.choices)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitee", "slot"], name="one_answer_per_slot")
        ]

    def __str__(self):
        return f"{self.get_answer_display()} for slot {self.slot_id}"
