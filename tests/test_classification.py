"""Risk classification: policy lookup, ordered rules, human-readable reasons, and the floors
that nothing (least of all a model's finding) can push a tier under."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group

from ecm_ops.governance.classification import classify, is_ai_finding, policy_for
from ecm_ops.models import ReviewTier, RiskPolicy, RiskRule
from sandbox_site.content.models import AdviceArticle, NewsArticle, SectionPage

pytestmark = pytest.mark.django_db


def finding(check_id, severity):
    return SimpleNamespace(check_id=check_id, severity=severity)


@pytest.fixture
def health(demo):
    policy = RiskPolicy.objects.get(section=demo["health"])
    return SimpleNamespace(
        policy=policy,
        elevated=ReviewTier.objects.get(policy=policy, level=3),
        high=ReviewTier.objects.get(policy=policy, level=4),
        page=AdviceArticle.objects.get(slug="sleep-basics"),
    )


def add_rule(policy, tier, name, order, **conditions):
    return RiskRule.objects.create(
        policy=policy, tier=tier, name=name, sort_order=order, **conditions
    )


def test_section_minimum_is_the_floor_and_says_so(health):
    result = classify(health.page, tags=[])
    assert result.tier == health.elevated
    assert result.reasons == ["Elevated because: section Health & Money requires Elevated minimum"]


def test_finding_raises_the_tier_with_the_reason_in_words(health):
    add_rule(
        health.policy,
        health.high,
        "Medical claims",
        5,
        finding_checks=["claims.medical"],
        finding_min_severity="blocker",
    )
    result = classify(health.page, tags=[], findings=[finding("claims.medical", "blocker")])
    assert result.tier == health.high
    assert result.summary == (
        "High because: finding `claims.medical` (blocker); "
        "section Health & Money requires Elevated minimum"
    )
    assert any(r.startswith("rule “Medical claims” (High)") for r in result.reasons[1:])
    # A warning is below the rule's minimum severity: no raise.
    assert classify(health.page, tags=[], findings=[finding("claims.medical", "warning")]).tier == (
        health.elevated
    )
    # Prefix matching: claims.medical.dosage is a claims.medical finding; claims.medicalx is not.
    assert (
        classify(health.page, tags=[], findings=[finding("claims.medical.dosage", "blocker")]).tier
        == health.high
    )
    assert (
        classify(health.page, tags=[], findings=[finding("claims.medicalx", "blocker")]).tier
        == health.elevated
    )


def test_topics_raise_to_high(health):
    result = classify(health.page, tags=["Medication"])
    assert result.tier == health.high
    assert "topic medication" in result.summary


def test_ai_findings_raise_but_never_lower(health):
    news = RiskPolicy.objects.get(name="News")
    low = ReviewTier.objects.get(policy=news, level=1)
    assert is_ai_finding(finding("llm.tone", "info")) and is_ai_finding(
        finding("rubric.facts", "info")
    )
    assert not is_ai_finding(finding("pii.email", "blocker"))
    # A (mis)configured rule that would map an AI "all clear" to a lower tier cannot lower anything,
    # not even via another policy's tier.
    add_rule(health.policy, low, "AI says fine", 1, finding_checks=["llm"])
    clean_ai = [finding("llm.all_clear", "info")]
    assert classify(health.page, tags=["medication"], findings=clean_ai).tier == health.high
    assert classify(health.page, tags=[], findings=clean_ai).tier == health.elevated
    # An AI-based blocker may raise.
    add_rule(
        health.policy,
        health.high,
        "AI blocker",
        2,
        finding_checks=["llm", "rubric"],
        finding_min_severity="blocker",
    )
    raised = classify(health.page, tags=[], findings=[finding("rubric.accuracy", "blocker")])
    assert raised.tier == health.high
    assert "finding `rubric.accuracy` (blocker), an AI-based check" in raised.summary
    # Adding AI findings never produces a lower tier than the same input without them.
    for tags in ([], ["medication"]):
        base = classify(health.page, tags=tags).tier.level
        for f in (
            finding("llm.x", "info"),
            finding("llm.x", "warning"),
            finding("rubric.y", "blocker"),
        ):
            assert classify(health.page, tags=tags, findings=[f]).tier.level >= base


def test_rule_to_a_tier_below_the_minimum_never_lowers(demo, health):
    low = ReviewTier.objects.create(policy=health.policy, level=1, label="Low")
    add_rule(health.policy, low, "Short pieces", 0, min_score=0.0)
    result = classify(health.page, tags=[], score=0.5)
    assert result.tier == health.elevated
    assert result.summary.startswith("Elevated because:")
    assert any(
        "Short pieces" in r for r in result.reasons
    )  # it matched, and is shown, but no lower


def test_rules_over_page_type_section_score_ai_share_and_template_risk(demo):
    news = RiskPolicy.objects.get(name="News")
    low, std = (ReviewTier.objects.get(policy=news, level=n) for n in (1, 2))
    high = ReviewTier.objects.create(policy=news, level=4, label="High")
    home = demo["news"]
    sub = home.add_child(instance=SectionPage(title="Courts", slug="courts"))
    page = sub.add_child(instance=NewsArticle(title="Verdict", slug="verdict", live=False))
    RiskRule.objects.filter(policy=news).delete()
    add_rule(news, std, "Courts section", 1, section=sub)
    assert classify(page, tags=[]).tier == std
    assert "in section Courts" in classify(page, tags=[]).summary
    other = home.add_child(instance=NewsArticle(title="Other", slug="other", live=False))
    assert classify(other, tags=[]).tier == low
    add_rule(
        news,
        high,
        "Risky template, mostly AI, high score",
        2,
        page_types=["content.newsarticle"],
        min_ai_share=0.5,
        min_template_risk=3,
        min_score=2.0,
    )
    assert classify(other, tags=[], ai_share=0.9, template_risk=4, score=2.5).tier == high
    # Every condition must hold (a score of 2.5 alone needs level 2: SCORE_TIER_THRESHOLDS).
    assert classify(other, tags=[], ai_share=0.4, template_risk=4, score=2.5).tier == std
    assert classify(other, tags=[], ai_share=0.9, template_risk=2, score=2.5).tier == std
    assert classify(other, tags=[], ai_share=0.9, template_risk=4, score=None).tier == low
    summary = classify(other, tags=[], ai_share=0.9, template_risk=4, score=2.5).summary
    assert summary == (
        "High because: page type content.newsarticle; screening score 2.5 >= 2; "
        "AI-written share 90%; prompt template risk level 4; section News requires Low minimum"
    )


def test_nearest_policy_wins_and_no_policy_is_explicit(demo):
    health = demo["health"]
    kids = health.add_child(instance=SectionPage(title="Kids", slug="kids"))
    page = kids.add_child(instance=AdviceArticle(title="Kids sleep", slug="kids-sleep", live=False))
    assert policy_for(page).section_id == health.pk
    kids_policy = RiskPolicy.objects.create(name="Kids", section=kids, minimum_level=4)
    ReviewTier.objects.create(
        policy=kids_policy,
        level=4,
        label="Strict",
        required_group=Group.objects.get(name="Legal reviewers"),
    )
    assert policy_for(page) == kids_policy
    assert classify(page, tags=[]).tier.label == "Strict"
    orphan = demo["home"]
    result = classify(orphan, tags=[])
    assert result.tier is None and result.reasons == ["No risk policy applies to this section."]


def test_a_policy_without_tiers_says_so(demo):
    news = demo["news"]
    sub = news.add_child(instance=SectionPage(title="Empty", slug="empty"))
    RiskPolicy.objects.create(name="Empty policy", section=sub)
    result = classify(sub, tags=[])
    assert result.tier is None and "defines no tiers" in result.reasons[0]


def test_classification_costs_three_queries(health, django_assert_num_queries):
    findings = [finding("claims.medical", "blocker")] * 50
    with django_assert_num_queries(3):
        classify(health.page, tags=["medication"], findings=findings, score=3.0)


def test_score_thresholds_are_a_floor_that_rules_cannot_talk_down(demo):
    """A text scoring 17 is documented to need tier 4 (SCORE_TIER_THRESHOLDS): it is never
    classified lower, whatever the rules say, and the reason names the score."""
    news = RiskPolicy.objects.get(name="News")
    high = ReviewTier.objects.create(policy=news, level=4, label="High")
    page = demo["news"].add_child(instance=NewsArticle(title="Scored", slug="scored", live=False))
    assert classify(page, tags=[], score=0.5).tier.level == 1
    assert classify(page, tags=[], score=2.0).tier.level == 2
    assert classify(page, tags=[], score=5.0).tier == high  # needs 3; no level 3: next one up
    result = classify(page, tags=[], score=17.0)
    assert result.tier == high
    assert "screening score 17 needs level 4" in result.summary
