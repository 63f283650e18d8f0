from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.account.signals import email_confirmed

        from directory.services.enrolment import on_email_confirmed

        email_confirmed.connect(on_email_confirmed, dispatch_uid="cmss_enrolment_confirmed")

        from directory import consent, package_admin, signals  # noqa: F401 (admin hooks)

        signals.connect()
        consent.connect()

        # The header's members-only links and "My account" (home/navigation.py) follow the
        # directory's rules.
        from directory.access import clinician_for, may_see_contact_details
        from home.navigation import CLINICIANS, MEMBERS, set_audience

        set_audience(MEMBERS, may_see_contact_details)
        set_audience(CLINICIANS, lambda user: clinician_for(user) is not None)
