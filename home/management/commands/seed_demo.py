"""Load the demo content and the demo staff accounts; running it again creates nothing twice."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from home import demo_content
from home.models import (
    HomePage,
    HomePageCallToAction,
    InformationPackageDocument,
    InformationPackagePage,
    PrivacyStatementPage,
    SiteSettings,
    StandardPage,
)
from home.services.moderation import assign_policy_review

# Demo-only accounts; the command refuses to run with production settings. Like everyone,
# they sign in with their email address and a one-time code (printed in the terminal).
DEMO_USERS = [
    # username, group, superuser, full name
    ("admin", None, True, ("Ada", "Admin")),
    ("helpdesk", "Helpdesk", False, ("Hana", "Helpdesk")),
    ("editor", "Editors", False, ("Eero", "Editor")),
    ("moderator", "Moderators", False, ("Maria", "Moderator")),
]


class Command(BaseCommand):
    help = "Create the demo site content and one demo account per staff role (idempotent)."

    def handle(self, *args, **options):
        if settings.SETTINGS_MODULE.endswith("production"):
            raise CommandError("seed_demo loads demo accounts and must not run in production.")
        with transaction.atomic():
            created = []
            home = self.home_page(created)
            package = self.information_package(home, created)
            self.package_pages(package, created)
            self.package_documents(package, created)
            self.settings_for(home)
            users = self.users(created)
            for _name, load in demo_content.registered_demos():
                created.extend(load(home))
        for line in created:
            self.stdout.write(f"created {line}")
        if not created:
            self.stdout.write("Demo content already present; nothing created.")
        base = settings.CMSS_BASE_URL
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Sign in at {base}/admin/"))
        self.stdout.write(
            f"Sign in at {base}/accounts/login/ with one of these addresses; "
            "the one-time code appears in this terminal:"
        )
        for email, role in users:
            self.stdout.write(f"  {role:<10} {email}")
        if getattr(settings, "CMSS_DEMO_RELAX_STAFF_MFA", False):
            self.stdout.write(
                "The demo lets staff into /admin/ without a TOTP second factor "
                "(CMSS_DEMO_RELAX_STAFF_MFA=0 to require it, as production always does)."
            )
        self.stdout.write("Sign-in codes and other emails are printed in this terminal.")

    def publish(self, page):
        page.save_revision().publish()

    def home_page(self, created):
        home = HomePage.objects.first()
        if home is None:
            root = Page.get_first_root_node()
            home = HomePage(
                title=demo_content.HOME_TITLE,
                slug="home",
                introduction=demo_content.HOME_INTRODUCTION,
                body=demo_content.HOME_BODY,
                seo_title="CMSS: case conferences and webinars",
            )
            for position, cta in enumerate(demo_content.HOME_CALLS_TO_ACTION):
                home.calls_to_action.add(HomePageCallToAction(sort_order=position, **cta))
            # Wagtail's placeholder "Welcome" page owns the slug "home"; move it aside first.
            placeholder = Page.objects.filter(depth=2, content_type__model="page").first()
            if placeholder is not None:
                placeholder.slug = "wagtail-welcome"
                placeholder.save()
            root.add_child(instance=home)
            self.publish(home)
            site = Site.objects.filter(is_default_site=True).first()
            if site is None:
                Site.objects.create(
                    hostname="localhost", port=80, root_page=home, is_default_site=True
                )
            else:
                site.root_page = home
                site.site_name = "CMSS"
                site.save()
            if placeholder is not None:
                placeholder.delete()
            created.append("home page")
        return home

    def information_package(self, home, created):
        package = InformationPackagePage.objects.first()
        if package is None:
            package = InformationPackagePage(
                title=demo_content.INFORMATION_PACKAGE_TITLE,
                slug="information-package",
                introduction=demo_content.INFORMATION_PACKAGE_INTRODUCTION,
                show_in_menus=True,
            )
            home.add_child(instance=package)
            self.publish(package)
            created.append("information package")
        assign_policy_review(package)
        return package

    def package_pages(self, package, created):
        privacy = demo_content.PRIVACY_STATEMENT
        if not PrivacyStatementPage.objects.child_of(package).filter(slug=privacy["slug"]).exists():
            page = PrivacyStatementPage(**privacy)
            package.add_child(instance=page)
            self.publish(page)
            created.append(f"page {privacy['title']!r}")
        for spec in demo_content.STANDARD_PAGES:
            if StandardPage.objects.child_of(package).filter(slug=spec["slug"]).exists():
                continue
            page = StandardPage(**spec)
            package.add_child(instance=page)
            self.publish(page)
            created.append(f"page {spec['title']!r}")

    def package_documents(self, package, created):
        Document = get_document_model()
        changed = False
        for position, spec in enumerate(demo_content.PACKAGE_DOCUMENTS):
            document = Document.objects.filter(title=spec["title"]).first()
            if document is None:
                pdf = demo_content.simple_pdf(spec["title"], spec["lines"])
                document = Document(title=spec["title"])
                document.file.save(spec["filename"], ContentFile(pdf), save=False)
                document.save()
                created.append(f"document {spec['title']!r}")
            if not package.package_documents.filter(document=document).exists():
                package.package_documents.add(
                    InformationPackageDocument(
                        document=document, description=spec["description"], sort_order=position
                    )
                )
                changed = True
        if changed:
            self.publish(package)

    def settings_for(self, home):
        site = Site.objects.get(root_page=home)
        SiteSettings.for_site(site)

    def users(self, created):
        User = get_user_model()
        accounts = []
        for username, group_name, superuser, (first, last) in DEMO_USERS:
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@cmss.example.eu",
                    "first_name": first,
                    "last_name": last,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if was_created:
                user.set_unusable_password()
                user.save()
                created.append(f"user {username!r}")
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            # Staff made outside allauth need a verified primary address to sign in there.
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            accounts.append((user.email, group_name or "admin"))
        return accounts
