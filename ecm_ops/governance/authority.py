"""Who may approve: django-guardian object permissions on tiers (and per-case delegation),
minus everyone with a conflict of interest (four-eyes)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from guardian.shortcuts import assign_perm, remove_perm

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


#: Publications after which earlier authors are no longer conflicted: the ones that were
#: reviewed (a human-only publication reviews nothing, so it does not wash earlier drafts).
REVIEWED_BASES = ("review", "skipped", "override")

CONFLICT_REASONS = {
    "author": "You wrote a revision of this page since it was last reviewed; another reviewer "
    "must approve it (four-eyes).",
    "requester": "You submitted this page for review; another reviewer must approve it "
    "(four-eyes).",
    "drafter": "You generated an AI draft of this page; another reviewer must approve it "
    "(four-eyes).",
}


class Conflicts:
    """Who is conflicted for one page's content, at any moment: the events (authored a
    revision, requested a review, requested an AI draft) after the last reviewed publication
    before that moment."""

    def __init__(self, events=(), reviewed=()):
        self.events = sorted(events, key=lambda e: e[0])  # (at, user_id, reason key)
        self.reviewed = sorted(reviewed)

    def reason(self, user_id, at=None) -> str | None:
        """The reason key of ``user_id``'s first conflict at ``at`` (None: now), or None."""
        since = None
        for t in self.reviewed:
            if at is None or t < at:
                since = t
        for t, user, key in self.events:
            if at is not None and t >= at:
                break
            if user == user_id and (since is None or t > since):
                return key
        return None

    def user_ids(self, at=None) -> set[int]:
        return {u for _t, u, _k in self.events if self.reason(u, at)}

    def get(self, user_id, default=None):
        return self.reason(user_id) or default

    def __contains__(self, user_id) -> bool:
        return self.reason(user_id) is not None


def conflicts_for_pages(page_ids) -> dict[int, Conflicts]:
    """THE four-eyes rule, for any number of pages in four queries.

    Conflicted for a page's content at a moment are everyone who, between the page's last
    reviewed publication before that moment (or its creation) and that moment, authored a
    revision of it, requested a review of it, or requested an AI draft of it. An approval or
    an override counts only if its author was not conflicted when they gave it.
    """
    from wagtail.models import Revision

    from ..models import Publication

    page_ids = list({int(p) for p in page_ids if p is not None})
    events: dict[int, list] = {pk: [] for pk in page_ids}
    reviewed: dict[int, list] = {pk: [] for pk in page_ids}
    if not page_ids:
        return {}
    for page_id, at in Publication.objects.filter(
        page_id__in=page_ids, basis__in=REVIEWED_BASES
    ).values_list("page_id", "published_at"):
        reviewed[page_id].append(at)
    sources = (
        (ReviewCase.objects.filter(page_id__in=page_ids), "page_id", "requester_id", "requester"),
        (
            Revision.page_revisions.filter(object_id__in=[str(p) for p in page_ids]),
            "object_id",
            "user_id",
            "author",
        ),
        (DraftRequest.objects.filter(page_id__in=page_ids), "page_id", "requester_id", "drafter"),
    )
    for queryset, page_field, user_field, key in sources:
        for page_id, user_id, at in queryset.values_list(page_field, user_field, "created_at"):
            if user_id is not None:
                events[int(page_id)].append((at, user_id, key))
    return {pk: Conflicts(events[pk], reviewed[pk]) for pk in page_ids}


def conflicted_user_ids(page_id: int, at=None) -> set[int]:
    return conflicts_for_pages([page_id])[int(page_id)].user_ids(at)


def conflict_reason(user, case_or_page_id) -> str:
    """Why ``user`` is conflicted for this case's (or page's) content now, '' when not."""
    page_id = getattr(case_or_page_id, "page_id", case_or_page_id)
    key = conflicts_for_pages([page_id])[int(page_id)].reason(user.pk)
    return CONFLICT_REASONS[key] if key else ""


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
    return has_authority(user, case) and user.pk not in conflicted_user_ids(case.page_id)


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


# -- administering authority (grant / revoke / delegate) ------------------------------------

MANAGE_AUTHORITY = "ecm_ops.manage_authority"
VIEW_AUDIT = "ecm_ops.view_audit"


def can_manage_authority(user) -> bool:
    """Superusers and holders of the model permission ``ecm_ops.manage_authority``."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(MANAGE_AUTHORITY))
    )


def holds_any_tier_authority(user) -> bool:
    """``user`` may approve at some tier of some policy (at most two queries, cached on the
    user object for the request, since the admin menu asks on every page)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_ecm_ops_any_tier_authority", None)
    if cached is None:
        cached = (
            ReviewTierUserObjectPermission.objects.filter(
                user=user, permission__codename=APPROVE_TIER
            ).exists()
            or ReviewTierGroupObjectPermission.objects.filter(
                group__user=user, permission__codename=APPROVE_TIER
            ).exists()
        )
        user._ecm_ops_any_tier_authority = cached
    return cached


def has_authority_in_policy(user, policy) -> bool:
    """``user`` may approve at some tier of ``policy`` (directly or through a group)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return (
        ReviewTierUserObjectPermission.objects.filter(
            user=user, content_object__policy=policy, permission__codename=APPROVE_TIER
        ).exists()
        or ReviewTierGroupObjectPermission.objects.filter(
            group__user=user, content_object__policy=policy, permission__codename=APPROVE_TIER
        ).exists()
    )


def policies_with_authority(user) -> QuerySet:
    """Primary keys of the policies ``user`` may approve at some tier of (a subquery)."""
    from ..models import ReviewTier

    mine = Q(
        reviewtieruserobjectpermission__user=user,
        reviewtieruserobjectpermission__permission__codename=APPROVE_TIER,
    ) | Q(
        reviewtiergroupobjectpermission__group__user=user,
        reviewtiergroupobjectpermission__permission__codename=APPROVE_TIER,
    )
    return ReviewTier.objects.filter(mine).values("policy_id")


def tier_holders(tiers) -> dict[int, dict[str, list]]:
    """Who holds ``approve_tier`` on each tier: ``{tier_pk: {"users": [...], "groups": [...]}}``.

    Two queries for any number of tiers (guardian's direct foreign-key tables)."""
    pks = [t.pk for t in tiers]
    holders: dict[int, dict[str, list]] = {pk: {"users": [], "groups": []} for pk in pks}
    for row in (
        ReviewTierUserObjectPermission.objects.filter(
            content_object_id__in=pks, permission__codename=APPROVE_TIER
        )
        .select_related("user")
        .order_by("user__username")
    ):
        holders[row.content_object_id]["users"].append(row.user)
    for row in (
        ReviewTierGroupObjectPermission.objects.filter(
            content_object_id__in=pks, permission__codename=APPROVE_TIER
        )
        .select_related("group")
        .order_by("group__name")
    ):
        holders[row.content_object_id]["groups"].append(row.group)
    return holders


def _check_manager(by) -> None:
    from ..services import PermissionDenied

    if not can_manage_authority(by):
        raise PermissionDenied(
            "Only site admins with the “Can grant and revoke approval authority” permission "
            "may change who can approve."
        )


def _holder(user, group):
    from ..services import ServiceError

    if (user is None) == (group is None):
        raise ServiceError("Choose either a user or a group (exactly one).")
    return user if user is not None else group


@transaction.atomic
def grant_tier(tier, *, by, user=None, group=None) -> bool:
    """Give ``user`` or ``group`` authority to approve at ``tier``. Audited on the tier.

    Returns:
        True when the permission was new, False when it was already held (nothing logged).

    Raises:
        PermissionDenied: ``by`` may not manage authority.
        ServiceError: not exactly one of user/group, or an inactive user.
    """
    from ..services import ServiceError, audit

    _check_manager(by)
    holder = _holder(user, group)
    if user is not None and not user.is_active:
        raise ServiceError(f"{user.get_username()} is inactive and cannot approve.")
    if _holds(tier, user, group):
        return False
    assign_perm(APPROVE_TIER, holder, tier)
    audit.record(tier, "ecm_ops.authority.granted", by, **_describe(tier, user, group))
    return True


@transaction.atomic
def revoke_tier(tier, *, by, user=None, group=None) -> bool:
    """Take ``approve_tier`` on ``tier`` away from ``user`` or ``group``. Audited on the tier.

    Returns:
        True when something was revoked, False when it was not held.
    """
    from ..services import audit

    _check_manager(by)
    holder = _holder(user, group)
    if not _holds(tier, user, group):
        return False
    remove_perm(APPROVE_TIER, holder, tier)
    audit.record(tier, "ecm_ops.authority.revoked", by, **_describe(tier, user, group))
    return True


def _holds(tier, user, group) -> bool:
    if user is not None:
        return ReviewTierUserObjectPermission.objects.filter(
            user=user, content_object=tier, permission__codename=APPROVE_TIER
        ).exists()
    return ReviewTierGroupObjectPermission.objects.filter(
        group=group, content_object=tier, permission__codename=APPROVE_TIER
    ).exists()


def _describe(tier, user, group) -> dict:
    return {
        "policy": tier.policy_id,
        "tier": tier.label,
        "level": tier.level,
        "grantee_user": user.get_username() if user is not None else None,
        "grantee_group": group.name if group is not None else None,
    }


@transaction.atomic
def delegate(case: ReviewCase, reviewer, *, by, reason: str = "", check: bool = True) -> bool:
    """Delegate ``case`` to ``reviewer`` (guardian ``review_case`` on the case). Audited on the
    page. ``check=False`` is for the escalation service (the system adds the next level).

    Returns:
        True when the delegation is new.

    Raises:
        PermissionDenied: ``by`` may not manage authority.
        ServiceError: the reviewer is inactive or conflicted (four-eyes), or the case is closed.
    """
    from ..services import ServiceError, audit

    if check:
        _check_manager(by)
        if not case.is_open:
            raise ServiceError("This review is closed; there is nothing to delegate.", status=409)
        if not reviewer.is_active:
            raise ServiceError(f"{reviewer.get_username()} is inactive and cannot review.")
        if reviewer.pk in conflicted_user_ids(case.page_id):
            raise ServiceError(
                f"{reviewer.get_username()} submitted, wrote or generated this content and "
                "cannot review it (four-eyes). Choose someone else."
            )
    if ReviewCaseUserObjectPermission.objects.filter(
        user=reviewer, content_object=case, permission__codename=REVIEW_CASE
    ).exists():
        return False
    assign_perm(REVIEW_CASE, reviewer, case)
    audit.record(
        case.page.specific,
        "ecm_ops.review.delegated",
        by,
        case=case.pk,
        reviewer=reviewer.get_username(),
        reason=reason,
    )
    return True


def policy_warnings(policy) -> list[str]:
    """Configuration problems that do not block saving a policy but will block reviews:
    a required role group without active members, a tier nobody may approve."""
    from ..models import ReviewTier

    tiers = list(ReviewTier.objects.filter(policy=policy).select_related("required_group"))
    warnings = []
    holders = tier_holders(tiers)
    User = get_user_model()
    for tier in tiers:
        group = tier.required_group
        if group is not None and not User.objects.filter(groups=group, is_active=True).exists():
            warnings.append(
                f"Tier “{tier.label}” requires an approval from a member of “{group.name}”, but "
                "that group has no active members: nothing at this tier can be approved until "
                "someone joins it."
            )
        if not holders[tier.pk]["users"] and not holders[tier.pk]["groups"]:
            warnings.append(
                f"Nobody holds approval authority for tier “{tier.label}” yet (only superusers "
                "can approve). Grant it on the policy's “Approval authority” screen."
            )
    return warnings
