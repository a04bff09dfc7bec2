"""Notifications: in the admin and by e-mail, through one function, :func:`notify`.

Who hears what:

- a case awaits review (or escalates): every active user with authority for the case's tier or
  a delegation on the case, minus the people who may not approve it (four-eyes);
- a case is decided (approved, changes requested, rejected, skipped, withdrawn): the requester;
- monitoring opens an incident: the page's owner and everyone with authority on its section;
- the nightly verifier finds a publication without its review: the site admins.

Each person gets a :class:`~ecm_ops.models.Notification` row (the admin's notifications list,
the dashboard panel and the menu's unread count read them) in the same transaction as the
event, and, after commit, one e-mail of their own (nobody sees the other recipients) unless
their Wagtail notification preferences (Account → Notifications) say no:

==================================  =========================================
kind                                Wagtail preference
==================================  =========================================
review request, escalation          "submitted notifications"
approved, review update             "approved notifications"
changes requested, rejected         "rejected notifications"
incident, for site admins           always sent (an operational alarm)
==================================  =========================================

A failed e-mail never undoes the event (it is already committed): the row records the failure
and its reason, it is logged once, and site admins see failed e-mails on the dashboard and in
the notifications list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from ..models import EmailStatus, Notification, NotificationKind

logger = logging.getLogger("ecm_ops.notifications")

K = NotificationKind

#: Which Wagtail ``UserProfile`` preference governs the e-mail of each kind (None: always).
PREFERENCE = {
    K.REVIEW_REQUEST: "submitted_notifications",
    K.ESCALATION: "submitted_notifications",
    K.APPROVED: "approved_notifications",
    K.REVIEW_UPDATE: "approved_notifications",
    K.CHANGES_REQUESTED: "rejected_notifications",
    K.REJECTED: "rejected_notifications",
    K.INCIDENT: None,
    K.SYSTEM: None,
}

DECISION_KINDS = {
    "approved": K.APPROVED,
    "changes_requested": K.CHANGES_REQUESTED,
    "rejected": K.REJECTED,
}

DECISION_SUBJECTS = {
    "approved": "Approved: {title}",
    "changes_requested": "Changes requested: {title}",
    "rejected": "Rejected: {title}",
    "skipped": "Review skipped (low risk): {title}",
    "withdrawn": "Review withdrawn: {title}",
}


def _wants_email(user, kind: str) -> bool:
    field = PREFERENCE.get(kind)
    if field is None:
        return True
    try:
        profile = user.wagtail_userprofile
    except Exception:  # no profile yet: Wagtail's defaults are all "yes"
        return True
    return bool(getattr(profile, field, True))


def notify(
    users: Iterable, kind: str, title: str, body: str = "", *, url: str = "", page=None
) -> list[Notification]:
    """Tell ``users`` about an event: one notification row each now, one e-mail each after
    commit (when they have an address and their preferences allow it).

    Args:
        users: the recipients (inactive users and duplicates are skipped).
        kind: a :class:`~ecm_ops.models.NotificationKind`.
        title: one line, also the e-mail's subject.
        body: the plain-text message.
        url: an admin path (made absolute with ``WAGTAILADMIN_BASE_URL`` in the e-mail).
        page: the page it is about, if any.

    Returns:
        The notification rows created.
    """
    seen, rows = set(), []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        if not user.email:
            status = EmailStatus.NO_ADDRESS
        elif not _wants_email(user, kind):
            status = EmailStatus.NOT_WANTED
        else:
            status = EmailStatus.PENDING
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                title=title[:255],
                body=body,
                url=url,
                page=page,
                email_status=status,
            )
        )
    if not rows:
        return []
    Notification.objects.bulk_create(rows)
    pending = [r.pk for r in rows if r.email_status == EmailStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: send_pending(pending))
    return rows


def _absolute(url: str) -> str:
    if not url or "://" in url:
        return url
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + url


def send_pending(pks: Iterable[int]) -> int:
    """Send the e-mail of each still-pending notification; returns how many failed. A failure
    is recorded on its row and logged once (with the reason); it is never raised."""
    failed = 0
    notes = Notification.objects.filter(
        pk__in=list(pks), email_status=EmailStatus.PENDING
    ).select_related("recipient")
    for note in notes:
        body = note.body
        if note.url:
            body = f"{body}\n\nOpen it: {_absolute(note.url)}\n"
        try:
            send_mail(note.title, body, None, [note.recipient.email], fail_silently=False)
        except Exception as exc:  # the event is committed; a broken mail server must not undo it
            failed += 1
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            Notification.objects.filter(pk=note.pk).update(
                email_status=EmailStatus.FAILED, email_error=reason
            )
            logger.error(
                "Could not e-mail %s about %r: %s", note.recipient.email, note.title, reason
            )
        else:
            Notification.objects.filter(pk=note.pk).update(email_status=EmailStatus.SENT)
    return failed


# -- the senders: who hears about what ---------------------------------------------------


def reviewers(case):
    """Everyone who may decide ``case`` (certified authority or delegation, through the one
    authority rule), minus the conflicted."""
    from ..governance.authority import case_reviewer_ids, conflicted_user_ids

    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=case_reviewer_ids(case))
        .exclude(pk__in=conflicted_user_ids(case.page_id))
        .select_related("wagtail_userprofile")
        .order_by("pk")
    )


def _case_url(case) -> str:
    return reverse("ecm_ops:review_case", args=[case.pk])


def case_awaiting_review(case, *, escalated: bool = False) -> None:
    """Tell the people who may decide ``case`` that it waits for them."""
    title = case.page.get_admin_display_title()
    tier = case.tier.label if case.tier else "default"
    prefix = "Escalated review" if escalated else "Review needed"
    from .findings_summary import reasons_in_words

    reasons = "\n".join(f"- {r}" for r in reasons_in_words(case.tier_reasons))
    body = (
        f"'{title}' waits for your review at the {tier} tier.\n\n"
        f"Why this tier:\n{reasons or '- no rule matched'}\n\n"
        f"Due: {case.due_at or 'no deadline'}\n"
    )
    notify(
        reviewers(case),
        K.ESCALATION if escalated else K.REVIEW_REQUEST,
        f"{prefix} ({tier}): {title}",
        body,
        url=_case_url(case),
        page=case.page,
    )


def case_decided(case, user=None) -> None:
    """Tell the requester what happened to their submission (not when they decided it)."""
    requester = case.requester
    if requester is None or (user and user.pk == requester.pk):
        return
    title = case.page.get_admin_display_title()
    subject = DECISION_SUBJECTS.get(case.state, "Review update: {title}").format(title=title)
    who = (user.get_full_name() or user.get_username()) if user else "ecm_ops"
    body = f"Your submission '{title}' is now: {case.get_state_display()} (by {who})."
    if case.outcome_reason:
        body += f"\n\n{case.outcome_reason}"
    notify(
        [requester],
        DECISION_KINDS.get(case.state, K.REVIEW_UPDATE),
        subject,
        body,
        url=_case_url(case),
        page=case.page,
    )


def incident(incident, users, subject: str) -> None:
    """Tell ``users`` (the page owner and the section's approvers) about a monitoring incident."""
    page = incident.page
    body = (
        f"{incident.summary}\n\nPage: {page.title} ({page.url or 'not live'})\n"
        f"State: {incident.get_state_display()}"
    )
    notify(
        users,
        K.INCIDENT,
        subject,
        body,
        url=reverse("ecm_ops:incident_detail", args=[incident.pk]),
        page=page,
    )


def site_admins():
    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")


def invariant_violations(violations) -> None:
    """Tell the site admins what the verifier found."""
    if not violations:
        return
    lines = "\n".join(f"- page {v.page_id} [{v.kind}]: {v.message}" for v in violations[:50])
    notify(
        site_admins(),
        K.SYSTEM,
        f"ecm_ops: {len(violations)} publication(s) without the review they needed",
        f"The nightly verifier found:\n{lines}\n\nRun `manage.py ecm_ops_verify` for all.",
    )
