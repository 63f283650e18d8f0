from allauth.account import views as allauth_account_views
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms.mail import webhooks as mail_webhooks
from directory import consent, second_factor
from home import views as home_views

# Wagtail's and Django's own login forms take a password and skip the second factor:
# both go to allauth's sign-in instead (which asks for TOTP, see directory/middleware.py).
admin.site.login = login_required(admin.site.login)

urlpatterns = [
    path(
        "admin/login/",
        RedirectView.as_view(url=settings.LOGIN_URL, query_string=True),
        name="cmss_admin_login",
    ),
    # Wagtail's logout drops the session cookie on any method, GET included (answering 405), so
    # a link on another site could sign staff out. allauth's signs out on POST only and answers
    # a GET with a page asking to confirm; the admin's "Log out" posts here as before.
    path("admin/logout/", allauth_account_views.logout, name="cmss_admin_logout"),
    path("admin/", include(wagtailadmin_urls)),
    # Clinicians enrol at /enrol/, not through allauth's sign-up form.
    path(
        "accounts/signup/",
        RedirectView.as_view(pattern_name="directory:enrol"),
        name="cmss_signup",
    ),
    # allauth's TOTP set-up, counting the activation as the session's second factor.
    path(
        "accounts/2fa/totp/activate/",
        second_factor.ActivateTOTPView.as_view(),
        name="mfa_activate_totp",
    ),
    # After TOTP set-up, the recovery-codes page links on to where the staff member was going.
    path(
        "accounts/2fa/continue/",
        second_factor.continue_after_setup,
        name="second_factor_continue",
    ),
    # No passwords anywhere (README "Signing in"): allauth's password pages (set, change, reset)
    # lead to the code sign-in; re-authentication is by code or TOTP (settings).
    re_path(
        r"^accounts/password/",
        RedirectView.as_view(url=settings.LOGIN_URL),
        name="cmss_no_password",
    ),
    path("accounts/", include("allauth.urls")),
    # The mail provider's delivery webhook, /anymail/<provider>/tracking/ (cms/mail/webhooks.py).
    # Only the configured provider's; any other /anymail/ address is 404.
    path(
        "anymail/<slug:esp>/tracking/",
        mail_webhooks.tracking_webhook,
        name="mail_tracking_webhook",
    ),
    # A clinician who agreed to an older privacy statement accepts the new one here.
    path("account/privacy-consent/", consent.privacy_consent, name="privacy_consent"),
    path("", include("directory.urls")),
    path("", include("events.urls")),
    # Wagtail's shared-password forms (never offered, see home/members.py) take no password.
    re_path(
        r"^(?:_util|documents)/authenticate_with_password/",
        RedirectView.as_view(url=settings.LOGIN_URL),
        name="cmss_no_shared_password",
    ),
    # Wagtail's front-end login takes a password: the code sign-in instead, keeping ?next=.
    path(
        "_util/login/",
        RedirectView.as_view(url=settings.LOGIN_URL, query_string=True),
        name="cmss_frontend_login",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", home_views.robots_txt, name="robots_txt"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # The demo serves images only: documents (MEDIA_ROOT/documents/) go through Wagtail's view,
    # which checks the privacy of their collection (WAGTAILDOCS_SERVE_METHOD).
    for folder in ("original_images", "images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/", document_root=settings.MEDIA_ROOT / folder
        )

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"
