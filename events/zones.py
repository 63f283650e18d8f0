"""Time zones as the events app uses them.

The names Python knows are read once per process (``zoneinfo.available_timezones()`` walks the
zone files on disk, some milliseconds a call), so checking a clinician's or a webinar's zone on a
page, in a loop over participants or in an email costs nothing.
"""

import functools
import zoneinfo

from django.conf import settings


@functools.cache
def known_zone_names():
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name):
    return bool(name) and name in known_zone_names()


def zone_or_site(name):
    """The ZoneInfo named ``name``, or the site's zone when the name is unknown."""
    return zoneinfo.ZoneInfo(name if is_known_zone(name) else settings.TIME_ZONE)


def clinician_zone_name(clinician, fallback):
    """The zone a clinician's times are shown in: their own, else their hospital country's;
    ``fallback`` when there is no clinician or the name is not a known zone."""
    if clinician is None:
        return fallback
    name = clinician.effective_time_zone
    return name if is_known_zone(name) else fallback
