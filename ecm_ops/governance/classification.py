"""Policy lookup and tier classification with the reasons that put a piece in its tier.

Classification only ever raises the tier: the policy minimum is the floor, each matching rule
raises it, and nothing (no finding, no model output) can lower it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import ReviewTier, RiskPolicy
from ..states import SEVERITY_RANK


@dataclass
class Classification:
    policy: RiskPolicy | None
    tier: ReviewTier | None
    reasons: list[str] = field(default_factory=list)


def policy_for(page) -> RiskPolicy | None:
    """The policy of the nearest section at or above ``page`` (one query)."""
    return (
        RiskPolicy.objects.filter(section__in=page.get_ancestors(inclusive=True))
        .order_by("-section__depth")
        .first()
    )


def _rule_matches(
    rule, page_type: str, tags: set[str], findings, score, ai_share, template_risk
) -> list[str]:
    """Return the reasons this rule matched, or [] when any condition fails."""
    why = []
    if rule.page_types:
        if page_type not in rule.page_types:
            return []
        why.append(f"page type {page_type}")
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
        why.append(f"finding `{matched[0].check_id}` ({matched[0].severity})")
    if rule.min_score is not None:
        if score is None or score < rule.min_score:
            return []
        why.append(f"screening score {score} >= {rule.min_score}")
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
        Classification with the policy, the tier and the human-readable reasons.
    """
    policy = policy_for(page)
    if policy is None:
        return Classification(None, None, ["No risk policy applies to this section."])
    tiers = list(policy.tiers.order_by("level"))
    if not tiers:
        return Classification(policy, None, [f"Policy {policy} defines no tiers."])
    by_pk = {t.pk: t for t in tiers}
    floor = next((t for t in tiers if t.level >= policy.minimum_level), tiers[-1])
    tier, reasons = floor, [f"section policy “{policy}” minimum: {floor.label}"]
    if tags is None:
        tags = _page_tags(page)
    tags = {t.lower() for t in tags}
    page_type = f"{page._meta.app_label}.{page._meta.model_name}"
    for rule in policy.rules.all():
        why = _rule_matches(rule, page_type, tags, list(findings), score, ai_share, template_risk)
        rule_tier = by_pk.get(rule.tier_id)
        if why and rule_tier is not None and rule_tier.level > tier.level:
            tier = rule_tier
            reasons.append(f"{rule_tier.label} because rule “{rule.name}”: " + "; ".join(why))
    return Classification(policy, tier, reasons)


def _page_tags(page) -> list[str]:
    tags = getattr(page, "tags", None)
    if tags is None:
        return []
    try:
        return [t.name for t in tags.all()]
    except (AttributeError, ValueError):
        return []
