from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.account.signals import email_confirmed

        from directory.services.enrolment import on_email_confirmed

        email_confirmed.connect(on_email_confirmed, dispatch_uid="cmss_enrolment_confirmed")

        from directory import signals

        signals.connect()
