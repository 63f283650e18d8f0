"""Consent to the privacy statement after it changes.

A signed-in clinician who agreed to an older version is asked, before anything else, to read the
new one and accept it (``PrivacyConsentMiddleware`` sends them to ``privacy_consent``); the
version and the time are stored on their record and in the audit log. Staff are left alone, and so
is a clinician who never agreed to any version through the site (imported ones: the helpdesk
holds their agreement). When a new version is published, the clinicians are told by email what
changed (``tell_members``, a background task after ``privacy_version_published``).
"""

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from wagtail import hooks
from wagtail.log_actions import log

from cms.mail import services as mail
from cms.mail.links import absolute_url
from directory.models import Clinician
from home.models import PrivacyStatementPage, PrivacyStatementVersion
from home.services import privacy

SESSION_KEY = "cmss_privacy_label_checked"
ACCEPT_ACTION = "cmss.privacy.accept"
NOTICE_KIND = "privacy statement {label}"
# Where a clinician may go before accepting: signing in and out, reading the statement itself.
EXEMPT_PREFIXES = (
    "/account/privacy-consent/",
    "/account/download/",
    "/account/erase/",
    "/accounts/",
    "/admin/",
    "/information-package/",
    "/mailing-list/",
    "/static/",
    "/media/",
    "/documents/",
    "/anymail/",
)


def clinician_needing_consent(user, label):
    """The user's clinician record if they agreed to a version other than ``label``, else None."""
    if not label or user.is_staff or user.is_superuser:
        return None
    clinician = Clinician.objects.filter(user=user, status=Clinician.Status.APPROVED).first()
    if clinician is None or not clinician.privacy_version:
        return None
    return clinician if clinician.privacy_version != label else None


class PrivacyConsentMiddleware:
    """Sends a signed-in clinician who agreed to an older privacy statement to accept the new one.

    Only requests with a session are looked at, so public pages for anonymous visitors stay
    cacheable; once a session is found up to date for the current label, it is not asked again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and self.must_accept(request):
            target = reverse("privacy_consent")
            return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    def must_accept(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        label = privacy.current_label()
        if not label or request.session.get(SESSION_KEY) == label:
            return False
        if clinician_needing_consent(user, label) is None:
            request.session[SESSION_KEY] = label
            return False
        return True


@login_required
@require_http_methods(["GET", "POST"])
def privacy_consent(request):
    """The statement in force with an Accept button; accepting stores the version and the time."""
    statement = PrivacyStatementPage.in_force()
    if statement is None:
        raise Http404
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("directory:account")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("directory:account")
    clinician = Clinician.objects.filter(user=request.user).first()
    if request.method == "POST" and clinician is not None:
        accept(clinician, statement, request.user)
        request.session[SESSION_KEY] = statement.version_label
        return redirect(next_url)
    return TemplateResponse(
        request,
        "directory/consent.html",
        {
            "statement": statement,
            "clinician": clinician,
            "next": next_url,
            "told": PrivacyStatementVersion.objects.filter(label=statement.version_label).first(),
            "up_to_date": clinician is None or clinician.privacy_version == statement.version_label,
        },
    )


def accept(clinician, statement, user):
    """Record that ``clinician`` accepted ``statement``'s version now (and in the audit log)."""
    with transaction.atomic():
        previous = clinician.privacy_version
        clinician.privacy_version = statement.version_label
        clinician.consented_at = timezone.now()
        clinician.save(update_fields=["privacy_version", "consented_at", "updated_at"])
        log(
            clinician,
            ACCEPT_ACTION,
            user=user,
            data={"version": statement.version_label, "previous": previous},
        )


def tell_members(version_id):
    """Email every approved clinician who agreed to an older version what changed in version
    ``version_id``; one message per clinician and version, so a run again sends only what is
    missing. Returns how many were sent now."""
    version = PrivacyStatementVersion.objects.filter(pk=version_id).first()
    if version is None:
        return 0
    kind = NOTICE_KIND.format(label=version.label)[:60]
    already = set(_told(kind))
    sent = 0
    rows = (
        Clinician.objects.filter(status=Clinician.Status.APPROVED)
        .exclude(privacy_version=version.label)
        .order_by("pk")
    )
    context = {
        "version": version,
        "statement_url": absolute_url(
            version.page.url if version.page else "/information-package/privacy-statement/"
        ),
        "accept_url": absolute_url("privacy_consent"),
    }
    for clinician in rows.iterator(chunk_size=500):
        if clinician.email in already:
            continue
        try:
            mail.send_mail(
                "directory/email/privacy_update",
                {**context, "name": clinician.full_name},
                clinician.email,
                to_name=clinician.full_name,
                kind=kind,
                related=clinician,
            )
        except mail.InvalidRecipient:
            continue
        sent += 1
    PrivacyStatementVersion.objects.filter(pk=version.pk).update(members_told_at=timezone.now())
    return sent


def _told(kind):
    from cms.mail.models import OutgoingMessage

    return OutgoingMessage.objects.filter(kind=kind).values_list("recipient", flat=True)


def _published(sender, version, **kwargs):
    from directory.package_tasks import tell_members_of_privacy_version

    tell_members_of_privacy_version.enqueue(version.pk)


@hooks.register("register_log_actions")
def consent_log_actions(actions):
    actions.register_action(
        ACCEPT_ACTION, "Privacy statement accepted", "Accepted the privacy statement"
    )


def connect():
    privacy.privacy_version_published.connect(_published, dispatch_uid="cmss-privacy-tell")
