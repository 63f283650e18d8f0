"""What CMSS keeps only for a while, and deletes once ``SiteSettings.retention_days`` have passed.

Each app registers what it keeps for a limited time in its own ``retention.py`` module, found by
``autodiscover`` the way Wagtail finds ``wagtail_hooks`` modules, so that this module imports no
app and a later feature adds its data without touching the command::

    from cms.retention import register_purger

    @register_purger("case conference requests")
    def purge_requests(older_than, now):
        return CaseRequest.objects.filter(closed_at__lt=older_than).update(text="")

A purger receives ``older_than`` (now minus the retention period) and ``now``, deletes or blanks
what is older, and returns how many things it deleted or blanked. Running it again must be
harmless (the second run finds nothing left and returns 0). ``manage.py purge_expired`` runs
them all.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

_purgers = {}


def register_purger(name):
    """Decorator: register ``purge(older_than, now)`` under ``name`` (a name again replaces it)."""

    def register(purge):
        _purgers[name] = purge
        return purge

    return register


def purgers():
    """The registered purgers by name, after importing every installed app's ``retention``."""
    autodiscover_modules("retention")
    return dict(_purgers)


def purge_expired(retention_days, now=None):
    """Run every purger with the cut-off ``retention_days`` ago; returns {name: count}."""
    now = now or timezone.now()
    older_than = now - timedelta(days=retention_days)
    return {name: purge(older_than, now) for name, purge in purgers().items()}
