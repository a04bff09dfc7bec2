"""Escalation logic without side effects: when a case is overdue or sent back too often, and
who the next authority level is.

The next level of a case at tier T (escalation level n, counting from 1) is the n-th tier above
T in the same policy; its reviewers are the users who hold ``approve_tier`` on it, directly or
through a group. The policy's escalation group is always added. When there is no tier above,
only the escalation group (and superusers, who can always act) remain.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from ..models import ReviewCase, ReviewTier
from ..states import OPEN_REVIEW_STATES, ReviewState
from .authority import (
    CertificationRule,
    cases_reviewable_by,
    conflicted_user_ids,
    users_with_authority,
)

DECIDABLE = (ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED)


def next_tier(case: ReviewCase, level: int | None = None) -> ReviewTier | None:
    """The tier ``level`` steps above the case's tier (default: its escalation level)."""
    if not (case.tier_id and case.policy_id):
        return None
    steps = case.escalation_level if level is None else level
    above = list(
        ReviewTier.objects.filter(policy_id=case.policy_id, level__gt=case.tier.level).order_by(
            "level"
        )
    )
    if steps < 1 or steps > len(above):
        return None
    return above[steps - 1]


def escalation_reviewers(case: ReviewCase, tier: ReviewTier | None) -> QuerySet:
    """Active users to notify and add: authority on ``tier`` plus the policy's escalation
    group, minus everyone with a conflict of interest (four-eyes)."""
    User = get_user_model()
    who = Q(pk__in=users_with_authority(tier).values("pk")) if tier else Q(pk__in=[])
    group_id = case.policy.escalation_group_id if case.policy_id else None
    if group_id:
        who |= Q(groups=group_id)
    users = (
        User.objects.filter(is_active=True)
        .filter(who)
        .exclude(pk__in=conflicted_user_ids(case.page_id))
    )
    if case.tier_id:  # they can act already; the escalation adds the next level
        users = users.exclude(pk__in=users_with_authority(case.tier).values("pk"))
        # A delegation counts only while certified for the case's tier: leave out those it
        # would not let approve (they would be told the case waits for them in vain).
        ids = set(users.values_list("pk", flat=True))
        rule = CertificationRule([case.tier], ids)
        users = users.filter(pk__in=[u for u in ids if rule.effective(u, case.tier_id)])
    return users.distinct().order_by("username")


def send_backs(case: ReviewCase) -> int:
    """How often reviewers sent this page back since it was last published (this case and the
    earlier submissions it replaced)."""
    page = case.page
    qs = ReviewCase.objects.filter(page_id=case.page_id)
    if page.last_published_at:
        qs = qs.filter(created_at__gt=page.last_published_at)
    return qs.aggregate(n=Sum("send_back_count"))["n"] or 0


def too_many_send_backs(case: ReviewCase) -> bool:
    return bool(case.policy_id) and send_backs(case) > case.policy.max_send_backs


def overdue_cases_for(user, now=None) -> QuerySet[ReviewCase]:
    """Open cases ``user`` may act on that are past their SLA or escalated (one query)."""
    now = now or timezone.now()
    return (
        cases_reviewable_by(user)
        .filter(state__in=OPEN_REVIEW_STATES)
        .filter(Q(state=ReviewState.ESCALATED) | Q(state__in=DECIDABLE, due_at__lt=now))
        .select_related("page", "tier", "policy")
        .order_by("due_at", "pk")
    )
