"""Who may approve: django-guardian object permissions on tiers (and per-case delegation),
minus everyone with a conflict of interest (four-eyes)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from ..models import (
    DraftRequest,
    ReviewCase,
    ReviewCaseUserObjectPermission,
    ReviewTierGroupObjectPermission,
    ReviewTierUserObjectPermission,
)
from ..states import OPEN_REVIEW_STATES

APPROVE_TIER = "approve_tier"
REVIEW_CASE = "review_case"


def conflicted_user_ids(case: ReviewCase) -> set[int]:
    """The requester, the revision's author and whoever generated an AI draft of this page
    since the last published revision may not approve it."""
    ids = {case.requester_id, case.revision.user_id}
    ids |= set(
        DraftRequest.objects.filter(page_id=case.page_id, created_at__lte=case.created_at)
        .exclude(requester__isnull=True)
        .values_list("requester_id", flat=True)
    )
    ids.discard(None)
    return ids


def conflict_reason(user, case: ReviewCase) -> str:
    if user.pk == case.requester_id:
        return "You submitted this page for review; another reviewer must approve it (four-eyes)."
    if user.pk == case.revision.user_id:
        return "You wrote this revision; another reviewer must approve it (four-eyes)."
    if user.pk in conflicted_user_ids(case):
        return "You generated the AI draft of this page; another reviewer must approve it."
    return ""


def has_authority(user, case: ReviewCase) -> bool:
    """Authority for the case's tier (directly or through a group), or delegation to the case."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if case.tier_id and (
        ReviewTierUserObjectPermission.objects.filter(
            user=user, content_object_id=case.tier_id, permission__codename=APPROVE_TIER
        ).exists()
        or ReviewTierGroupObjectPermission.objects.filter(
            group__user=user, content_object_id=case.tier_id, permission__codename=APPROVE_TIER
        ).exists()
    ):
        return True
    return ReviewCaseUserObjectPermission.objects.filter(
        user=user, content_object_id=case.pk, permission__codename=REVIEW_CASE
    ).exists()


def can_review(user, case: ReviewCase) -> bool:
    return has_authority(user, case) and user.pk not in conflicted_user_ids(case)


def cases_reviewable_by(user) -> QuerySet[ReviewCase]:
    """Open cases ``user`` holds authority for (one query when evaluated; conflicts are
    filtered at action time and shown in the queue)."""
    open_cases = ReviewCase.objects.filter(state__in=OPEN_REVIEW_STATES)
    if user.is_superuser:
        return open_cases
    tier_ids = ReviewTierUserObjectPermission.objects.filter(
        user=user, permission__codename=APPROVE_TIER
    ).values("content_object_id")
    group_tier_ids = ReviewTierGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=APPROVE_TIER
    ).values("content_object_id")
    delegated = ReviewCaseUserObjectPermission.objects.filter(
        user=user, permission__codename=REVIEW_CASE
    ).values("content_object_id")
    return open_cases.filter(
        Q(tier_id__in=tier_ids) | Q(tier_id__in=group_tier_ids) | Q(pk__in=delegated)
    )


def users_with_authority(tier) -> QuerySet:
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(
                reviewtieruserobjectpermission__content_object=tier,
                reviewtieruserobjectpermission__permission__codename=APPROVE_TIER,
            )
            | Q(
                groups__reviewtiergroupobjectpermission__content_object=tier,
                groups__reviewtiergroupobjectpermission__permission__codename=APPROVE_TIER,
            )
        )
        .distinct()
    )
