"""StreamField blocks for content pages; other page types (webinars, procedures) reuse them."""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    """A section heading; the level keeps the page outline correct for screen readers."""

    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section (level 2)"), ("h3", "Subsection (level 3)")],
        default="h2",
        help_text="Use level 2 for main sections and level 3 inside them.",
    )

    class Meta:
        icon = "title"
        template = "home/blocks/heading_block.html"


class CalloutBlock(blocks.StructBlock):
    """A boxed note that stands out from the text: a reminder, a warning, a key fact."""

    title = blocks.CharBlock(max_length=120)
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"])
    tone = blocks.ChoiceBlock(
        choices=[("info", "Information"), ("important", "Important")],
        default="info",
    )

    class Meta:
        icon = "warning"
        template = "home/blocks/callout_block.html"


class DocumentLinkBlock(blocks.StructBlock):
    """A link to a document in the library, shown with its file type and size."""

    document = DocumentChooserBlock()
    label = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text="What the reader gets; the document title is used when empty.",
    )

    class Meta:
        icon = "doc-full"
        template = "home/blocks/document_link_block.html"


class FigureBlock(blocks.StructBlock):
    """An image with its alternative text (or marked decorative) and an optional caption."""

    image = ImageBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "home/blocks/figure_block.html"


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "document-link", "ol", "ul"]


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)
    callout = CalloutBlock()
    document = DocumentLinkBlock()
    # Wagtail's ImageBlock asks for alt text, or for the image to be marked decorative.
    image = FigureBlock()

    class Meta:
        template = "home/blocks/body_block.html"
