"""The helpdesk's statistics page in the Wagtail admin, and its CSV export (events/statistics.py
computes the figures; events/charts.py draws them).

For the Helpdesk group and the administrators; any other staff member gets 403. The export is
formula-safe and recorded in Wagtail's audit log (who, when, which figures).
"""

import csv
import io

from django.http import HttpResponse, HttpResponseForbidden
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from wagtail.log_actions import log

from directory.services.exports import CSV_BOM, formula_safe
from events import charts, statistics
from events.dashboard import for_helpdesk

EXPORT_ACTION = "cmss.statistics_export"
URL_NAME = "events_statistics"
EXPORT_URL_NAME = "events_statistics_export"
REFUSED = "The statistics are kept for the helpdesk and the administrators."


def helpdesk_only(view):
    def wrapper(request, *args, **kwargs):
        if not for_helpdesk(request.user):
            return HttpResponseForbidden(REFUSED, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_GET
@helpdesk_only
def statistics_page(request):
    """Every figure as a chart with its table, and the link to the CSV."""
    figures = statistics.all_figures()
    return TemplateResponse(
        request,
        "events/admin/statistics.html",
        {
            "figures": [
                (
                    figure,
                    charts.bar_chart(
                        f"chart-{figure.key}",
                        figure.title,
                        figure.description,
                        figure.rows,
                        figure.unit,
                    ),
                )
                for figure in figures
            ],
            "totals": statistics.totals(),
            "min_people": statistics.MIN_PEOPLE,
            "export_url": reverse(EXPORT_URL_NAME),
        },
    )


@require_GET
@helpdesk_only
def statistics_export(request):
    """The figures as one CSV file: figure, label, value (UTF-8 with a byte-order mark)."""
    figures = statistics.all_figures()
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer)
    writer.writerow(["figure", "label", "value", "unit"])
    rows = 0
    for figure in figures:
        for label, value in figure.rows:
            writer.writerow([formula_safe(figure.title), formula_safe(label), value, figure.unit])
            rows += 1
    log(
        instance=request.user,
        action=EXPORT_ACTION,
        user=request.user,
        title="Export of the statistics",
        data={"format": "csv", "figures": [figure.key for figure in figures], "rows": rows},
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="cmss-statistics-{stamp}.csv"'
    return response
