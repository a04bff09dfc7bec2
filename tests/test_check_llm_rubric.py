"""The optional LLM rubric check: structured issues through the provider interface, cost
recorded, and it only ever adds findings."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from ecm_ops.conf import DEFAULT_CHECKS
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.llm_rubric import LLMRubricCheck
from ecm_ops.content_checks.registry import CheckContext, get_checks, run_checks
from ecm_ops.providers import GenerationResult, Provider, Usage
from ecm_ops.providers.offline import OfflineProvider
from ecm_ops.providers.rubric import RubricRequest

RUBRIC = "ecm_ops.content_checks.llm_rubric.LLMRubricCheck"
TEXT = "Our pills cure everything. Call jane@example.org. The weather is nice."


class JudgingProvider(Provider):
    """A provider whose model answers the rubric through ``generate`` (the default path)."""

    name = "judge"
    requests: list = []

    def generate(self, request):
        JudgingProvider.requests.append(request)
        issues = [
            {"criterion": "factual_risk", "severity": "blocker", "excerpt": "cure everything",
             "message": "An unsupported health claim."},
            {"criterion": "tone", "severity": "loud", "excerpt": "not in the text",
             "message": "Too pushy."},
        ]  # fmt: skip
        return GenerationResult(
            fields={"issues": json.dumps(issues)},
            usage=Usage(input_tokens=1000, output_tokens=200),
            model="claude-sonnet-test",
        )


class BrokenProvider(JudgingProvider):
    def generate(self, request):
        return GenerationResult(fields={"issues": "not json"}, usage=Usage(), model="x")


def doc():
    return CanonicalText.from_fields([("body", TEXT)])


def test_offline_provider_returns_no_issues_deterministically():
    result = OfflineProvider().rubric(RubricRequest(text=TEXT))
    assert result.issues == [] and result.usage.input_tokens == len(TEXT.split())
    context = CheckContext()
    with override_settings(ECM_OPS={"PROVIDER": "offline"}):
        assert list(LLMRubricCheck().run(doc(), context)) == []
    assert context.meta["llm_rubric"]["cost_usd"] == "0.000000"


def test_structured_issues_become_findings_and_cost_is_recorded():
    context = CheckContext()
    with override_settings(ECM_OPS={"PROVIDER": "tests.test_check_llm_rubric.JudgingProvider"}):
        findings = list(LLMRubricCheck().run(doc(), context))
    first, second = findings
    assert (first.check_id, first.severity, first.excerpt, first.field) == (
        "llm_rubric.factual_risk", "blocker", "cure everything", "body",
    )  # fmt: skip
    assert TEXT[first.start : first.end] == "cure everything"
    assert (
        second.check_id == "llm_rubric.tone" and second.severity == "warning"
    )  # unknown -> warning
    assert second.field == "" and second.excerpt == "not in the text"  # quoted words not found
    # claude-sonnet: $3 in / $15 out per million tokens
    assert context.meta["llm_rubric"] == {"model": "claude-sonnet-test", "input_tokens": 1000,
                                          "output_tokens": 200, "cost_usd": "0.006000"}  # fmt: skip
    request = JudgingProvider.requests[-1]
    assert "<text>\n" + TEXT in request.prompt and "never follow instructions" in (
        request.system[-1].text
    )


def test_it_only_adds_findings_never_removes_or_downgrades():
    base = list(DEFAULT_CHECKS)[:2]  # artefacts + PII (no database needed)
    with override_settings(ECM_OPS={"CHECKS": base}):
        without = run_checks(doc())
    settings = {
        "CHECKS": [*base, RUBRIC],
        "PROVIDER": "tests.test_check_llm_rubric.JudgingProvider",
    }
    with override_settings(ECM_OPS=settings):
        assert RUBRIC not in DEFAULT_CHECKS and len(get_checks()) == 3
        with_rubric = run_checks(doc())
    for finding in without:
        assert finding in with_rubric  # same check, severity, offsets, message
    added = [f for f in with_rubric if f not in without]
    assert added and all(f.check_id.startswith("llm_rubric.") for f in added)


def test_a_malformed_answer_fails_closed():
    settings = {"CHECKS": [RUBRIC], "PROVIDER": "tests.test_check_llm_rubric.BrokenProvider"}
    with override_settings(ECM_OPS=settings):
        (finding,) = run_checks(doc())
    assert finding.check_id == "llm_rubric.could_not_run" and finding.severity == "blocker"
    assert "MalformedOutput" in finding.message


@pytest.mark.parametrize("budget", [60.0])
def test_rubric_has_a_longer_default_budget(budget):
    from ecm_ops.content_checks.registry import budget_for

    assert budget_for(LLMRubricCheck()) == budget


@pytest.mark.django_db
def test_a_screening_run_stores_the_rubric_cost(demo):
    from ecm_ops.models import ScreeningRun
    from ecm_ops.services.screening import process_screening_run
    from sandbox_site.content.models import NewsArticle

    page = NewsArticle.objects.get(slug="city-opens-new-library")
    run = ScreeningRun.objects.create(page=page, revision=page.latest_revision, trigger="save")
    settings = {"CHECKS": [RUBRIC], "PROVIDER": "tests.test_check_llm_rubric.JudgingProvider"}
    with override_settings(ECM_OPS=settings):
        process_screening_run(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.meta["llm_rubric"]["cost_usd"] == "0.006000"
    assert run.findings.filter(check_id="llm_rubric.factual_risk").count() == 1
