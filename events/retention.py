"""What the webinars keep only for a while (see cms/retention.py): recording links and their
passwords, removed WEBINAR_RECORDING_RETENTION_DAYS after they arrived (the webinar's own
setting, not the site's retention period: a recording is worth keeping longer than a mail log)."""

from datetime import timedelta

from django.conf import settings

from cms.retention import register_purger

DEFAULT_RECORDING_RETENTION_DAYS = 365


def recording_retention_days():
    return int(
        getattr(settings, "WEBINAR_RECORDING_RETENTION_DAYS", DEFAULT_RECORDING_RETENTION_DAYS)
    )


@register_purger("webinar recording links")
def purge_recording_links(older_than, now):
    from events.services.recordings import remove_expired

    return remove_expired(now - timedelta(days=recording_retention_days()))


@register_purger("case conference questions")
def purge_conference_questions(older_than, now):
    from events.conference_retention import erase_expired_questions

    return erase_expired_questions(older_than, now)
