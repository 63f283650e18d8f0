"""manage.py purge_expired: delete what is kept only for the retention period (cms/retention.py).

Run it once a day from cron. Running it again is harmless: what was deleted is not there twice.
"""

from django.core.management.base import BaseCommand
from django.db.models import Min

from cms.retention import purge_expired
from home.models import SiteSettings


def retention_days():
    """The retention period in days: the shortest any site sets (Settings → CMSS settings)."""
    days = SiteSettings.objects.aggregate(days=Min("retention_days"))["days"]
    return days or SiteSettings._meta.get_field("retention_days").default


class Command(BaseCommand):
    help = (
        "Delete what CMSS keeps only for the retention period (Settings → CMSS settings → Limits)."
    )

    def handle(self, *args, **options):
        days = retention_days()
        for name, count in purge_expired(days).items():
            self.stdout.write(f"{name}: {count} deleted (older than {days} days)")
