"""What a case conference keeps only for a while (see cms/retention.py; registered from
events/retention.py): its free text (the clinical question, the helpdesk's note, the reason it
was declined) is blanked SiteSettings.retention_days after it ended (held, declined or
cancelled; ``ended_at``). Dates, countries, durations, slots, invitees and answers stay, which is
what statistics need; ``question_erased_at`` records when, so a second run finds nothing."""

from events.models import ConferenceRequest

Status = ConferenceRequest.Status
ENDED = (Status.HELD, Status.CLOSED, Status.DECLINED, Status.CANCELLED)


def erase_expired_questions(older_than, now):
    """Blank the free text of every request that ended before ``older_than``; returns how many
    were blanked (0 on a second run)."""
    return ConferenceRequest.objects.filter(
        status__in=ENDED,
        ended_at__lt=older_than,
        question_erased_at__isnull=True,
    ).update(clinical_question="", helpdesk_note="", decline_reason="", question_erased_at=now)
