"""Who may approve: django-guardian object permissions on tiers (and per-case delegation),
minus everyone with a conflict of interest (four-eyes)."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

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

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "ecm_ops_authority_memo", default=None
)


@contextmanager
def memo():
    """Within this block (one request's read-only rendering), authority facts are read once:
    a case screen asks "may this person decide?" and "who is conflicted?" from several places
    (the workspace, the refusal, the recertify link, the menu). Never wrap a block that
    changes grants, certifications or content and then reads them again."""
    if _memo.get() is not None:  # already inside one: share it
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _memoised(key, compute):
    store = _memo.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


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
    page_ids = sorted({int(p) for p in page_ids if p is not None})
    return _memoised(("conflicts", tuple(page_ids)), lambda: _load_conflicts(page_ids))


def _load_conflicts(page_ids) -> dict[int, Conflicts]:
    from wagtail.models import Revision

    from ..models import Publication

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


# -- certification: THE rule that makes a grant effective -----------------------------------


#: Pass as ``tiers`` to :class:`CertificationRule` to load every tier.
ALL_TIERS = object()


class CertificationRule:
    """Which tiers need a certification, and who held a valid one when: the one place that
    says whether an ``approve_tier`` grant (or a delegation) counts.

    A tier is *covered* by the active programme for exactly that tier, or else by its policy's
    active policy-wide programme; a covered tier's grant counts only while the holder has a
    valid (passed, unexpired, unrevoked) certification of that programme. A tier no active
    programme covers needs none (certification is adopted per policy by creating its
    programme; :func:`policy_warnings` says which policies have none). Superusers are exempt
    as everywhere else.

    Loaded for any number of tiers and users in three queries.
    """

    def __init__(self, tiers=(), user_ids=()):
        from ..models import Certification, CertificationProgramme, ReviewTier

        policy_of: dict[int, int] = {}
        ids = []
        if tiers is ALL_TIERS:
            policy_of.update(ReviewTier.objects.values_list("pk", "policy_id"))
            tiers = ()
        elif isinstance(tiers, dict):  # {tier pk: policy pk}, already known
            policy_of.update(tiers)
            tiers = ()
        for t in tiers:
            if t is None:
                continue
            if hasattr(t, "policy_id"):
                policy_of[t.pk] = t.policy_id
            else:
                ids.append(int(t))
        if ids:
            policy_of.update(ReviewTier.objects.filter(pk__in=ids).values_list("pk", "policy_id"))
        self.required: dict[int, int | None] = dict.fromkeys(policy_of)
        self.programme_names: dict[int, str] = {}
        if policy_of:
            wide, own = {}, {}
            policies = set(policy_of.values())
            # Every active programme (one or two per policy: a small table), read once.
            for pk, policy_id, tier_id, name in _memoised(
                ("programmes",),
                lambda: list(
                    CertificationProgramme.objects.filter(active=True).values_list(
                        "pk", "policy_id", "tier_id", "name"
                    )
                ),
            ):
                if policy_id not in policies:
                    continue
                self.programme_names[pk] = name
                if tier_id is None:
                    wide[policy_id] = pk
                else:
                    own[tier_id] = pk
            for tier_id, policy_id in policy_of.items():
                self.required[tier_id] = own.get(tier_id, wide.get(policy_id))
        self.certs: dict[tuple[int, int], list] = {}
        programmes = {p for p in self.required.values() if p}
        user_ids = {int(u) for u in user_ids if u is not None}
        if programmes and user_ids:
            # These users' certifications of any programme (a few each), read once.
            for cert in _memoised(
                ("certs", tuple(sorted(user_ids))),
                lambda: list(
                    Certification.objects.filter(
                        user_id__in=user_ids, revoked_at__isnull=True
                    ).order_by("-expires_at")
                ),
            ):
                if cert.programme_id not in programmes:
                    continue
                self.certs.setdefault((cert.user_id, cert.programme_id), []).append(cert)

    def covered(self, tier_id) -> bool:
        return bool(tier_id is not None and self.required.get(tier_id))

    def certification(self, user_id, tier_id, at=None):
        """The certification that covers ``user_id`` at ``tier_id`` at ``at`` (None: now)."""
        programme = self.required.get(tier_id)
        if not programme:
            return None
        return next((c for c in self.certs.get((user_id, programme), ()) if c.is_valid(at)), None)

    def effective(self, user_id, tier_id, at=None) -> bool:
        """Does a grant (or delegation) of ``user_id`` at ``tier_id`` count at ``at``?"""
        return not self.covered(tier_id) or self.certification(user_id, tier_id, at) is not None

    def latest(self, user_id, tier_id):
        """The newest certification (valid or not) of the programme ``tier_id`` needs."""
        programme = self.required.get(tier_id)
        certs = self.certs.get((user_id, programme), ())
        return certs[0] if certs else None


def _granted_tiers(user) -> dict[int, int]:
    """``{tier pk: policy pk}`` of the tiers ``user`` holds ``approve_tier`` on, directly or
    through a group, certified or not (one query)."""
    from ..models import ReviewTier

    mine = Q(
        reviewtieruserobjectpermission__user=user,
        reviewtieruserobjectpermission__permission__codename=APPROVE_TIER,
    ) | Q(
        reviewtiergroupobjectpermission__group__user=user,
        reviewtiergroupobjectpermission__permission__codename=APPROVE_TIER,
    )
    return _memoised(
        ("granted", user.pk),
        lambda: dict(ReviewTier.objects.filter(mine).values_list("pk", "policy_id").distinct()),
    )


def effective_tiers(user) -> dict[int, int]:
    """``{tier pk: policy pk}`` where ``user``'s grant counts now (certified or uncovered);
    every tier for superusers (four queries at most)."""
    from ..models import ReviewTier

    if not (user and user.is_authenticated and user.is_active):
        return {}
    if user.is_superuser:
        return dict(ReviewTier.objects.values_list("pk", "policy_id"))
    granted = _granted_tiers(user)
    if not granted:
        return {}
    rule = CertificationRule(granted, [user.pk])
    return {t: p for t, p in granted.items() if rule.effective(user.pk, t)}


def uncertified_tiers(user) -> list:
    """Tiers ``user`` holds a grant on that does not count now for want of a valid
    certification: ``[(tier, programme pk, newest certification or None)]`` (what the
    dashboard and the case screen explain)."""
    from ..models import ReviewTier

    if not (user and user.is_authenticated and user.is_active) or user.is_superuser:
        return []
    granted = _granted_tiers(user)
    if not granted:
        return []
    rule = CertificationRule(granted, [user.pk])
    missing = [t for t in granted if not rule.effective(user.pk, t)]
    tiers = ReviewTier.objects.filter(pk__in=missing).select_related("policy").order_by("pk")
    return [(t, rule.required[t.pk], rule.latest(user.pk, t.pk)) for t in tiers]


def has_authority(user, case: ReviewCase) -> bool:
    """Effective authority for the case's tier (a grant, directly or through a group, or a
    delegation of the case), counted only while certified (:class:`CertificationRule`)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return _memoised(
        ("authority", user.pk, case.pk, case.tier_id), lambda: _has_authority(user, case)
    )


def _has_authority(user, case: ReviewCase) -> bool:
    held = (
        bool(
            case.tier_id
            and (
                ReviewTierUserObjectPermission.objects.filter(
                    user=user, content_object_id=case.tier_id, permission__codename=APPROVE_TIER
                ).exists()
                or ReviewTierGroupObjectPermission.objects.filter(
                    group__user=user,
                    content_object_id=case.tier_id,
                    permission__codename=APPROVE_TIER,
                ).exists()
            )
        )
        or ReviewCaseUserObjectPermission.objects.filter(
            user=user, content_object_id=case.pk, permission__codename=REVIEW_CASE
        ).exists()
    )
    if not held or case.tier_id is None:
        return held
    return CertificationRule([case.tier], [user.pk]).effective(user.pk, case.tier_id)


def certification_for(user, case: ReviewCase):
    """The certification that makes ``user``'s authority on ``case`` effective now (None when
    the tier needs none, or for superusers)."""
    if user.is_superuser or case.tier_id is None:
        return None
    return CertificationRule([case.tier], [user.pk]).certification(user.pk, case.tier_id)


def authority_refusal(user, case: ReviewCase) -> str:
    """Why ``user`` has no effective authority on ``case``, in words ('' when they have)."""
    if has_authority(user, case):
        return ""
    tier = case.tier.label if case.tier else "this"
    if holds_grant(user, case):
        return (
            f"Your approval authority for the {tier} tier is suspended: it needs a valid "
            "reviewer certification for this section, and yours is missing or has expired. "
            "Take the certification exercise to restore it."
        )
    return f"You do not hold approval authority for the {tier} tier of this section."


def recertify_programme(user, case: ReviewCase) -> int | None:
    """The programme ``user`` must pass to use their grant on ``case``'s tier, when that grant
    is suspended for want of a valid certification (None otherwise)."""
    if user.is_superuser or not holds_grant(user, case):
        return None
    rule = CertificationRule([case.tier], [user.pk])
    return None if rule.effective(user.pk, case.tier_id) else rule.required.get(case.tier_id)


def can_review(user, case: ReviewCase) -> bool:
    return has_authority(user, case) and user.pk not in conflicted_user_ids(case.page_id)


def certified_tiers(user, at=None) -> QuerySet:
    """The tiers at which ``user``'s grants or delegations count at ``at`` (None: now), as one
    lazy query: :class:`CertificationRule` in SQL, for listings that must stay one query
    (``tests/test_certification.py`` pins that the two forms agree)."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from ..models import Certification, CertificationProgramme, ReviewTier

    at = at or timezone.now()
    programmes = CertificationProgramme.objects.filter(active=True, policy_id=OuterRef("policy_id"))
    own = programmes.filter(tier_id=OuterRef("pk"))
    wide = programmes.filter(tier__isnull=True)
    certs = Certification.objects.filter(
        user_id=user.pk,
        revoked_at__isnull=True,
        passed_at__lte=at,
        expires_at__gt=at,
        programme__active=True,
        programme__policy_id=OuterRef("policy_id"),
    )
    own_cert = certs.filter(programme__tier_id=OuterRef("pk"))
    wide_cert = certs.filter(programme__tier__isnull=True)
    return ReviewTier.objects.filter(
        Exists(own_cert) | (~Exists(own) & (~Exists(wide) | Exists(wide_cert)))
    )


def cases_reviewable_by(user) -> QuerySet[ReviewCase]:
    """Open cases ``user`` holds effective authority for: a grant on the tier or a delegation
    of the case, counted only while certified (:func:`certified_tiers`). One query when
    evaluated; conflicts are filtered at action time and shown in the queue."""
    open_cases = ReviewCase.objects.filter(state__in=OPEN_REVIEW_STATES)
    if not (user and user.is_authenticated and user.is_active):
        return open_cases.none()
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
    certified = certified_tiers(user).values("pk")
    return open_cases.filter(
        (Q(tier_id__in=tier_ids) | Q(tier_id__in=group_tier_ids) | Q(pk__in=delegated))
        & (Q(tier__isnull=True) | Q(tier_id__in=certified))
    )


def effective_holders(tiers, user_ids=None) -> dict[int, set[int]]:
    """``{tier pk: {user pk, ...}}``: active users whose grant on each tier counts now
    (certified or uncovered), superusers not included. Three to four queries for any number
    of tiers."""
    User = get_user_model()
    tiers = [t for t in tiers if t is not None]
    pks = [t.pk for t in tiers]
    out: dict[int, set[int]] = {pk: set() for pk in pks}
    if not pks:
        return out
    users = User.objects.filter(is_active=True)
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    pairs = set(
        users.filter(
            reviewtieruserobjectpermission__content_object_id__in=pks,
            reviewtieruserobjectpermission__permission__codename=APPROVE_TIER,
        ).values_list("pk", "reviewtieruserobjectpermission__content_object_id")
    ) | set(
        users.filter(
            groups__reviewtiergroupobjectpermission__content_object_id__in=pks,
            groups__reviewtiergroupobjectpermission__permission__codename=APPROVE_TIER,
        ).values_list("pk", "groups__reviewtiergroupobjectpermission__content_object_id")
    )
    rule = CertificationRule(tiers, {u for u, _t in pairs})
    for user_id, tier_id in pairs:
        if rule.effective(user_id, tier_id):
            out[tier_id].add(user_id)
    return out


def case_reviewer_ids(case: ReviewCase) -> set[int]:
    """Active users whose authority on ``case`` counts now: effective grants on its tier and
    delegations of the case, certified (superusers not included; conflicts not removed)."""
    User = get_user_model()
    ids = effective_holders([case.tier])[case.tier_id] if case.tier_id else set()
    delegated = set(
        User.objects.filter(
            is_active=True,
            reviewcaseuserobjectpermission__content_object_id=case.pk,
            reviewcaseuserobjectpermission__permission__codename=REVIEW_CASE,
        ).values_list("pk", flat=True)
    )
    if delegated and case.tier_id:
        rule = CertificationRule([case.tier], delegated)
        delegated = {u for u in delegated if rule.effective(u, case.tier_id)}
    return ids | delegated


def users_with_authority(tier) -> QuerySet:
    """Active users whose ``approve_tier`` grant on ``tier`` counts now (not superusers)."""
    User = get_user_model()
    if tier is None:
        return User.objects.none()
    return User.objects.filter(pk__in=effective_holders([tier])[tier.pk])


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
    """``user`` may approve at some tier of some policy now (certified), cached on the user
    object for the request, since the admin menu asks on every page."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_ecm_ops_any_tier_authority", None)
    if cached is None:
        cached = user._ecm_ops_any_tier_authority = bool(effective_tiers(user))
    return cached


def holds_any_grant(user) -> bool:
    """``user`` holds ``approve_tier`` somewhere, certified or not (who sees "My
    certifications"); cached on the user object for the request."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    cached = getattr(user, "_ecm_ops_any_grant", None)
    if cached is None:
        cached = user._ecm_ops_any_grant = bool(_granted_tiers(user))
    return cached


def holds_grant(user, case: ReviewCase) -> bool:
    """``user`` holds a grant on ``case``'s tier, certified or not (who may look at it)."""
    return bool(case.tier_id and case.tier_id in _granted_tiers(user))


def has_authority_in_policy(user, policy) -> bool:
    """``user`` may approve at some tier of ``policy`` now (a grant, certified)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return policy.pk in set(effective_tiers(user).values())


def policies_with_authority(user) -> list[int]:
    """Primary keys of the policies ``user`` may approve at some tier of now."""
    return sorted(set(effective_tiers(user).values()))


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
        if not reviewer.is_superuser and not CertificationRule(
            [case.tier_id], [reviewer.pk]
        ).effective(reviewer.pk, case.tier_id):
            raise ServiceError(
                f"{reviewer.get_username()} has no valid reviewer certification for this "
                "section, so a delegation would not let them approve. Choose a certified "
                "reviewer, or ask them to certify first."
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
