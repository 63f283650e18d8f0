"""The information package as a PDF, made on the server with fpdf2.

Each page of the package starts a new PDF page; its rendered HTML is reduced to what fpdf2's
``write_html`` lays out (headings, paragraphs, emphasis, lists, links), with links made absolute
and images left out (fpdf2 would fetch an image's address itself). The document carries its
title and language in its metadata.

Text is set in DejaVu Sans (``CMSS_PDF_FONT_DIR``, Debian's fonts-dejavu-core) so every European
language prints; on a machine without it the PDF falls back to fpdf2's built-in Helvetica, with
characters outside Latin-1 spelt without their accents (or as "?").
"""

import logging
import unicodedata
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from fpdf import FPDF

from cms.mail.links import absolute_url

# fontTools logs every glyph it keeps when fpdf2 subsets a font.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_FAMILY = "DejaVu"
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# Tags write_html lays out, after renaming strong/em; every other tag is dropped, its text kept.
KEPT_TAGS = {"h1", "h2", "h3", "h4", "p", "b", "i", "u", "a", "ul", "ol", "li", "br", "blockquote"}
RENAMED = {"strong": "b", "em": "i", "h5": "h4", "h6": "h4"}
SKIPPED_WITH_CONTENT = {"script", "style", "svg", "figure", "template", "iframe"}
VOID = {"br"}


class _Reducer(HTMLParser):
    """Rebuilds HTML with only the tags write_html handles and no attributes but a link's href."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_WITH_CONTENT:
            self.skipping += 1
            return
        tag = RENAMED.get(tag, tag)
        if self.skipping or tag not in KEPT_TAGS:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/") and not href.startswith("//"):
                href = absolute_url(href)
            if href.startswith(("http://", "https://", "mailto:")):
                self.out.append(f'<a href="{escape(href)}">')
            else:
                self.out.append("<a>")
            return
        self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in SKIPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        tag = RENAMED.get(tag, tag)
        if self.skipping or tag not in KEPT_TAGS or tag in VOID:
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(escape(data, quote=False))


def reduce_html(html):
    """``html`` with only the tags and attributes write_html handles."""
    reducer = _Reducer()
    reducer.feed(html)
    reducer.close()
    return "".join(reducer.out)


def font_dir():
    return Path(getattr(settings, "CMSS_PDF_FONT_DIR", DEFAULT_FONT_DIR))


def unicode_font_available():
    folder = font_dir()
    return all((folder / name).is_file() for name in FONT_FILES.values())


def latin1(text):
    """Text the built-in fonts can set: Latin-1 kept, other letters without accents, or '?'."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode()
            char = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}.get(char, plain)
            char = {"\u2013": "-", "\u2014": "-", "\u2026": "..."}.get(char, char) or "?"
        out.append(char)
    return "".join(out)


class PackagePDF(FPDF):
    def __init__(self, footer_text, **kwargs):
        super().__init__(**kwargs)
        self.footer_text = footer_text

    def footer(self):
        self.set_y(-15)
        self.set_font(self.font_family, "", 8)
        self.cell(0, 10, f"{self.footer_text} · page {self.page_no()}", align="C")


def build_package_pdf(held, version):
    """The PDF bytes of the package ``held`` (home.services.package.PackageContents) as of
    ``version``. Raises nothing for any content an editor can enter."""
    unicode_font = unicode_font_available()
    clean = (lambda text: text) if unicode_font else latin1
    title = f"{held.package.title} – {version.label}"
    footer = clean(f"CMSS {held.package.title}, {version.label}")
    if not unicode_font:
        footer = footer.replace("·", "-")
    pdf = PackagePDF(footer, format="A4")
    if unicode_font:
        for style, filename in FONT_FILES.items():
            pdf.add_font(FONT_FAMILY, style, str(font_dir() / filename))
        family = FONT_FAMILY
    else:
        family = "Helvetica"
    pdf.set_font(family, size=11)
    pdf.set_lang(getattr(settings, "LANGUAGE_CODE", "en").split("-")[0] or "en")
    pdf.set_subject(
        clean(f"The information package of the CMSS clinicians' network, {version.label}")
    )
    pdf.set_author(clean(getattr(settings, "CMSS_ORGANISATION_NAME", "CMSS helpdesk")))
    pdf.set_creator("CMSS")
    pdf.set_creation_date(version.created_at)
    pdf.set_auto_page_break(auto=True, margin=20)

    def write(html):
        pdf.write_html(clean(reduce_html(html)), tag_styles=None)

    pdf.add_page()
    intro = render_to_string(
        "home/package_pdf_cover.html",
        {
            "package": held.package,
            "version": version,
            "pages": held.pages,
            "documents": held.documents,
            "generated": timezone.localtime(version.created_at),
        },
    )
    write(intro)
    for page in held.pages:
        pdf.add_page()
        write(render_to_string("home/package_pdf_page.html", {"page": page}))
    # Last: write_html takes a first heading for the document's title.
    pdf.set_title(clean(title))
    return bytes(pdf.output())
