"""No publishing around the review: AI-assisted content goes live only through an approved (or
policy-skipped) review case, or by a person holding the override authority who gives a reason.

Wagtail publishes from several places. The guarded ones are those a person uses to bypass the
workflow: the page editor's "Publish" (create and edit views, via ``before_publish_page``) and
the bulk "Publish" action (``before_bulk_action``). The workflow's own publish on approval does
not pass through these hooks and is the intended path. Scheduled publishing publishes a revision
that was already published through one of these paths.
"""

from __future__ import annotations

from django.db import transaction

from ..content_checks.canonical import canonical_text
from ..drafting.provenance import carry_forward
from ..models import FieldProvenance, ReviewCase
from ..states import OPEN_REVIEW_STATES, Origin, ReviewState
from . import PermissionDenied, ServiceError, audit

OVERRIDE_PERMISSION = "ecm_ops.override_review"
MIN_REASON_LENGTH = 10
CLEARED_STATES = (ReviewState.APPROVED, ReviewState.SKIPPED)


def is_ai_assisted(page, revision) -> bool:
    """True when ``revision`` carries AI-written or mixed text (provenance is carried forward to
    the revision first, exactly as a save would)."""
    if revision is None:
        return False
    carry_forward(page, revision)
    return FieldProvenance.objects.filter(
        revision=revision, origin__in=(Origin.AI, Origin.MIXED)
    ).exists()


def review_clears(page, revision) -> bool:
    """The page's latest review case approved (or skipped) this revision, or a revision whose
    canonical text is identical (re-publishing the reviewed text unchanged)."""
    case = (
        ReviewCase.objects.filter(page_id=page.pk)
        .exclude(state__in=OPEN_REVIEW_STATES)
        .exclude(state=ReviewState.WITHDRAWN)
        .select_related("revision")
        .order_by("-created_at", "-pk")
        .first()
    )
    if case is None or case.state not in CLEARED_STATES:
        return False
    if case.revision_id == revision.pk:
        return True
    return (
        canonical_text(case.revision.as_object()).text == canonical_text(revision.as_object()).text
    )


def refusal(page, revision) -> str:
    """'' when ``revision`` may be published directly, else why not (for the person)."""
    if not is_ai_assisted(page, revision) or review_clears(page, revision):
        return ""
    return (
        f"'{page.get_admin_display_title()}' contains AI-written text that has not been approved "
        "in review, so it cannot be published directly. Submit it for review; a site "
        "administrator with the review override authority can publish it with a reason."
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

    Raises:
        PermissionDenied: the user lacks the override authority or publish permission.
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
    revision = page.get_latest_revision()
    if revision is None:
        raise ServiceError("This page has no revision to publish.")
    page = page.specific
    for case in ReviewCase.objects.select_for_update(of=("self",)).filter(
        page_id=page.pk, state__in=OPEN_REVIEW_STATES
    ):
        case.withdraw(reason=f"Published by {user.get_username()} with the override: {reason}")
        case.save()
        audit.record(
            page, "ecm_ops.review.withdrawn", user, case=case.pk, reason=case.outcome_reason
        )
    audit.record(
        page,
        "ecm_ops.publish.override",
        user,
        revision=revision.pk,
        reason=reason,
        ai_assisted=is_ai_assisted(page, revision),
    )
    revision.publish(user=user)
    return revision
