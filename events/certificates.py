"""The certificate of attendance of a webinar: a one-page PDF made on the server with fpdf2, from
what Webex told us (events/services/attendance.py). It names the attendee, the webinar, its date
and the minutes attended, and carries a title and a language in its metadata, so that a screen
reader announces it properly.

Names come in every European alphabet: the text is set in a Unicode TrueType font
(WEBINAR_CERTIFICATE_FONT, DejaVu Sans by default, as Debian installs it). Without one, the core
Helvetica font is used and letters it cannot show lose their accents rather than break the PDF.
"""

import unicodedata
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from events.zones import zone_or_site

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_BOLD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
ISSUER = "CMSS – the clinicians' network helpdesk"


class NotAttended(Exception):
    """The registration has no recorded attendance: there is nothing to certify."""


def filename(registration):
    return f"certificate-{registration.webinar.slug}.pdf"


def certificate_pdf(registration):
    """The certificate of ``registration`` as PDF bytes. Raises NotAttended."""
    if not registration.attended:
        raise NotAttended("This registration has no recorded attendance.")
    webinar = registration.webinar
    zone = zone_or_site(webinar.time_zone)
    start = timezone.localtime(webinar.start, zone)
    name = registration.full_name
    minutes = registration.minutes_attended or 0

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate of attendance: {webinar.title}")
    pdf.set_lang("en")
    pdf.set_subject(f"{name} attended {webinar.title}")
    pdf.set_author(ISSUER)
    pdf.set_creator("CMSS")
    pdf.set_creation_date(timezone.now())
    pdf.set_auto_page_break(False)
    text = _fonts(pdf)
    pdf.add_page()
    pdf.set_draw_color(0, 82, 147)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)

    def line(value, size, *, bold=False, gap=4):
        pdf.set_font(text, "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.5, _printable(value, text), align="C")
        pdf.ln(gap)

    pdf.set_y(38)
    line("Certificate of attendance", 30, bold=True, gap=12)
    line("This certifies that", 14)
    line(name, 26, bold=True, gap=8)
    line("attended the webinar", 14)
    line(webinar.title, 20, bold=True, gap=8)
    line(f"held on {start:%d %B %Y} at {start:%H:%M} ({webinar.time_zone})", 14)
    line(f"for {minutes} minute{'s' if minutes != 1 else ''}.", 14, gap=16)
    line(ISSUER, 11)
    return bytes(pdf.output())


def _fonts(pdf):
    """Add the Unicode font when it is there; returns the family to use."""
    regular = Path(getattr(settings, "WEBINAR_CERTIFICATE_FONT", "") or DEFAULT_FONT)
    bold = Path(getattr(settings, "WEBINAR_CERTIFICATE_BOLD_FONT", "") or DEFAULT_BOLD_FONT)
    if not regular.is_file():
        return "helvetica"
    pdf.add_font("certificate", "", str(regular))
    pdf.add_font("certificate", "B", str(bold if bold.is_file() else regular))
    return "certificate"


def _printable(value, family):
    """``value`` as the font can show it: as it is in the Unicode font; in Helvetica (Latin-1
    only), without the accents or letters it lacks."""
    if family != "helvetica":
        return value
    value = value.replace("–", "-").replace("’", "'")
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", value)
        return decomposed.encode("latin-1", "ignore").decode("latin-1")
