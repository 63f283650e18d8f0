from django.apps import AppConfig


def places_changed(sender, instance, **kwargs):
    """A registration took or gave up a place: the cached webinar pages show the wrong number
    of places left, so they are dropped (now and again after commit, see home/pagecache.py)."""
    from home.pagecache import invalidate_public_pages

    confirmed = "confirmed"  # Registration.Status.CONFIRMED
    if confirmed in (instance.status, getattr(instance, "_stored_status", None)):
        invalidate_public_pages()


def registration_signalled(sender, registration=None, **kwargs):
    from home.pagecache import invalidate_public_pages

    invalidate_public_pages()


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        # Its receivers: a published webinar is booked on Webex, a confirmed registrant
        # registered on it; a recording link the helpdesk pasted and published is emailed.
        import events.services.recordings  # noqa: F401
        import events.services.webinars  # noqa: F401
        from events import signals
        from events.models import Registration
        from home.demo_content import register_demo

        uid = "events-places-{}"
        post_save.connect(places_changed, sender=Registration, dispatch_uid=uid.format("save"))
        post_delete.connect(places_changed, sender=Registration, dispatch_uid=uid.format("del"))
        # The registration service may also move places without saving one row at a time
        # (a queryset update): its signals drop the pages too.
        for signal in (signals.registration_confirmed, signals.registration_cancelled):
            signal.connect(registration_signalled, dispatch_uid=uid.format(id(signal)))

        # Registration: the erasure registry's holder, and updates and cancellations to
        # registrants when a webinar changes or is cancelled.
        from events import personal_data  # noqa: F401 (registers the holder)
        from events.services import registrations

        signals.webinar_changed.connect(
            registrations.on_webinar_changed, dispatch_uid="registrations-webinar-changed"
        )
        signals.webinar_cancelled.connect(
            registrations.on_webinar_cancelled, dispatch_uid="registrations-webinar-cancelled"
        )

        # Case conferences: participants are invited once a meeting's booking is stored booked.
        import events.services.conference_scheduling  # noqa: F401
        from events.demo import seed_conferences, seed_webinars

        register_demo("webinars", seed_webinars)
        register_demo("case conferences", seed_conferences)

        # An announcement may go to a webinar's registrants (directory/mailing_list.py).
        from events import audiences

        audiences.register()
