"""No publishing around the review, as the admin sees it: refusals with a message before
Wagtail publishes, and the audited override.

The guarantee itself does not live here: every publication, from any path, is judged by the
publication guard (:mod:`ecm_ops.services.publication`) against the invariant
(:mod:`ecm_ops.governance.invariant`). This module asks the same question earlier, where the
admin can still answer with a message and a redirect instead of a refused save: the page
editor's "Publish" (``before_publish_page``), the bulk "Publish" action
(``before_bulk_action``) and the override screen.
"""

from __future__ import annotations

from django.db import transaction

from ..governance.invariant import OVERRIDE_PERMISSION
from ..models import ReviewCase
from ..states import OPEN_REVIEW_STATES, ScreeningTrigger
from . import PermissionDenied, ServiceError, audit
from .publication import lock_page, publishing_with_override
from .publication import refusal as invariant_refusal

MIN_REASON_LENGTH = 10


def refusal(page, revision) -> str:
    """'' when ``revision`` may be published directly now, else why not (for the person)."""
    if revision is None:
        return ""
    message = invariant_refusal(page, revision.as_object())
    if not message:
        return ""
    return (
        f"'{page.get_admin_display_title()}' contains AI-written text that has not been approved "
        f"in review, so it cannot be published directly: {message} Submit it "
        "for review; a site administrator with the review override authority who did not "
        "write or submit it can publish it with a reason."
    )


def can_override(user, page) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.has_perm(OVERRIDE_PERMISSION)
        and page.permissions_for_user(user).can_publish()
    )


def check_direct_publish(page, revision, user) -> None:
    """Raise :class:`PermissionDenied` (and audit the refusal) when publishing ``revision``
    directly would bypass the review."""
    message = refusal(page, revision)
    if message:
        audit.record(
            page.specific, "ecm_ops.publish.refused", user, revision=revision.pk, reason=message
        )
        raise PermissionDenied(message)


@transaction.atomic
def override_publish(page, user, reason: str):
    """Publish the page's latest revision without an approved review, recording who and why.
    The content is still screened (synchronously, if it was not yet), its blockers still need
    an entitled override, and the person must not be conflicted (four-eyes).

    Raises:
        PermissionDenied: no override authority or publish permission, a conflict of interest,
            or blockers left (the message says which).
        ServiceError: no (or a too short) reason.
    """
    if not can_override(user, page):
        raise PermissionDenied(
            "Publishing without an approved review needs the review override authority "
            "and permission to publish this page."
        )
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ServiceError(
            f"Explain why this cannot wait for review (at least {MIN_REASON_LENGTH} characters);"
            " the reason is kept in the audit trail."
        )
    lock_page(page.pk)
    revision = page.get_latest_revision()
    if revision is None:
        raise ServiceError("This page has no revision to publish.")
    page = page.specific
    from .screening import screen_now

    screen_now(page, revision, user, trigger=ScreeningTrigger.CLI)
    with publishing_with_override(user, reason):
        message = invariant_refusal(page, revision.as_object())
        if message:
            raise PermissionDenied(message)
        for case in ReviewCase.objects.select_for_update(of=("self",)).filter(
            page_id=page.pk, state__in=OPEN_REVIEW_STATES
        ):
            case.withdraw(reason=f"Published by {user.get_username()} with the override: {reason}")
            case.save()
            audit.record(
                page, "ecm_ops.review.withdrawn", user, case=case.pk, reason=case.outcome_reason
            )
        audit.record(page, "ecm_ops.publish.override", user, revision=revision.pk, reason=reason)
        revision.publish(user=user)
    return revision


def refuse_scheduled(now=None) -> list[str]:
    """Unschedule due page revisions whose go-live would break the invariant (audited).
    Returns the refusal messages."""
    from django.utils import timezone
    from wagtail.models import Page, Revision

    now = now or timezone.now()
    messages = []
    due = Revision.page_revisions.filter(approved_go_live_at__lt=now)
    for revision in due:
        page = Page.objects.filter(pk=revision.object_id).first()
        if page is None:
            continue
        message = refusal(page, revision)
        if not message:
            continue
        Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=None)
        audit.record(
            page.specific,
            "ecm_ops.publish.refused",
            None,
            revision=revision.pk,
            reason="Scheduled go-live cancelled: " + message,
        )
        messages.append(f"Not published at its scheduled time (page {page.pk}): {message}")
    return messages
