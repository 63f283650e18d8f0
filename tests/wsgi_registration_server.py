"""The site as tests/test_webinar_registration_concurrency.py serves it with gunicorn.

Test controls, read here only (never by the site itself):

- ``CMSS_TEST_REGISTRATION_LOCK=off`` replaces the registration service's row lock with a plain
  read of the webinar, for the control run that shows the test can see overbooking;
- near the last places (three or fewer left), the count of places pauses 0.3 s after counting,
  in every run: the moment where two registrations could both see the last place is made long
  enough that, without the lock, they do (with it, the others wait at the lock);
- the webinars of that test have no Webex booking, so registering someone on Webex is not
  retried (the immediate task backend would otherwise sleep out each retry delay inside the
  request).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402

settings.WEBEX_BOOKING_RETRY_DELAYS = []

import time  # noqa: E402

from events.services import registrations  # noqa: E402

_count_places = registrations.places_left


def _places_left_slowly_near_the_end(webinar):
    left = _count_places(webinar)
    if 0 < left <= 3:
        time.sleep(0.3)
    return left


registrations.places_left = _places_left_slowly_near_the_end

if os.environ.get("CMSS_TEST_REGISTRATION_LOCK") == "off":
    from events.models import WebinarPage  # noqa: E402

    registrations._lock = lambda webinar: WebinarPage.objects.get(pk=webinar.pk)
