from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signals  # noqa: F401 - checks register themselves

        signals.connect()
        from .services import package, privacy

        package.connect()
        privacy.connect()
