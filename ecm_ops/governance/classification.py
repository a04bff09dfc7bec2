"""Policy lookup and tier classification with the reasons that put a piece in its tier.

Classification only ever raises the tier: the policy minimum is the floor, the screening
score's threshold (``ECM_OPS["SCORE_TIER_THRESHOLDS"]``) raises it, each matching rule raises
it, and nothing can lower it. In particular AI-based findings (checks whose id starts
with one of :data:`AI_CHECK_PREFIXES`) take part in rules like any other finding, so they can
raise the tier, but since no rule can lower a tier, a model's output never lowers it.

The first reason is a summary an editor can read at a glance, e.g.
``High because: finding `claims.medical` (blocker); section Health requires Elevated minimum``;
the following ones say which rule matched and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..content_checks.scoring import minimum_level
from ..models import ReviewTier, RiskPolicy, RiskRule
from ..states import SEVERITY_RANK

#: Findings from checks with these id prefixes were produced by a model (LLM or rubric grader).
AI_CHECK_PREFIXES = ("llm.", "llm_", "rubric")


@dataclass
class Classification:
    policy: RiskPolicy | None
    tier: ReviewTier | None
    reasons: list[str] = field(default_factory=list)
    #: :func:`policy_hash` of what this classification read (no extra query).
    policy_hash: str = ""

    @property
    def summary(self) -> str:
        return self.reasons[0] if self.reasons else ""


def is_ai_finding(finding) -> bool:
    return finding.check_id.startswith(AI_CHECK_PREFIXES)


def policy_for(page) -> RiskPolicy | None:
    """The policy of the nearest section at or above ``page`` (one query)."""
    return (
        RiskPolicy.objects.filter(section__in=page.get_ancestors(inclusive=True))
        .select_related("section")
        .order_by("-section__depth")
        .first()
    )


def policies_for(pages) -> dict[int, RiskPolicy | None]:
    """:func:`policy_for` for many pages at once (one query whatever their number): page pk
    -> the policy of the nearest section at or above it. Same rule as :func:`policy_for`
    (a section is an ancestor-or-self, found by Wagtail's materialised path), for sweeps
    that must not query per page."""
    pages = list(pages)
    if not pages:
        return {}
    steplen = pages[0].steplen
    prefixes = {
        page.path[:end] for page in pages for end in range(steplen, len(page.path) + 1, steplen)
    }
    by_path = {
        policy.section.path: policy
        for policy in RiskPolicy.objects.filter(section__path__in=prefixes).select_related(
            "section"
        )
    }
    result: dict[int, RiskPolicy | None] = {}
    for page in pages:
        result[page.pk] = next(
            (
                by_path[page.path[:end]]
                for end in range(len(page.path), 0, -steplen)
                if page.path[:end] in by_path
            ),
            None,
        )
    return result


def _finding_label(f) -> str:
    label = f"finding `{f.check_id}` ({f.severity})"
    return label + ", an AI-based check" if is_ai_finding(f) else label


def _rule_matches(
    rule, page, page_type: str, tags: set[str], findings, score, ai_share, template_risk
) -> list[str]:
    """Return the reasons this rule matched, or [] when any condition fails (or it has none)."""
    why = []
    if rule.page_types:
        if page_type not in rule.page_types:
            return []
        why.append(f"page type {page_type}")
    if rule.section_id:
        section = rule.section
        if not (page.path or "").startswith(section.path):
            return []
        why.append(f"in section {section.title}")
    if rule.tags:
        hit = tags & {t.lower() for t in rule.tags}
        if not hit:
            return []
        why.append("topic " + ", ".join(sorted(hit)))
    if rule.finding_checks or rule.finding_min_severity:
        min_rank = SEVERITY_RANK.get(rule.finding_min_severity, 0)
        matched = [
            f
            for f in findings
            if SEVERITY_RANK.get(f.severity, 0) >= min_rank
            and (
                not rule.finding_checks
                or "*" in rule.finding_checks
                or any(
                    f.check_id == c or f.check_id.startswith(c + ".") for c in rule.finding_checks
                )
            )
        ]
        if not matched:
            return []
        worst = max(matched, key=lambda f: SEVERITY_RANK.get(f.severity, 0))
        why.append(_finding_label(worst))
    if rule.min_score is not None:
        if score is None or score < rule.min_score:
            return []
        why.append(f"screening score {score:g} >= {rule.min_score:g}")
    if rule.min_ai_share is not None:
        if ai_share is None or ai_share < rule.min_ai_share:
            return []
        why.append(f"AI-written share {ai_share:.0%}")
    if rule.min_template_risk is not None:
        if template_risk is None or template_risk < rule.min_template_risk:
            return []
        why.append(f"prompt template risk level {template_risk}")
    return why


class PolicyCache:
    """Policies, tiers and rules for many pages, loaded in three queries (batch callers such as
    the verifier pass it to :func:`classify`)."""

    def __init__(self, pages):
        pages = [p for p in pages if getattr(p, "path", "")]
        self.by_page = {id(p): pol for p, pol in zip(pages, _policies_in_order(pages), strict=True)}
        pks = {pol.pk for pol in self.by_page.values() if pol is not None}
        self.tiers: dict[int, list] = {pk: [] for pk in pks}
        for tier in ReviewTier.objects.filter(policy_id__in=pks).order_by("level"):
            self.tiers[tier.policy_id].append(tier)
        self.rules: dict[int, list] = {pk: [] for pk in pks}
        for rule in (
            RiskRule.objects.filter(policy_id__in=pks)
            .select_related("section")
            .order_by("sort_order", "pk")
        ):
            self.rules[rule.policy_id].append(rule)

    def load(self, page):
        if id(page) not in self.by_page:
            return _load(page)
        policy = self.by_page[id(page)]
        if policy is None:
            return None, [], []
        return policy, self.tiers[policy.pk], self.rules[policy.pk]


def _policies_in_order(pages) -> list:
    """:func:`policies_for` for page objects that may share a pk (revisions of one page)."""
    by_path = policies_for(
        _PathOnly(i, p.path, getattr(p, "steplen", 4)) for i, p in enumerate(pages)
    )
    return [by_path[i] for i in range(len(pages))]


class _PathOnly:
    def __init__(self, pk, path, steplen):
        self.pk, self.path, self.steplen = pk, path, steplen


def _load(page):
    """The policy, its tiers and rules for one page (three queries)."""
    policy = policy_for(page)
    if policy is None:
        return None, [], []
    tiers = list(ReviewTier.objects.filter(policy=policy).order_by("level"))
    rules = list(
        RiskRule.objects.filter(policy=policy)
        .select_related("section")
        .order_by("sort_order", "pk")
    )
    return policy, tiers, rules


def classify(
    page, *, findings=(), score=None, ai_share=None, template_risk=None, tags=None, cache=None
) -> Classification:
    """Choose the review tier for ``page`` (a specific page or revision object).

    Args:
        page: the page as it will be reviewed (``revision.as_object()``).
        findings: the prescreen findings (objects with ``check_id`` and ``severity``).
        score: the screening score; ai_share: 0-1; template_risk: the template's risk level.
        tags: topic tags; read from ``page.tags`` when not given.

    Returns:
        Classification with the policy, the tier and the human-readable reasons (the first
        one a one-line summary). Three queries: policy, tiers, rules (none with a
        :class:`PolicyCache` that holds the page).
    """
    policy, tiers, rules = cache.load(page) if cache is not None else _load(page)
    if policy is None:
        return Classification(None, None, ["No risk policy applies to this section."])
    if not tiers:
        return Classification(policy, None, [f"Policy “{policy}” defines no tiers."])
    by_pk = {t.pk: t for t in tiers}
    floor = next((t for t in tiers if t.level >= policy.minimum_level), tiers[-1])
    floor_reason = f"section {policy.section.title} requires {floor.label} minimum"
    tier = floor
    raised: list[tuple[ReviewTier, list[str]]] = []
    details: list[str] = []
    if score is not None:
        # SCORE_TIER_THRESHOLDS: a score at or above a threshold needs at least that level.
        needed = minimum_level(score)
        score_tier = next((t for t in tiers if t.level >= needed), tiers[-1])
        if score_tier.level > tier.level:
            why = [f"screening score {score:g} needs level {needed} or higher"]
            details.append(f"score threshold ({score_tier.label}): " + why[0])
            raised.append((score_tier, why))
            tier = score_tier
    if tags is None:
        tags = _page_tags(page)
    tags = {t.lower() for t in tags}
    findings = list(findings)
    page_type = f"{page._meta.app_label}.{page._meta.model_name}"
    for rule in rules:
        why = _rule_matches(rule, page, page_type, tags, findings, score, ai_share, template_risk)
        rule_tier = by_pk.get(rule.tier_id)
        if not why or rule_tier is None:
            continue
        details.append(f"rule “{rule.name}” ({rule_tier.label}): " + "; ".join(why))
        raised.append((rule_tier, why))
        if rule_tier.level > tier.level:
            tier = rule_tier
    # The summary names what put the piece at its final tier (every rule at that level),
    # then the floor.
    causes = [w for rule_tier, why in raised if rule_tier.pk == tier.pk for w in why]
    summary = f"{tier.label} because: " + "; ".join([*causes, floor_reason])
    return Classification(policy, tier, [summary, *details], _hash(policy, tiers, rules))


def _page_tags(page) -> list[str]:
    tags = getattr(page, "tags", None)
    if tags is None:
        return []
    try:
        return [t.name for t in tags.all()]
    except (AttributeError, ValueError):
        return []


TIER_FIELDS = (
    "pk", "level", "approvals_required", "required_group_id", "auto_skip_allowed",
    "auto_skip_max_ai_share",
)  # fmt: skip
RULE_FIELDS = (
    "tier_id", "page_types", "section_id", "tags", "finding_checks", "finding_min_severity",
    "min_score", "min_ai_share", "min_template_risk",
)  # fmt: skip


def _hash(policy, tiers, rules) -> str:
    """A digest of what classification read from ``policy`` (minimum, tiers, rules): equal
    hashes classify the same content the same way."""
    import hashlib
    import json

    raw = json.dumps(
        [
            policy.minimum_level,
            [[getattr(t, f) for f in TIER_FIELDS] for t in tiers],
            [[getattr(r, f) for f in RULE_FIELDS] for r in rules],
        ],
        default=str,
        sort_keys=True,
    )
    return hashlib.sha256(raw.encode()).hexdigest()
