"""E-mail notifications for review cases, sent after the transaction commits.

Who hears what:

- a case awaits review (or escalates): every active user with authority for the case's tier or
  a delegation on the case, minus the people who may not approve it (four-eyes);
- a case is decided (approved, changes requested, rejected, skipped, withdrawn): the requester.

Mail goes through Django's ``send_mail`` (the site's ``EMAIL_BACKEND``; locmem in tests). A mail
failure is logged, never raised: the decision has already been committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger("ecm_ops.notifications")

DECISION_SUBJECTS = {
    "approved": "Approved: {title}",
    "changes_requested": "Changes requested: {title}",
    "rejected": "Rejected: {title}",
    "skipped": "Review skipped (low risk): {title}",
    "withdrawn": "Review withdrawn: {title}",
}


def reviewer_emails(case) -> list[str]:
    """E-mail addresses of everyone who may decide ``case`` (authority or delegation), minus
    the conflicted."""
    from ..governance.authority import case_reviewer_ids, conflicted_user_ids

    users = (
        get_user_model()
        .objects.filter(pk__in=case_reviewer_ids(case))
        .exclude(pk__in=conflicted_user_ids(case.page_id))
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def _case_url(case) -> str:
    path = reverse("ecm_ops:review_case", args=[case.pk])
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + path


def _send(subject: str, body: str, recipients: list[str]) -> None:
    if not recipients:
        return
    try:
        send_mail(subject, body, None, recipients, fail_silently=False)
    except Exception:  # the decision is committed; a broken mail server must not undo it
        logger.exception("Could not send review notification %r", subject)


def case_awaiting_review(case, *, escalated: bool = False) -> None:
    """Tell the people who may decide ``case`` that it waits for them (after commit)."""
    title = case.page.get_admin_display_title()
    tier = case.tier.label if case.tier else "default"
    prefix = "Escalated review" if escalated else "Review needed"
    subject = f"{prefix} ({tier}): {title}"
    reasons = "\n".join(f"- {r}" for r in case.tier_reasons) or "- (no rule matched)"
    body = (
        f"'{title}' waits for your review at the {tier} tier.\n\n"
        f"Why this tier:\n{reasons}\n\n"
        f"Due: {case.due_at or 'no deadline'}\n"
        f"Open the case: {_case_url(case)}\n"
    )
    recipients = reviewer_emails(case)
    transaction.on_commit(lambda: _send(subject, body, recipients))


def case_decided(case, user=None) -> None:
    """Tell the requester what happened to their submission (after commit)."""
    requester = case.requester
    if requester is None or not requester.email or (user and user.pk == requester.pk):
        return
    title = case.page.get_admin_display_title()
    subject = DECISION_SUBJECTS.get(case.state, "Review update: {title}").format(title=title)
    who = user.get_username() if user else "ecm_ops"
    body = (
        f"Your submission '{title}' is now: {case.get_state_display()} (by {who}).\n\n"
        f"{case.outcome_reason or ''}\n\n"
        f"Open the case: {_case_url(case)}\n"
    )
    recipients = [requester.email]
    transaction.on_commit(lambda: _send(subject, body, recipients))


def invariant_violations(violations) -> None:
    """Tell the site admins (active superusers with an e-mail) what the verifier found."""
    from django.contrib.auth import get_user_model

    if not violations:
        return
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(is_superuser=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    lines = "\n".join(f"- page {v.page_id} [{v.kind}]: {v.message}" for v in violations[:50])
    subject = f"ecm_ops: {len(violations)} publication(s) without the review they needed"
    body = f"The nightly verifier found:\n{lines}\n\nRun `manage.py ecm_ops_verify` for all."
    transaction.on_commit(lambda: _send(subject, body, recipients))
