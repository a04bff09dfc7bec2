"""The publication invariant, as code. Every publish path checks it; the verifier re-derives it.

    For every publication of a page whose published content contains AI-written or mixed
    text there is (a) a screening of exactly that content with no blocker left, except
    blockers overridden *for that content* by a non-conflicted holder of authority for the
    tier the content classifies at, with a reason ("could not run" is never overridable);
    and (b) a quorum of approvals *of that same content* from distinct, non-conflicted users
    holding authority for that tier (including its required group) — or the tier's auto-skip
    (clean screening, no override, an AI share the tier explicitly allows), or an audited
    publish override by a non-conflicted holder of the override authority.

"That content" is :func:`ecm_ops.content_checks.identity.content_digest` of the text going
live, never a revision id. AI-ness is judged from the text itself
(:func:`ecm_ops.drafting.provenance.ai_coverage`). Conflicted are the people of
:func:`ecm_ops.governance.authority.conflicts_for_pages`.

Where Wagtail 8 publishes a page, and how each is held to this (see
:mod:`ecm_ops.services.publication`, which calls :func:`evaluate`):

- the page editor's Publish (create and edit views, ``PublishPageRevisionAction``), the bulk
  Publish action, revert-to-revision from the history screen (the edit view with
  ``previous_revision``), scheduled go-live (``publish_scheduled`` → ``Revision.publish``),
  workflow approval (``publish_workflow_state`` → ``Revision.publish``), ``Revision.publish()``
  / ``Page.publish()`` from code, the API's publish endpoint, and copy-with-keep-live
  (``CopyPageAction`` saves the copy live) — all end in ``Page.save()`` of a live page whose
  content or live revision changes; a ``pre_save`` receiver checks the invariant there, on the
  content being written, under the page row lock that revision saves also take, and refuses
  (raises) when it does not hold. The admin hooks refuse earlier with a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..content_checks import identity
from ..content_checks.canonical import CanonicalText
from ..models import (
    Approval,
    Finding,
    ReviewCaseUserObjectPermission,
    ReviewTierUserObjectPermission,
    ScreeningOverride,
    ScreeningRun,
)
from ..states import JobStatus, ScreeningTrigger, Severity
from .authority import (
    ALL_TIERS,
    APPROVE_TIER,
    CONFLICT_REASONS,
    REVIEW_CASE,
    CertificationRule,
    Conflicts,
    conflicts_for_pages,
)
from .classification import PolicyCache, classify

HUMAN, REVIEW, SKIPPED, OVERRIDE = "human", "review", "skipped", "override"
OVERRIDE_PERMISSION = "ecm_ops.override_review"
COULD_NOT_RUN = ".could_not_run"


@dataclass
class PublishOverride:
    """Who publishes without the review quorum, and why (checked by :func:`evaluate`)."""

    user: object
    reason: str


@dataclass
class Verdict:
    digest: str
    ai_share: float = 0.0
    ai: bool = False
    basis: str = ""
    problems: list[str] = field(default_factory=list)
    run: ScreeningRun | None = None
    case_id: int | None = None
    tier: object = None
    policy_hash: str = ""
    reasons: list[str] = field(default_factory=list)
    approvers: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        return " ".join(self.problems)


def blocker_print(finding) -> str:
    """What identifies a blocker for an override: check, field and the offending text."""
    return f"{finding.check_id}|{finding.field}|{finding.excerpt}"


def screening_of(page_id: int, digest: str) -> ScreeningRun | None:
    """The newest finished screening of exactly this content on this page (one query)."""
    return (
        ScreeningRun.objects.filter(
            page_id=page_id, content_digest=digest, status=JobStatus.SUCCEEDED
        )
        .exclude(trigger=ScreeningTrigger.MONITOR)
        .order_by("-finished_at", "-pk")
        .first()
    )


class _Facts:
    """Everything the invariant reads for a batch of ``(page_id, digest)`` pairs, loaded in a
    constant number of queries (so the nightly verifier stays cheap)."""

    def __init__(self, pairs, objs=()):
        from django.contrib.auth import get_user_model

        from ..drafting.provenance import template_risks

        pairs = set(pairs)
        page_ids = {p for p, _d in pairs}
        digests = {d for _p, d in pairs}
        self.runs: dict[tuple[int, str], ScreeningRun] = {}
        for run in (
            ScreeningRun.objects.filter(
                page_id__in=page_ids, content_digest__in=digests, status=JobStatus.SUCCEEDED
            )
            .exclude(trigger=ScreeningTrigger.MONITOR)
            .order_by("finished_at", "pk")
        ):
            self.runs[(run.page_id, run.content_digest)] = run  # newest wins
        self.findings: dict[int, list] = {}
        for f in Finding.objects.filter(run__in=[r.pk for r in self.runs.values()]):
            self.findings.setdefault(f.run_id, []).append(f)
        self.overrides: dict[tuple[int, str], list] = {}
        for o in ScreeningOverride.objects.filter(page_id__in=page_ids, content_digest__in=digests):
            self.overrides.setdefault((o.page_id, o.content_digest), []).append(o)
        self.approvals: dict[tuple[int, str], list] = {}
        for a in (
            Approval.objects.filter(case__page_id__in=page_ids, content_digest__in=digests)
            .select_related("case")
            .order_by("pk")
        ):
            self.approvals.setdefault((a.case.page_id, a.content_digest), []).append(a)
        self.conflicts = conflicts_for_pages(page_ids)
        self.template_risk = template_risks(page_ids)
        users = {o.user_id for v in self.overrides.values() for o in v}
        users |= {a.user_id for v in self.approvals.values() for a in v}
        self.tier_holders = _tier_holders(users)
        # Every tier (a handful per site): the tier judged is known only after classifying.
        self.certification = CertificationRule(ALL_TIERS, users)
        self.supers = set(
            get_user_model()
            .objects.filter(pk__in=users, is_active=True, is_superuser=True)
            .values_list("pk", flat=True)
        )
        self.delegated = (
            set(
                ReviewCaseUserObjectPermission.objects.filter(
                    permission__codename=REVIEW_CASE, user_id__in=users
                ).values_list("user_id", "content_object_id")
            )
            if users
            else set()
        )
        self.groups = _group_members(users)
        self.policies = PolicyCache(objs)

    def holds(self, user_id, tier, at=None) -> bool:
        """A grant on ``tier`` that counted at ``at`` (certified then; :class:`CertificationRule`)."""
        return tier is not None and (
            user_id in self.supers
            or (
                tier.pk in self.tier_holders.get(user_id, ())
                and self.certification.effective(user_id, tier.pk, at)
            )
        )

    def delegation_counts(self, user_id, case_id, tier, at=None) -> bool:
        return (user_id, case_id) in self.delegated and (
            tier is None or self.certification.effective(user_id, tier.pk, at)
        )


def tier_authority(tier, user_ids) -> set[int]:
    """Which of ``user_ids`` hold effective ``approve_tier`` on ``tier`` now (a grant directly
    or via a group, certified: :class:`CertificationRule`), or are active superusers."""
    from django.contrib.auth import get_user_model

    user_ids = set(user_ids)
    if tier is None or not user_ids:
        return set()
    holders = _tier_holders(user_ids)
    rule = CertificationRule([tier], user_ids)
    supers = get_user_model().objects.filter(pk__in=user_ids, is_active=True, is_superuser=True)
    return {
        u for u in user_ids if tier.pk in holders.get(u, ()) and rule.effective(u, tier.pk)
    } | set(supers.values_list("pk", flat=True))


def _tier_holders(user_ids) -> dict[int, set[int]]:
    """``{user_id: {tier pk, ...}}``: ``approve_tier`` held directly or via a group."""
    from django.contrib.auth import get_user_model

    out: dict[int, set[int]] = {}
    if not user_ids:
        return out
    for user_id, tier_id in ReviewTierUserObjectPermission.objects.filter(
        permission__codename=APPROVE_TIER, user_id__in=user_ids
    ).values_list("user_id", "content_object_id"):
        out.setdefault(user_id, set()).add(tier_id)
    for user_id, tier_id in (
        get_user_model()
        .objects.filter(
            pk__in=user_ids,
            is_active=True,
            groups__reviewtiergroupobjectpermission__permission__codename=APPROVE_TIER,
        )
        .values_list("pk", "groups__reviewtiergroupobjectpermission__content_object_id")
    ):
        out.setdefault(user_id, set()).add(tier_id)
    return out


def _group_members(user_ids) -> dict[int, set[int]]:
    from django.contrib.auth import get_user_model

    out: dict[int, set[int]] = {}
    if user_ids:
        for user_id, group_id in (
            get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "groups")
        ):
            if group_id is not None:
                out.setdefault(user_id, set()).add(group_id)
    return out


@dataclass
class Item:
    """One publication to judge: the page, the object going live (or its canonical text)."""

    page: object
    obj: object
    doc: CanonicalText | None = None
    override: PublishOverride | None = None
    at: object = None
    #: Hold the content to this tier instead of classifying it (the verifier, when the
    #: section's policy changed after the publication).
    tier: object = None


def evaluate(page, obj, *, doc: CanonicalText | None = None, override=None, at=None) -> Verdict:
    """Does publishing ``obj`` (``page``'s content as it would go live) keep the invariant?

    Args:
        page: the page (for its id, policy and history).
        obj: the specific page object whose content goes live (e.g. ``revision.as_object()``).
        doc: its canonical text, when the caller has it already.
        override: a :class:`PublishOverride` when a person publishes without the quorum.
        at: judge as of this time (the verifier); None: now.

    Returns:
        A :class:`Verdict`; ``verdict.ok`` is False with ``problems`` saying why, in words.
    """
    return evaluate_many([Item(page, obj, doc, override, at)])[0]


def evaluate_many(items: list[Item]) -> list[Verdict]:
    """:func:`evaluate` for a batch, in a constant number of queries for the facts (plus
    classification's per policy)."""
    from ..drafting.provenance import indexed_at

    docs = [identity.document(i.obj if i.doc is None else i.doc) for i in items]
    per_field = [identity.field_shingles(d) for d in docs]
    known = indexed_at(h for pf in per_field for hs, _n in pf.values() for h in hs)
    verdicts = []
    for item, doc in zip(items, docs, strict=True):
        v = Verdict(digest=identity.content_digest(doc))
        # AI text as of the moment judged: text a model writes later does not make it AI.
        as_of = known if item.at is None else {h for h, t in known.items() if t <= item.at}
        cov = identity.coverage(doc, as_of)
        v.ai_share, v.ai = cov.share, cov.has_ai_text
        if not v.ai:
            v.basis = HUMAN
        verdicts.append(v)
    ai_items = [(i, v) for i, v in zip(items, verdicts, strict=True) if v.ai]
    # One load of the facts for the whole batch: what depends on the moment (conflicts) is
    # asked with each item's ``at``. (Grouping by ``at`` loaded them once per publication in
    # the verifier, ~20 queries each.)
    if ai_items:
        facts = _Facts([(i.page.pk, v.digest) for i, v in ai_items], [i.obj for i, _v in ai_items])
        for i, v in ai_items:
            _judge(i, v, facts)
    return verdicts


def classify_content(
    page, obj, run, ai_share: float, findings=None, template_risk=None, cache=None
):
    """The tier ``obj`` (``page``'s content) classifies at, given its screening ``run``: one
    call used by the review case, overrides, the guard and the verifier alike."""
    from ..drafting.provenance import template_risk_for

    if findings is None:
        findings = list(run.findings.all()) if run else []
    return classify(
        obj,
        findings=findings,
        score=run.score if run else None,
        ai_share=ai_share,
        template_risk=template_risk if template_risk is not None else template_risk_for(page),
        cache=cache,
    )


def _judge(item: Item, verdict: Verdict, facts: _Facts) -> None:
    page = item.page
    key = (page.pk, verdict.digest)
    run = verdict.run = facts.runs.get(key)
    findings = facts.findings.get(run.pk, []) if run else []
    result = classify_content(
        page,
        item.obj,
        run,
        verdict.ai_share,
        findings,
        facts.template_risk.get(page.pk, 0),
        facts.policies,
    )
    tier = verdict.tier = item.tier or result.tier
    verdict.reasons = result.reasons
    verdict.policy_hash = result.policy_hash
    conflicted = facts.conflicts.get(page.pk) or Conflicts()
    overridden = _check_screening(
        verdict, run, findings, facts.overrides.get(key, []), tier, conflicted, facts
    )
    if not verdict.ok:
        return
    if item.override is not None:
        _check_publish_override(verdict, item.override, conflicted, item.at)
        return
    if _quorum(verdict, facts.approvals.get(key, []), tier, conflicted, facts):
        verdict.basis = REVIEW
        return
    if skip_decision(tier, run, verdict.ai_share, overridden)[0]:
        verdict.basis = SKIPPED
        return
    label = tier.label if tier else "its"
    verdict.problems.append(
        f"This content is {verdict.ai_share:.0%} AI-written and has not been approved in review "
        f"at the {label} tier by enough reviewers without a conflict of interest."
    )


def skip_decision(tier, run, ai_share: float, overridden: bool) -> tuple[bool, str]:
    """THE auto-skip rule: the tier allows it, the screening of this content succeeded with
    zero blockers and zero warnings, no override was needed, and the AI share is at most what
    the tier explicitly allows. Returns ``(allowed, the reason in words)``."""
    if tier is None or not tier.auto_skip_allowed:
        return False, "the tier does not allow auto-skip"
    failed = []
    if run is None or run.status != JobStatus.SUCCEEDED:
        failed.append("no finished screening of this content")
    else:
        if run.blocker_count or overridden:
            failed.append(f"{run.blocker_count} blocker(s) (overridden or not)")
        if run.warning_count:
            failed.append(f"{run.warning_count} warning(s)")
    if ai_share > tier.auto_skip_max_ai_share:
        failed.append(
            f"AI-written share {ai_share:.0%} above the {tier.auto_skip_max_ai_share:.0%} "
            "the tier allows"
        )
    if failed:
        return False, f"Not skipped at {tier.label}: " + "; ".join(failed) + "."
    return True, (
        f"Skipped: tier {tier.label} allows auto-skip; the screening had no blockers and no "
        f"warnings, nothing was overridden, score {run.score or 0:g}, and the AI-written share "
        f"{ai_share:.0%} is within the {tier.auto_skip_max_ai_share:.0%} the tier allows."
    )


def _check_screening(verdict, run, findings, overrides, tier, conflicted, facts) -> bool:
    """Part (a). Returns whether blockers were overridden (adds problems when not covered)."""
    if run is None:
        verdict.problems.append(
            "This exact content has not been pre-screened yet; save it and wait for the "
            "screening, or submit it for review."
        )
        return False
    blockers = {blocker_print(f) for f in findings if f.severity == Severity.BLOCKER}
    if not blockers:
        return False
    accepted = {
        p
        for o in overrides
        if not conflicted.reason(o.user_id, o.created_at)
        and facts.holds(o.user_id, tier, o.created_at)
        and o.reason.strip()
        for p in o.fingerprints
    }
    open_blockers = {b for b in blockers if COULD_NOT_RUN in b.split("|")[0] or b not in accepted}
    if open_blockers:
        checks = ", ".join(sorted({b.split("|")[0] for b in open_blockers}))
        verdict.problems.append(
            f"The screening of this content has {len(open_blockers)} blocking issue(s) "
            f"({checks}) not overridden for this content by an entitled, non-conflicted reviewer."
        )
    return True


def _quorum(verdict, approvals, tier, conflicted, facts) -> bool:
    if tier is None:
        return False
    counted = [
        a
        for a in approvals
        if not conflicted.reason(a.user_id, a.created_at)
        and (
            facts.holds(a.user_id, tier, a.created_at)
            or facts.delegation_counts(a.user_id, a.case_id, tier, a.created_at)
        )
    ]
    users = sorted({a.user_id for a in counted})
    if len(users) < max(tier.approvals_required, 1):
        return False
    if tier.required_group_id and not any(
        tier.required_group_id in facts.groups.get(u, ()) for u in users
    ):
        return False
    verdict.approvers = users
    verdict.case_id = counted[-1].case_id
    return True


def _check_publish_override(verdict, override: PublishOverride, conflicted, at=None) -> None:
    user = override.user
    if not (user and user.is_authenticated and user.is_active):
        verdict.problems.append("Only a signed-in person can publish with the override.")
    elif conflicted.reason(user.pk, at):
        verdict.problems.append(
            "You cannot override the review of content you are conflicted for: "
            + CONFLICT_REASONS[conflicted.reason(user.pk, at)]
        )
    elif not user.has_perm(OVERRIDE_PERMISSION):
        verdict.problems.append("Publishing without review needs the review override authority.")
    elif len((override.reason or "").strip()) < 10:
        verdict.problems.append("The override needs a reason of at least 10 characters.")
    else:
        verdict.basis = OVERRIDE
