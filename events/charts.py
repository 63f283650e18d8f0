"""Bar charts drawn on the server as inline SVG: readable without JavaScript, named for screen
readers by their <title> and <desc> (the page puts the same numbers in a table beside each).

One horizontal bar per row, its label on the left and its value at the end of the bar. Every
text is escaped (format_html).
"""

from django.utils.html import format_html, format_html_join

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 60
ROW_HEIGHT = 24
BAR_HEIGHT = 16
TOP = 8
# WCAG 2.1 AA: text and bars contrast at least 4.5:1 and 3:1 on white.
BAR_COLOUR = "#1d5a8c"
TEXT_COLOUR = "#1f1f1f"


def bar_chart(chart_id, title, description, rows, unit=""):
    """SVG markup for ``rows`` of (label, number); ``unit`` is put after each value ("%").

    The bars scale to the largest value (to 100 for percentages). Returns a safe string.
    """
    top = 100 if unit == "%" else max([value for _, value in rows] + [0])
    bar_space = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP * 2 + ROW_HEIGHT * max(len(rows), 1)
    bars = [
        format_html(
            '<text x="{}" y="{}" text-anchor="end" fill="{}" font-size="13">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
            '<text x="{}" y="{}" fill="{}" font-size="13">{}{}</text>',
            LABEL_WIDTH - 8,
            y + BAR_HEIGHT - 3,
            TEXT_COLOUR,
            label,
            LABEL_WIDTH,
            y,
            length,
            BAR_HEIGHT,
            BAR_COLOUR,
            LABEL_WIDTH + length + 6,
            y + BAR_HEIGHT - 3,
            TEXT_COLOUR,
            value,
            unit,
        )
        for y, length, label, value in (
            (TOP + index * ROW_HEIGHT, round(bar_space * value / top) if top else 0, label, value)
            for index, (label, value) in enumerate(rows)
        )
    ]
    if not rows:
        bars.append(
            format_html(
                '<text x="0" y="{}" fill="{}" font-size="14">Nothing to show yet.</text>',
                TOP + BAR_HEIGHT,
                TEXT_COLOUR,
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="cmss-chart" role="img" width="100%" '
        'viewBox="0 0 {} {}" preserveAspectRatio="xMinYMin meet" aria-labelledby="{} {}" '
        'id="{}"><title id="{}">{}</title><desc id="{}">{} {}</desc>{}</svg>',
        WIDTH,
        height,
        f"{chart_id}-title",
        f"{chart_id}-desc",
        chart_id,
        f"{chart_id}-title",
        title,
        f"{chart_id}-desc",
        description,
        summary(rows, unit),
        format_html_join("", "{}", ((bar,) for bar in bars)),
    )


def summary(rows, unit=""):
    """The numbers in words, for the chart's <desc>."""
    if not rows:
        return "No data yet."
    return "; ".join(f"{label}: {value}{unit}" for label, value in rows) + "."
