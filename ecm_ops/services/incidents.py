"""Incidents: opened by monitoring on a *new* blocker, handled by people with section authority.

Life cycle (django-fsm on :class:`~ecm_ops.models.Incident`)::

    open ──> acknowledged ──> resolved
      │            │              ^
      └────────────┴─> unpublished ┘  (republishing the page resolves it)

Every transition goes through this module, with Wagtail's shape: ``transaction.atomic``, the
row under ``select_for_update``, a guard (permission first: page editors holding approval
authority for the section, or superusers; others get :class:`PermissionDenied`; a transition
from the wrong state is a :class:`Conflict`), ``save()``, an audit entry, then mail after
commit.

Which blockers are new, and what a "could not run" finding raises instead, is monitoring's
business (:mod:`ecm_ops.monitoring.pipeline`); this module only opens the incident it is
given and unpublishes when the section's policy lists one of the new blockers' checks
(:meth:`~ecm_ops.models.RiskPolicy.unpublishes_for`).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from wagtail.actions.unpublish_page import UnpublishPageAction

from ..governance.classification import policy_for
from ..models import Incident
from ..states import IncidentState, Severity
from . import Conflict, PermissionDenied, audit, notifications
from .screening import has_section_authority

logger = logging.getLogger("ecm_ops.monitoring")
ACTIVE = (IncidentState.OPEN, IncidentState.ACKNOWLEDGED, IncidentState.UNPUBLISHED)


def can_handle(user, incident: Incident) -> bool:
    page = incident.page.specific
    return has_section_authority(user, page) and page.permissions_for_user(user).can_edit()


def recipients(page):
    """The page owner and everyone with approval authority on the section's tiers (users)."""
    from django.contrib.auth import get_user_model

    from ..governance.authority import users_with_authority

    ids = {page.owner_id} if page.owner_id else set()
    policy = policy_for(page)
    if policy is not None:
        for tier in policy.tiers.all():
            ids.update(users_with_authority(tier).values_list("pk", flat=True))
    return (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .select_related("wagtail_userprofile")
        .order_by("pk")
    )


def _notify(incident: Incident, subject: str) -> None:
    to = list(recipients(incident.page.specific))
    if not to:
        logger.warning("Incident %s: nobody to notify (no owner, no authority)", incident.pk)
        return
    notifications.incident(incident, to, subject)


@transaction.atomic
def open_incident(page, run, new_blockers=None, policy=None) -> Incident | None:
    """Open one incident for a live page on which monitoring found new blockers.

    Args:
        page: the specific live page.
        run: the monitoring screening run that found them.
        new_blockers: the blockers absent from the publication baseline (findings with
            ``check_id``); None takes every blocker of ``run``. "Could not run" findings are
            never a content incident and are ignored here.
        policy: the page's policy if the caller has it (else looked up).

    Returns:
        The incident, or None when there is nothing new to report or an incident on the page
        is still active. The page is unpublished (audited, reversible) only when the
        section's policy lists the check of one of the new blockers.
    """
    if new_blockers is None:
        new_blockers = list(run.findings.filter(severity=Severity.BLOCKER))
    new_blockers = [f for f in new_blockers if not f.check_id.endswith("could_not_run")]
    if not new_blockers:
        return None
    if Incident.objects.select_for_update().filter(page=page, state__in=ACTIVE).exists():
        return None
    checks = sorted({f.check_id for f in new_blockers})
    incident = Incident.objects.create(
        page=page,
        screening_run=run,
        severity=Severity.BLOCKER,
        summary=f"Monitoring found {len(new_blockers)} new blocking issue(s) on the live page "
        f"“{page.title}”: {', '.join(checks)}.",
    )
    audit.record(
        page, "ecm_ops.incident.opened", None, incident=incident.pk, summary=incident.summary
    )
    policy = policy if policy is not None else policy_for(page)
    subject = f"[ecm_ops] Incident on “{page.title}”"
    listed = [c for c in checks if policy is not None and policy.unpublishes_for(c)]
    if listed and page.live:
        reason = (
            f"Unpublished automatically: the policy “{policy.name}” unpublishes live pages with "
            f"a new blocker from {', '.join(listed)} (incident #{incident.pk}). Republish the "
            "page once it is fixed."
        )
        UnpublishPageAction(page, user=None, log_action=True).execute(skip_permission_checks=True)
        incident.mark_unpublished(user=None, note=reason)
        incident.save()
        audit.record(
            page, "ecm_ops.incident.unpublished", None, incident=incident.pk, reason=reason
        )
        subject += " – the page was unpublished"
    _notify(incident, subject)
    return incident


def _locked(pk: int) -> Incident:
    return Incident.objects.select_for_update().select_related("page").get(pk=pk)


@transaction.atomic
def acknowledge(pk: int, user) -> Incident:
    """Raises PermissionDenied (no authority for the section) or Conflict (not open)."""
    incident = _locked(pk)
    if not can_handle(user, incident):
        raise PermissionDenied(
            "Only editors with approval authority for this section can handle its incidents."
        )
    if incident.state != IncidentState.OPEN:
        raise Conflict(f"This incident is {incident.get_state_display().lower()} already.")
    incident.acknowledge(user=user)
    incident.save()
    audit.record(incident.page.specific, "ecm_ops.incident.acknowledged", user, incident=pk)
    return incident


@transaction.atomic
def resolve(pk: int, user, note: str = "") -> Incident:
    incident = _locked(pk)
    if not can_handle(user, incident):
        raise PermissionDenied(
            "Only editors with approval authority for this section can handle its incidents."
        )
    if incident.state not in (IncidentState.OPEN, IncidentState.ACKNOWLEDGED):
        raise Conflict(
            f"This incident is {incident.get_state_display().lower()}; "
            + (
                "republish the fixed page to resolve it."
                if incident.state == IncidentState.UNPUBLISHED
                else "it cannot be resolved again."
            )
        )
    incident.resolve(user=user, note=note.strip() or "Resolved.")
    incident.save()
    audit.record(incident.page.specific, "ecm_ops.incident.resolved", user, incident=pk, note=note)
    return incident


@transaction.atomic
def page_republished(page, user=None) -> list[int]:
    """Publishing a page whose incident unpublished it resolves that incident (linked in the
    note and the audit log): republication is the reversal of the automatic unpublish."""
    resolved = []
    for incident in Incident.objects.select_for_update().filter(
        page_id=page.pk, state=IncidentState.UNPUBLISHED
    ):
        revision = page.live_revision_id
        incident.resolve(
            user=user,
            note=f"{incident.note}\nResolved by republishing (revision {revision}) on "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC.".strip(),
        )
        incident.save()
        audit.record(
            page, "ecm_ops.incident.resolved", user, incident=incident.pk, revision=revision
        )
        resolved.append(incident.pk)
    return resolved
