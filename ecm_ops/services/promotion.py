"""The promotion gate: a candidate version becomes what editors draft with only through here.

:func:`gate` says whether a version may be promoted with a model, and why not:

1. the latest evaluation run of exactly that version and model has finished (a run of another
   version, another model, or an older run followed by a newer failing one does not count);
2. it passed every required case, and judged every active case as it is now (a case added
   or edited after the run makes the run stale);
3. it is not worse than the promoted version's last run with the same model, on the cases both
   ran, beyond ``ECM_OPS["PROMOTION"]`` tolerances (pass rate, mean screening score).

:func:`promote` adds permission (``ecm_ops.promote_template``), four-eyes (the version's author
may not promote it alone unless ``ECM_OPS["PROMOTION"]["SINGLE_ADMIN"]``), a lock on the
template (a concurrent edit or promotion waits, then the gate is re-read), an audit entry, a
:class:`~ecm_ops.models.TemplatePromotion` row and a notification. ``override=True`` skips the
evaluation conditions (never the permission or four-eyes) and needs a reason; it is audited
and listed on the dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .. import conf
from ..models import PromptTemplate, PromptTemplateVersion, TemplatePromotion
from ..states import JobStatus, TemplateStatus
from . import PermissionDenied, ServiceError, audit
from .evaluation import baseline_for, comparable, latest_run, resolve_model

logger = logging.getLogger("ecm_ops.promotion")
PERMISSION = "ecm_ops.promote_template"


@dataclass
class Gate:
    ok: bool
    run: object = None
    reasons: list[str] = field(default_factory=list)


def can_promote(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def gate(version: PromptTemplateVersion, model: str = "") -> Gate:
    """Whether ``version`` may be promoted on its evaluation with ``model`` (see the module)."""
    model = resolve_model(version, model)
    run = latest_run(version, model)
    reasons = run_reasons(version.number, model, run)
    if run is None or run.status != JobStatus.SUCCEEDED:
        return Gate(False, run, reasons)
    cases = version.template.evaluation_cases.filter(active=True)
    judged = set(run.results.exclude(case=None).values_list("case_id", flat=True))
    added = cases.exclude(pk__in=judged).count()
    if added:
        reasons.append(f"{added} case(s) were added after the latest run; run it again.")
    changed = cases.filter(pk__in=judged, updated_at__gt=run.created_at).count()
    if changed:
        reasons.append(f"{changed} case(s) were changed after the latest run; run it again.")
    reasons += _regressions(run)
    return Gate(not reasons, run, reasons)


def run_reasons(number: int, model: str, run) -> list[str]:
    """Why the latest run (``run``, None: none) of version ``number`` with ``model`` does not
    pass: it is missing, not finished successfully, or failed a required case (no query; the
    gate's first conditions, also read in batch by the section readiness scorecard)."""
    if run is None:
        return [f"Version {number} has no evaluation run with {model}."]
    if run.status != JobStatus.SUCCEEDED:
        state = run.get_status_display().lower()
        return [f"The latest evaluation run with {model} is {state}."]
    if not run.passed:
        failed = (run.summary or {}).get("required_failed", "some")
        return [f"The latest run failed {failed} required case(s)."]
    return []


def _regressions(run) -> list[str]:
    compared = comparable(run, baseline_for(run))
    if compared is None:
        return []
    tolerance = conf.get("PROMOTION")
    reasons = []
    (rate, base_rate), (mean, base_mean) = compared["pass_rate"], compared["mean_score"]
    if rate < base_rate - tolerance["PASS_RATE_TOLERANCE"] - 1e-9:
        reasons.append(
            f"Pass rate {rate:.0%} is below the promoted version's {base_rate:.0%} on the same "
            f"{compared['cases']} case(s)."
        )
    if mean > base_mean + tolerance["MEAN_SCORE_TOLERANCE"] + 1e-9:
        reasons.append(
            f"Mean screening score {mean:.2f} is worse than the promoted version's "
            f"{base_mean:.2f} by more than {tolerance['MEAN_SCORE_TOLERANCE']:g}."
        )
    return reasons


@transaction.atomic
def promote(
    version_pk: int, user, *, model: str = "", override: bool = False, reason: str = ""
) -> TemplatePromotion:
    """Make ``version`` what editors draft with.

    Raises:
        PermissionDenied: no ``promote_template`` permission, or four-eyes (the author).
        ServiceError: the gate refuses (the message lists why), the version is not newer than
            the promoted one, the template is retired, or an override has no reason.
    """
    if not can_promote(user):
        raise PermissionDenied("You need the “promote prompt template” permission to promote.")
    version = PromptTemplateVersion.objects.select_related("created_by").get(pk=version_pk)
    # Lock the template: an edit saving a newer version, or a second promotion, waits here.
    template = PromptTemplate.objects.select_for_update().get(pk=version.template_id)
    version.template = template
    if template.status == TemplateStatus.RETIRED:
        raise ServiceError(f"“{template}” is retired; reopen it first.", status=409)
    promoted = template.promoted_version
    if promoted is not None and version.number <= promoted.number:
        raise ServiceError(
            f"Version {version.number} is not newer than the promoted version {promoted.number}.",
            status=409,
        )
    single_admin = conf.get("PROMOTION")["SINGLE_ADMIN"]
    if version.created_by_id == user.pk and not single_admin:
        raise PermissionDenied(
            f"You wrote version {version.number}, so someone else must promote it (four eyes)."
        )
    reason = (reason or "").strip()
    result = gate(version, model)
    if override:
        if len(reason) < 10:
            raise ServiceError("An override needs a reason (at least a sentence).")
    elif not result.ok:
        raise ServiceError(
            f"Version {version.number} cannot be promoted: " + " ".join(result.reasons),
            status=409,
        )
    template.promoted_version = version
    if template.status != TemplateStatus.ACTIVE:
        template.activate()
    template.save(update_fields=["promoted_version", "status"])
    promotion = TemplatePromotion.objects.create(
        template=template,
        version=version,
        previous=promoted,
        run=result.run,
        promoted_by=user,
        override=override,
        reason=reason,
    )
    audit.record(
        template,
        "ecm_ops.template.promotion_overridden" if override else "ecm_ops.template.promoted",
        user,
        template=template.slug,
        version=version.number,
        previous=promoted.number if promoted else None,
        run=result.run.pk if result.run else None,
        gate=result.reasons,
        reason=reason,
    )
    _notify(promotion)
    return promotion


def _notify(promotion: TemplatePromotion) -> None:
    """Tell the version's author and the site admins (after commit; mail errors are logged)."""
    from django.contrib.auth import get_user_model

    template, version = promotion.template, promotion.version
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    recipients = set(admins.values_list("email", flat=True))
    if version.created_by is not None and version.created_by.email:
        recipients.add(version.created_by.email)
    how = f"by override: {promotion.reason}" if promotion.override else "after a passing evaluation"
    who = promotion.promoted_by.get_username() if promotion.promoted_by else "someone"
    subject = f"Prompt template promoted: {template} v{version.number}"
    body = (
        f"{who} promoted version {version.number} of “{template}” {how}.\n"
        "Editors draft with it from now on.\n"
    )

    def send():
        try:
            send_mail(
                subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), sorted(recipients)
            )
        except Exception:
            logger.exception("Could not send the promotion notice %r", subject)

    if recipients:
        transaction.on_commit(send)
