"""Audit log entries (Wagtail's log, so they show in the page history and reports)."""

from __future__ import annotations

from wagtail.log_actions import log

ACTIONS = {
    "ecm_ops.draft.requested": ("Request AI draft", "AI draft requested"),
    "ecm_ops.draft.succeeded": ("AI draft created", "AI draft created"),
    "ecm_ops.draft.failed": ("AI draft failed", "AI draft failed"),
    "ecm_ops.draft.cancelled": ("Cancel AI draft", "AI draft cancelled"),
    "ecm_ops.template.created": ("Create prompt template", "Prompt template created"),
    "ecm_ops.template.edited": ("Edit prompt template", "Prompt template edited"),
    "ecm_ops.template.evaluating": ("Evaluate prompt template", "Prompt template in evaluation"),
    "ecm_ops.template.activated": ("Activate prompt template", "Prompt template activated"),
    "ecm_ops.template.returned_to_draft": ("Return template to draft", "Template back to draft"),
    "ecm_ops.template.retired": ("Retire prompt template", "Prompt template retired"),
    "ecm_ops.template.reopened": ("Reopen prompt template", "Prompt template reopened"),
    "ecm_ops.template.evaluation_requested": ("Evaluate template version", "Evaluation requested"),
    "ecm_ops.template.promoted": ("Promote template version", "Template version promoted"),
    "ecm_ops.template.promotion_overridden": (
        "Override promotion gate",
        "Template version promoted by override",
    ),
    "ecm_ops.template.case_added": ("Add evaluation case", "Evaluation case added"),
    "ecm_ops.template.suite_imported": ("Import evaluation suite", "Evaluation suite imported"),
    "ecm_ops.screening.finished": ("Pre-screen", "Pre-screened"),
    "ecm_ops.review.opened": ("Open review", "Review opened"),
    "ecm_ops.review.skipped": ("Skip review", "Review skipped (low risk)"),
    "ecm_ops.review.awaiting": ("Await review", "Awaiting review"),
    "ecm_ops.review.approval": ("Approve", "Approval recorded"),
    "ecm_ops.review.approved": ("Approve review", "Review approved"),
    "ecm_ops.review.changes_requested": ("Request changes", "Changes requested"),
    "ecm_ops.review.withdrawn": ("Withdraw review", "Review withdrawn"),
    "ecm_ops.review.escalated": ("Escalate", "Review escalated"),
    "ecm_ops.review.delegated": ("Delegate review", "Review delegated to a named reviewer"),
    "ecm_ops.authority.granted": ("Grant authority", "Approval authority granted"),
    "ecm_ops.authority.revoked": ("Revoke authority", "Approval authority revoked"),
    "ecm_ops.review.rejected": ("Reject", "Review rejected"),
    "ecm_ops.publish.refused": ("Refuse direct publish", "Direct publish refused (review)"),
    "ecm_ops.publish.override": ("Override review", "Published without review (override)"),
    "ecm_ops.verify.violation": ("Verifier violation", "Publication invariant violated"),
    "ecm_ops.monitoring.scheduled": ("Schedule monitoring", "Monitoring scheduled"),
    "ecm_ops.monitoring.checked": ("Monitoring check", "Monitoring check ran"),
    "ecm_ops.incident.opened": ("Open incident", "Incident opened"),
    "ecm_ops.screening.overridden": ("Override blockers", "Pre-screen blockers overridden"),
    "ecm_ops.incident.acknowledged": ("Acknowledge incident", "Incident acknowledged"),
    "ecm_ops.incident.resolved": ("Resolve incident", "Incident resolved"),
    "ecm_ops.incident.unpublished": ("Unpublish on incident", "Unpublished because of an incident"),
    "ecm_ops.drift.opened": ("Drift alert", "Quality drifted below the pilot baseline"),
    "ecm_ops.drift.acknowledged": ("Acknowledge drift alert", "Drift alert acknowledged"),
    "ecm_ops.baseline.marked": ("Mark pilot baseline", "Pilot baseline marked"),
}


def record(page, action: str, user=None, **data) -> None:
    """Write one audit entry for ``page``. ``data`` must be JSON-serialisable."""
    if action not in ACTIONS:
        raise ValueError(f"Unregistered ecm_ops log action {action!r}")
    log(instance=page, action=action, user=user, data=data)


def register(actions) -> None:
    """Hook body for ``register_log_actions``."""
    for action, (label, message) in ACTIONS.items():
        actions.register_action(action, label, message)
