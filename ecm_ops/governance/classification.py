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

import contextlib
import contextvars
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

    @property
    def summary(self) -> str:
        return self.reasons[0] if self.reasons else ""


def is_ai_finding(finding) -> bool:
    return finding.check_id.startswith(AI_CHECK_PREFIXES)


_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "ecm_ops_classification_batch", default=None
)


@contextlib.contextmanager
def batch():
    """Within this block, each section's policy, tiers, rules and policy hash are read once:
    judging many pieces of content at once (the verifier) costs queries per policy, not per
    piece. Outside it every call reads the database afresh."""
    token = _batch.set({}) if _batch.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _batch.reset(token)


def _memo(key, load):
    cache = _batch.get()
    if cache is None or key[1] in (None, ""):
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def policy_for(page) -> RiskPolicy | None:
    """The policy of the nearest section at or above ``page`` (one query)."""
    return _memo(
        ("policy", page.path if page.pk else None),
        lambda: (
            RiskPolicy.objects.filter(section__in=page.get_ancestors(inclusive=True))
            .select_related("section")
            .order_by("-section__depth")
            .first()
        ),
    )


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


def classify(
    page, *, findings=(), score=None, ai_share=None, template_risk=None, tags=None
) -> Classification:
    """Choose the review tier for ``page`` (a specific page or revision object).

    Args:
        page: the page as it will be reviewed (``revision.as_object()``).
        findings: the prescreen findings (objects with ``check_id`` and ``severity``).
        score: the screening score; ai_share: 0-1; template_risk: the template's risk level.
        tags: topic tags; read from ``page.tags`` when not given.

    Returns:
        Classification with the policy, the tier and the human-readable reasons (the first
        one a one-line summary). Three queries: policy, tiers, rules.
    """
    policy = policy_for(page)
    if policy is None:
        return Classification(None, None, ["No risk policy applies to this section."])
    tiers = _memo(
        ("tiers", policy.pk),
        lambda: list(ReviewTier.objects.filter(policy=policy).order_by("level")),
    )
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
    rules = _memo(
        ("rules", policy.pk),
        lambda: list(
            RiskRule.objects.filter(policy=policy)
            .select_related("section")
            .order_by("sort_order", "pk")
        ),
    )
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
    return Classification(policy, tier, [summary, *details])


def _page_tags(page) -> list[str]:
    tags = getattr(page, "tags", None)
    if tags is None:
        return []
    try:
        return [t.name for t in tags.all()]
    except (AttributeError, ValueError):
        return []


def policy_hash(policy) -> str:
    """A digest of what classification reads from ``policy`` (minimum, tiers, rules): equal
    hashes classify the same content the same way (two queries)."""

    if policy is None:
        return ""
    return _memo(("hash", policy.pk), lambda: _policy_hash(policy))


def _policy_hash(policy) -> str:
    import hashlib
    import json

    tiers = list(
        ReviewTier.objects.filter(policy=policy)
        .order_by("level")
        .values_list(
            "pk", "level", "approvals_required", "required_group_id", "auto_skip_allowed",
            "auto_skip_max_ai_share",
        )
    )  # fmt: skip
    rules = list(
        RiskRule.objects.filter(policy=policy)
        .order_by("sort_order", "pk")
        .values_list(
            "tier_id", "page_types", "section_id", "tags", "finding_checks",
            "finding_min_severity", "min_score", "min_ai_share", "min_template_risk",
        )
    )  # fmt: skip
    raw = json.dumps([policy.minimum_level, tiers, rules], default=str, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()
