"""Which open review cases a user may actually decide now, for listings and the dashboard.

"May decide" is: the case waits for a decision (awaiting review or escalated), the user holds
effective authority for its tier (a grant counted only while certified, or a delegation of the
case; :func:`ecm_ops.governance.authority.cases_reviewable_by`), the user is not conflicted for
the page's content (the one four-eyes rule,
:func:`ecm_ops.governance.authority.conflicts_for_pages`, batched), the user has not already
approved the content under review, and the user's approval could still move the case: when the
only approval missing must come from the tier's required group, only its members see it.

The cost is constant in the number of cases: one query for the candidates' pages, four for the
conflicts, and the caller's own query (the exclusions are folded into it).
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..governance import authority
from ..models import Approval, ReviewCase
from ..states import ReviewState

DECIDABLE_STATES = (ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED)


def conflicted_case_ids(cases: QuerySet[ReviewCase], user) -> set[int]:
    """Primary keys of ``cases`` for whose page ``user`` is conflicted (five queries)."""
    pairs = list(cases.order_by().values_list("pk", "page_id"))
    by_page = authority.conflicts_for_pages({page_id for _pk, page_id in pairs})
    return {pk for pk, page_id in pairs if by_page[page_id].reason(user.pk)}


def decidable_by(user) -> QuerySet[ReviewCase]:
    """Open cases waiting for a decision that ``user`` may take now (see the module docstring)."""
    candidates = authority.cases_reviewable_by(user).filter(state__in=DECIDABLE_STATES)
    already_approved = Approval.objects.filter(
        case=OuterRef("pk"), user=user, content_digest=OuterRef("content_digest")
    )
    return _needs_someone_else(
        candidates.exclude(pk__in=conflicted_case_ids(candidates, user)).exclude(
            Exists(already_approved)
        ),
        user,
    )


def _needs_someone_else(cases: QuerySet[ReviewCase], user) -> QuerySet[ReviewCase]:
    """Leave out cases whose last missing approval must come from the tier's required group
    when ``user`` is not a member (their approval could not complete the quorum)."""
    current = Approval.objects.filter(
        case=OuterRef("pk"),
        revision_id=OuterRef("revision_id"),
        content_digest=OuterRef("content_digest"),
    )
    counted = Subquery(
        current.order_by().values("case").annotate(n=Count("user", distinct=True)).values("n")
    )
    group_done = Exists(current.filter(user__groups=OuterRef("tier__required_group_id")))
    return cases.annotate(_approvals=Coalesce(counted, 0), _group_done=group_done).exclude(
        Q(tier__required_group__isnull=False)
        & Q(_group_done=False)
        & Q(_approvals__gte=F("tier__approvals_required") - 1)
        & ~Q(tier__required_group__in=user.groups.values("pk"))
    )


def is_overdue(case: ReviewCase, now=None) -> bool:
    """Past its deadline and still open."""
    return bool(case.due_at and case.is_open and case.due_at < (now or timezone.now()))
