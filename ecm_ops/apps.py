from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EcmOpsConfig(AppConfig):
    name = "ecm_ops"
    label = "ecm_ops"
    verbose_name = _("Content operations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signal_handlers, system_checks  # noqa: F401

        signal_handlers.connect()
