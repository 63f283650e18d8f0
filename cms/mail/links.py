"""Absolute links for email: the site's address (``settings.CMSS_BASE_URL``) plus a path.

An email is read away from the site and is often sent by the task worker, where there is no
request to take a host from; so every link in a message starts with the one configured address.
"""

from django.conf import settings
from django.urls import reverse


def absolute_url(path_or_name="/", *args):
    """``CMSS_BASE_URL`` joined to a path ("/enrol/") or to a named URL ("account_login").

    Raises ``NoReverseMatch`` for a name that does not resolve.
    """
    target = str(path_or_name or "/")
    if not target.startswith("/"):
        target = reverse(target, args=args)
    return settings.CMSS_BASE_URL.rstrip("/") + target
