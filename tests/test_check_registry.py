"""The check registry: loading by dotted path, findings, fail closed, budgets, context."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from ecm_ops.conf import DEFAULT_CHECKS
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.registry import (
    BaseCheck,
    CheckContext,
    budget_for,
    get_checks,
    run_check,
    run_checks,
)
from ecm_ops.content_checks.scoring import score, score_card, scores_by_check
from ecm_ops.states import Severity


class WordCheck(BaseCheck):
    check_id = "site.banana"
    label = "No bananas"

    def run(self, doc, context):
        at = doc.text.find("banana")
        if at >= 0:
            yield self.finding(doc, Severity.WARNING, at, at + 6, "Banana.", suggestion="Apple.")


class CrashingCheck(BaseCheck):
    check_id = "site.crash"
    label = "Crashes"

    def run(self, doc, context):
        yield self.finding(doc, Severity.INFO, 0, 1, "partial")
        raise RuntimeError("boom")


class SlowCheck(BaseCheck):
    check_id = "site.slow"
    label = "Slow"

    def run(self, doc, context):
        time.sleep(0.3)
        return []


class SlowDBCheck(SlowCheck):
    check_id = "site.slowdb"
    runs_in_thread = False


class ContextCheck(BaseCheck):
    check_id = "site.context"

    def run(self, doc, context):
        yield self.finding(doc, Severity.INFO, 0, 0, f"{context.page_type}|{context.brief}")


def doc():
    return CanonicalText.from_fields([("title", "Fruit"), ("body", "I like banana bread.")])


def test_site_checks_are_loaded_by_dotted_path_and_findings_are_complete():
    with override_settings(ECM_OPS={"CHECKS": ["tests.test_check_registry.WordCheck"]}):
        (check,) = get_checks()
        (f,) = run_checks(doc())
    assert isinstance(check, WordCheck)
    assert (f.check_id, f.severity, f.field, f.message, f.suggestion) == (
        "site.banana", "warning", "body", "Banana.", "Apple.",
    )  # fmt: skip
    assert doc().text[f.start : f.end] == "banana" == f.excerpt


def test_an_unimportable_check_is_a_configuration_error():
    with override_settings(ECM_OPS={"CHECKS": ["tests.nowhere.Check"]}):
        with pytest.raises(ImproperlyConfigured, match="tests.nowhere.Check"):
            get_checks()


def test_default_checks_are_all_deterministic_builtins():
    with override_settings(ECM_OPS={"CHECKS": list(DEFAULT_CHECKS)}):
        ids = {c.check_id for c in get_checks()}
    assert ids == {"ai_artefacts", "pii", "claims", "style", "readability", "links",
                   "duplicates"}  # fmt: skip
    assert not any("llm_rubric" in path for path in DEFAULT_CHECKS)


def test_a_crashing_check_fails_closed_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="ecm_ops.checks"):
        findings = run_checks(doc(), checks=[CrashingCheck(), WordCheck()])
    crash = [f for f in findings if f.check_id.startswith("site.crash")]
    assert [f.check_id for f in crash] == ["site.crash.could_not_run"]  # partial output dropped
    assert crash[0].severity == Severity.BLOCKER and "could not run" in crash[0].message
    assert "RuntimeError" in crash[0].message
    assert any(f.check_id == "site.banana" for f in findings)  # the others still ran
    assert "Check site.crash crashed" in caplog.text


@pytest.mark.parametrize("check", [SlowCheck(), SlowDBCheck()])
def test_a_check_over_its_budget_fails_closed(check, caplog):
    with caplog.at_level(logging.ERROR, logger="ecm_ops.checks"):
        with override_settings(ECM_OPS={"CHECK_TIME_BUDGETS": {check.check_id: 0.05}}):
            (f,) = run_check(check, doc(), CheckContext())
    assert f.check_id == f"{check.check_id}.could_not_run" and f.severity == "blocker"
    assert "longer than 0.05 seconds" in f.message
    assert "exceeded" in caplog.text


def test_within_budget_the_check_passes():
    with override_settings(ECM_OPS={"CHECK_TIME_BUDGETS": {"site.slow": 5}}):
        assert run_check(SlowCheck(), doc(), CheckContext()) == []


def test_budget_precedence():
    class Own(BaseCheck):
        check_id = "site.own"
        time_budget = 7.0

    with override_settings(ECM_OPS={"CHECK_TIME_BUDGET": 2.0}):
        assert budget_for(Own()) == 7.0
        assert budget_for(WordCheck()) == 2.0
    with override_settings(ECM_OPS={"CHECK_TIME_BUDGETS": {"site.own": 1.5}}):
        assert budget_for(Own()) == 1.5


def test_checks_receive_the_context():
    context = CheckContext(page_type="content.newsarticle", brief={"topic": "x"})
    (f,) = run_checks(doc(), context, checks=[ContextCheck()])
    assert f.message == "content.newsarticle|{'topic': 'x'}"


def test_scores_per_check_add_up_and_set_a_minimum_tier():
    findings = run_checks(doc(), checks=[WordCheck(), CrashingCheck()])
    card = score_card(findings, word_count=50)
    assert card.overall == score(findings, 50) == 13.0  # (3 + 10) per 100 words (min 100)
    assert scores_by_check(findings, 50) == {"site": 13.0}
    assert card.blockers == 1 and card.warnings == 1 and card.blocked


class CaptureCheck(BaseCheck):
    check_id = "site.capture"
    seen: list = []

    def run(self, doc, context):
        CaptureCheck.seen.append((context.brief, context.instructions, context.style_guide))
        return []


@pytest.mark.django_db
def test_context_is_filled_from_the_pages_latest_ai_draft(demo):
    from ecm_ops.models import DraftRequest, PromptTemplate
    from sandbox_site.content.models import NewsArticle

    page = NewsArticle.objects.get(slug="draft-transport-plan")
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    DraftRequest.objects.create(
        page=page, template_version=version, brief={"topic": "old"}, status="failed"
    )
    DraftRequest.objects.create(
        page=page, template_version=version, brief={"topic": "buses"}, status="succeeded"
    )
    CaptureCheck.seen.clear()
    run_checks(doc(), CheckContext(page=page), checks=[CaptureCheck()])
    brief, instructions, guide = CaptureCheck.seen[-1]
    assert brief == {"topic": "buses"} and instructions == version.instructions
    assert guide == version.template.style_guide
    # What the caller gives wins; a bare text (no page) gets nothing from the database.
    run_checks(doc(), CheckContext(page=page, brief={"topic": "mine"}), checks=[CaptureCheck()])
    assert CaptureCheck.seen[-1][0] == {"topic": "mine"}
    run_checks(doc(), CheckContext(), checks=[CaptureCheck()])
    assert CaptureCheck.seen[-1] == ({}, "", None)
