"""Django system checks: the installation is complete and the settings make sense."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def check_installation(app_configs=None, **kwargs):
    errors = []
    backends = getattr(settings, "AUTHENTICATION_BACKENDS", [])
    if "guardian.backends.ObjectPermissionBackend" not in backends:
        errors.append(
            checks.Error(
                "ecm_ops needs django-guardian's object permission backend.",
                hint="Add 'guardian.backends.ObjectPermissionBackend' to AUTHENTICATION_BACKENDS.",
                id="ecm_ops.E001",
            )
        )
    for app in ("guardian", "django_rq", "wagtail"):
        if app not in settings.INSTALLED_APPS:
            errors.append(
                checks.Error(f"ecm_ops needs {app!r} in INSTALLED_APPS.", id="ecm_ops.E002")
            )
    apps = list(settings.INSTALLED_APPS)
    if "ecm_ops" in apps and "wagtail" in apps and apps.index("ecm_ops") > apps.index("wagtail"):
        errors.append(
            checks.Warning(
                "'ecm_ops' comes after 'wagtail' in INSTALLED_APPS, so `manage.py "
                "publish_scheduled` runs Wagtail's command instead of ecm_ops's: a scheduled "
                "go-live refused by the publication guard then stops every later one.",
                hint="Put 'ecm_ops' before the wagtail apps in INSTALLED_APPS.",
                id="ecm_ops.W001",
            )
        )
    from . import conf

    try:
        conf.ecm_settings()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="ecm_ops.E003"))
        return errors
    if conf.get("JOB_BACKEND") == "rq" and conf.get("QUEUE") not in getattr(
        settings, "RQ_QUEUES", {}
    ):
        errors.append(
            checks.Error(
                f"ECM_OPS['QUEUE'] is {conf.get('QUEUE')!r} but RQ_QUEUES does not define it.",
                id="ecm_ops.E004",
            )
        )
    if conf.get("PROVIDER") == "anthropic":
        try:
            import anthropic  # noqa: F401
        except ImportError:
            errors.append(
                checks.Error(
                    "PROVIDER is 'anthropic' but the anthropic SDK is not installed.",
                    id="ecm_ops.E005",
                )
            )
        if not conf.anthropic_api_key():
            errors.append(
                checks.Error(
                    "PROVIDER is 'anthropic' but no API key is configured.",
                    hint="Set the ANTHROPIC_API_KEY environment variable.",
                    id="ecm_ops.E006",
                )
            )
    return errors
