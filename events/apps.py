from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Its receivers: a published webinar is booked on Webex, a confirmed registrant
        # registered on it.
        import events.services.webinars  # noqa: F401
