"""Deployment checks for what the public page cache needs."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(deploy=True)
def shared_cache_in_production(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in LOCAL_CACHES:
        return [
            Warning(
                "The default cache is local to each process.",
                hint=(
                    "Set REDIS_URL (or CACHE_URL): with several workers, a page published in one "
                    "would stay stale in the others' page cache, and sign-in rate limits would "
                    "not be shared."
                ),
                id="cmss.W001",
            )
        ]
    return []
