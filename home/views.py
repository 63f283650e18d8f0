"""Site-wide views that are not Wagtail pages (error pages, robots.txt) and the information
package's printable page and PDF, served by InformationPackagePage's routes."""

from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found as django_page_not_found


def page_not_found(request, exception):
    return django_page_not_found(request, exception, template_name="404.html")


def server_error(request):
    # Rendered without a request context: the failure may lie in whatever a context needs.
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render())


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /directory/",
        "Disallow: /account/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def information_package_print(request, package):
    """The whole information package on one page, for printing (static/css/print.css)."""
    from home.services import package as package_service

    held = package_service.contents(package)
    version = package_service.current_version(package, held)
    return package.render(
        request,
        template="home/information_package_print.html",
        context_overrides={
            "package_pages": held.pages,
            "package_documents": held.documents,
            "version": version,
            "pdf_url": package.url + package.reverse_subpage("pdf"),
        },
    )


def information_package_pdf(request, package):
    """The current version of the information package as a PDF, made once per version."""
    from home.services import package as package_service

    version, data = package_service.package_pdf(package)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{package_service.pdf_filename(version)}"'
    return response
