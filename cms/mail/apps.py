from django.apps import AppConfig


class MailConfig(AppConfig):
    """Outgoing mail: the log, the send task, the anymail tracking receiver, the helpdesk's list."""

    name = "cms.mail"
    label = "mail"
    verbose_name = "Outgoing mail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from anymail.signals import tracking

        from cms.mail.webhooks import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="cmss_mail_tracking")
