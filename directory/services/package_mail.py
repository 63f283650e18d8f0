"""Sending the information package: to the mailing list (the helpdesk's action), to one
clinician (on approval, or by the helpdesk), and the record of who was sent which version.

Each send is a ``PackageDelivery`` row, unique per version and address, written in the same
transaction as the stored message: a send run again, a task run twice or an approval retried
sends no one the same version twice. The package PDF and the documents go as attachments up to
``CMSS_PACKAGE_ATTACHMENT_MAX_BYTES`` each; a larger one is linked instead.

Who is on the list comes from ``directory.mailing_list`` (``iter_members``).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log

from cms.mail import services as mail
from cms.mail.links import absolute_url
from directory import mailing_list
from directory.models import Clinician, PackageDelivery
from directory.services.access import is_helpdesk
from directory.services.personal_data import register_holder
from home.services import package as package_service

KIND = "information package"
SEND_TO_LIST_ACTION = "cmss.package.send_to_list"
SEND_TO_ONE_ACTION = "cmss.package.send_to_one"
REASON_LIST = "list"
REASON_APPROVAL = "approval"
REASON_HELPDESK = "helpdesk"


class NoPackage(Exception):
    """There is no live information package to send."""


def may_send_package(user):
    """The helpdesk and the administrators."""
    return is_helpdesk(user)


def attachment_limit():
    return int(getattr(settings, "CMSS_PACKAGE_ATTACHMENT_MAX_BYTES", 2 * 1024 * 1024))


@dataclass
class PackageMail:
    """The parts of one version's message, read once per send: what is attached, what linked."""

    version: object
    attachments: list = field(default_factory=list)  # (filename, bytes, mimetype)
    links: list = field(default_factory=list)  # (title, url, size in bytes or None)
    print_url: str = ""
    pdf_url: str = ""


def prepare(package=None):
    """The current version's ``PackageMail``. Raises ``NoPackage``."""
    package = package or package_service.current_package()
    if package is None:
        raise NoPackage
    held = package_service.contents(package)
    version, pdf = package_service.package_pdf(package)
    limit = attachment_limit()
    parts = PackageMail(
        version=version,
        print_url=absolute_url(package.url + package.reverse_subpage("print")),
        pdf_url=absolute_url(package.url + package.reverse_subpage("pdf")),
    )
    if len(pdf) <= limit:
        parts.attachments.append((package_service.pdf_filename(version), pdf, "application/pdf"))
    else:
        parts.links.append((f"{package.title} (PDF)", parts.pdf_url, len(pdf)))
    for item in held.documents:
        document = item.document
        size = document.get_file_size()
        if size is not None and size <= limit:
            with document.open_file() as handle:
                data = handle.read()
            mimetype = getattr(document, "content_type", "") or "application/octet-stream"
            parts.attachments.append((document.filename, data, mimetype))
        else:
            parts.links.append((document.title, absolute_url(document.url), size))
    return parts


def _list_headers(member_key):
    """The member's unsubscribe link and the list headers every list message carries (the
    announcements' own: one wording, one mailto)."""
    from directory.services.announcements import list_headers

    url = absolute_url("directory:unsubscribe", mailing_list.unsubscribe_token(member_key))
    return url, list_headers(url)


def deliver_to(parts, *, email, name, clinician=None, reason, by_user=None, member_key=""):
    """Send ``parts`` to one address unless it already had this version; returns the new
    ``PackageDelivery`` or None. Raises ``InvalidRecipient`` for an unusable address."""
    email = (email or "").strip().lower()
    if PackageDelivery.objects.filter(version=parts.version, email=email).exists():
        return None
    unsubscribe_url, headers = _list_headers(member_key) if member_key else ("", None)
    context = {
        "name": name,
        "version": parts.version,
        "links": parts.links,
        "attached": [filename for filename, _, _ in parts.attachments],
        "print_url": parts.print_url,
        "pdf_url": parts.pdf_url,
        "unsubscribe_url": unsubscribe_url,
        "reason": reason,
    }
    try:
        with transaction.atomic():
            delivery = PackageDelivery.objects.create(
                version=parts.version,
                email=email,
                clinician=clinician,
                reason=reason,
                sent_by=by_user if getattr(by_user, "is_authenticated", False) else None,
            )
            delivery.message = mail.send_mail(
                "directory/email/information_package",
                context,
                email,
                to_name=name,
                kind=KIND,
                related=clinician or delivery,
                attachments=parts.attachments,
                headers=headers,
            )
            delivery.save(update_fields=["message"])
    except IntegrityError:
        return None  # sent at the same moment by another run
    return delivery


def send_to_list(version_id, by_user=None):
    """Send the package to every member of the list who has not had ``version_id`` yet (the
    task's body); returns how many were sent now. A version no longer current is not sent:
    a newer one has been published since the helpdesk asked."""
    parts = prepare()
    if parts.version.pk != version_id:
        return 0
    sent = 0
    for member in mailing_list.iter_members():
        clinician = (
            Clinician.objects.filter(pk=member.clinician_id).first()
            if member.clinician_id
            else None
        )
        try:
            done = deliver_to(
                parts,
                email=member.email,
                name=member.name,
                clinician=clinician,
                reason=REASON_LIST,
                by_user=by_user,
                member_key=member.key,
            )
        except mail.InvalidRecipient:
            continue
        sent += done is not None
    return sent


def start_sending_to_list(by_user):
    """The helpdesk's "Send the information package": audit-logged, sent by a background task
    after commit. Returns the version. Raises ``NoPackage``."""
    from directory.package_tasks import send_package_to_list

    package = package_service.current_package()
    if package is None:
        raise NoPackage
    version = package_service.current_version(package)
    with transaction.atomic():
        log(
            package,
            SEND_TO_LIST_ACTION,
            user=by_user,
            data={"version": version.number, "members": mailing_list.count_members()},
        )
        pk, user_pk = version.pk, getattr(by_user, "pk", None)
        transaction.on_commit(lambda: send_package_to_list.enqueue(pk, user_pk))
    return version


def send_to_clinician(clinician_id, *, reason=REASON_APPROVAL, by_user=None):
    """Send the current version to an approved clinician who has not had it; returns the
    ``PackageDelivery`` or None (not approved, no package, already sent). Raises
    ``InvalidRecipient``."""
    clinician = Clinician.objects.filter(pk=clinician_id, status=Clinician.Status.APPROVED).first()
    if clinician is None:
        return None
    try:
        parts = prepare()
    except NoPackage:
        return None
    delivery = deliver_to(
        parts,
        email=clinician.email,
        name=clinician.full_name,
        clinician=clinician,
        reason=reason,
        by_user=by_user,
        member_key=f"c:{clinician.pk}" if not clinician.mailing_opt_out else "",
    )
    if delivery is not None and reason == REASON_HELPDESK:
        log(
            clinician,
            SEND_TO_ONE_ACTION,
            user=by_user,
            data={"version": parts.version.number, "at": timezone.now().isoformat()},
        )
    return delivery


def deliveries(clinician=None):
    """Who was sent which version when, newest first (one clinician's, if given)."""
    rows = PackageDelivery.objects.select_related("version", "clinician", "message")
    if clinician is not None:
        rows = rows.filter(clinician=clinician)
    return rows


# Which versions of the package a clinician was sent, and when, is theirs to see and to erase.
def _deliveries_export(clinician):
    return [
        {"version": row.version.label, "sent_at": row.sent_at.isoformat(), "reason": row.reason}
        for row in deliveries(clinician).order_by("sent_at", "pk")
    ]


def _deliveries_erase(clinician):
    PackageDelivery.objects.filter(Q(clinician=clinician) | Q(email=clinician.email)).delete()


register_holder(
    "information package sent to you", export=_deliveries_export, erase=_deliveries_erase
)
