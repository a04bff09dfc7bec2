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


#: ``manage.py check`` ids of the setup checklist's items (Content ops → Setup).
READINESS_CHECK_IDS = {
    "sections": "ecm_ops.W100",
    "email": "ecm_ops.W101",
    "workflow": "ecm_ops.W110",
    "templates": "ecm_ops.W111",
    "checks": "ecm_ops.W112",
    "monitoring": "ecm_ops.W113",
    "sweep": "ecm_ops.W114",
    "tiers": "ecm_ops.W115",
    "approvers": "ecm_ops.W116",
    "escalation": "ecm_ops.W117",
    "verify": "ecm_ops.W118",
    "evaluated_templates": "ecm_ops.W119",
    "certifications": "ecm_ops.W120",
    "rubber_stamps": "ecm_ops.W121",
}


@checks.register()
def check_setup(app_configs=None, **kwargs):
    """The setup checklist as warnings: the same items, worded the same way. It reads the
    database (silently skipped before ``migrate`` has created the tables) but never contacts
    Redis: whether workers run is on the Setup screen only, so ``check`` cannot hang on an
    unreachable queue."""
    from django.db import DatabaseError

    from . import conf

    try:
        conf.ecm_settings()
    except ImproperlyConfigured:
        return []  # reported by check_installation
    from .services import readiness

    try:
        sections = readiness.readiness_for()
    except DatabaseError:
        return []
    warnings = []
    site = [readiness.item_sections([s.policy for s in sections]), readiness.item_email()]
    for item in site:
        for problem in item.problems:
            warnings.append(
                checks.Warning(
                    f"{item.label}: {problem}",
                    hint=f"{item.fix_label}: {item.fix_url}" if item.fix_url else None,
                    id=READINESS_CHECK_IDS[item.key],
                )
            )
    for card in sections:
        for item in card.items:
            for problem in item.problems:
                warnings.append(
                    checks.Warning(
                        f"“{card.section.title}” — {item.label}: {problem}",
                        hint=f"{item.fix_label}: {item.fix_url}" if item.fix_url else None,
                        obj=card.policy,
                        id=READINESS_CHECK_IDS[item.key],
                    )
                )
    return warnings
