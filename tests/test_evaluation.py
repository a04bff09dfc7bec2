"""Prompt evaluation and promotion, tested as an adversary: editing an active template never
changes what editors draft with until a passing evaluation promotes it; promotion without a
run, on a stale run of another version or model, on a failing or regressing run, by the
author alone, or racing an edit is refused; overrides need a reason and are audited; hostile
YAML and assertions get form errors, never a 500."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from ecm_ops.admin.prompts import prompt_templates
from ecm_ops.drafting.service import request_draft
from ecm_ops.evaluation import assertions
from ecm_ops.evaluation.suite import SuiteError, parse
from ecm_ops.models import (
    DraftRequest,
    EvaluationCase,
    EvaluationRun,
    PromptTemplate,
    TemplatePromotion,
)
from ecm_ops.services import PermissionDenied, ServiceError, promotion
from ecm_ops.services import evaluation as evaluation_service
from sandbox_site.content.models import NewsArticle

from .test_prompt_library import _edit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def news_template(demo):
    return PromptTemplate.objects.get(slug="news-explainer")


@pytest.fixture
def admin2(demo):
    """A second site admin: four eyes need someone who did not write the candidate."""
    return get_user_model().objects.create_superuser("admin2", "admin2@example.com", "x")


def _edit_in_admin(client, template, user, instructions):
    client.force_login(user)
    url = reverse(prompt_templates.get_url_name("edit"), args=[template.pk])
    response = client.post(url, _edit_data(template, instructions=instructions, variables="[]"))
    assert response.status_code == 302, response.context["form"].errors
    template.refresh_from_db()
    return template.latest_version


def _run(version, user, capture, model=""):
    with capture(execute=True):
        run = evaluation_service.request_run(version.pk, user, model=model)
    run.refresh_from_db()
    return run


def _draft_version(demo, capture):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    with capture(execute=True):
        draft = request_draft(page, "news-explainer", {"topic": "trams"}, demo["users"]["editor"])
    return DraftRequest.objects.get(pk=draft.pk).template_version


def test_editing_an_active_template_in_the_admin_does_not_change_what_editors_draft_with(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    v1 = news_template.promoted_version
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Write a breathless, clickbait explainer.")
    assert v2.number == 2 and news_template.candidate_version == v2
    assert news_template.status == "active" and news_template.promoted_version == v1
    # The edit view says so.
    html = client.get(reverse(prompt_templates.get_url_name("edit"), args=[news_template.pk]))
    assert "candidate" in html.content.decode() and "Promote v2" in html.content.decode()
    # Editors still draft with v1, and the brief form offers v1's variables.
    assert _draft_version(demo, capture) == v1
    # Even after a passing run, nothing changes until someone promotes.
    run = _run(v2, admin, capture)
    assert run.passed is True
    assert _draft_version(demo, capture) == v1
    # Promotion through the admin, by the second admin.
    client.force_login(admin2)
    url = reverse("ecm_ops:promote_template", args=[news_template.pk, v2.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"model": ""})
    assert response.status_code == 302
    news_template.refresh_from_db()
    assert news_template.promoted_version == v2
    assert _draft_version(demo, capture) == v2


def test_promotion_without_a_run_is_refused_with_the_reason(demo, news_template, admin2, client):
    v2 = _edit_in_admin(client, news_template, demo["users"]["admin"], "Other instructions.")
    with pytest.raises(ServiceError, match="has no evaluation run") as exc:
        promotion.promote(v2.pk, admin2)
    assert exc.value.status == 409
    client.force_login(admin2)
    url = reverse("ecm_ops:promote_template", args=[news_template.pk, v2.pk])
    response = client.post(url, {})
    assert response.status_code == 409 and "has no evaluation run" in response.content.decode()
    news_template.refresh_from_db()
    assert news_template.promoted_version.number == 1


def test_a_run_of_another_version_or_model_does_not_open_the_gate(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    assert _run(v2, admin, capture).passed
    v3 = _edit_in_admin(client, news_template, admin, "Version three, unevaluated.")
    # v2's passing run is stale for v3.
    with pytest.raises(ServiceError, match="Version 3 has no evaluation run"):
        promotion.promote(v3.pk, admin2)
    # A run with another model does not count for the default model either.
    assert _run(v3, admin, capture, model="offline-other-model").passed
    with pytest.raises(ServiceError, match="no evaluation run with offline-deterministic-1"):
        promotion.promote(v3.pk, admin2)
    # The older v2 cannot be promoted over... nothing newer is promoted, so it can.
    promotion.promote(v2.pk, admin2)
    # And now v3's run with the exact model opens the gate for v3.
    assert promotion.gate(v3, "offline-other-model").ok
    promotion.promote(v3.pk, admin2, model="offline-other-model")
    news_template.refresh_from_db()
    assert news_template.promoted_version == v3
    # An older version can never be promoted over a newer promoted one.
    with pytest.raises(ServiceError, match="not newer"):
        promotion.promote(v2.pk, admin2)


def test_a_failing_required_case_and_a_newer_failing_run_close_the_gate(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    assert _run(v2, admin, capture).passed
    EvaluationCase.objects.create(
        template=news_template,
        name="Must mention trams",
        brief={"topic": "buses"},
        assertions=[{"type": "contains", "value": "tram"}],
    )
    # The passing run no longer covers every case.
    assert "added after the latest run" in " ".join(promotion.gate(v2).reasons)
    failing = _run(v2, admin, capture)
    assert failing.passed is False and failing.summary["required_failed"] == 1
    result = failing.results.get(case_name="Must mention trams")
    assert result.reasons == ["The output does not contain “tram”."]
    with pytest.raises(ServiceError, match="failed 1 required case"):
        promotion.promote(v2.pk, admin2)
    # An optional case may fail.
    EvaluationCase.objects.filter(name="Must mention trams").update(required=False)
    assert _run(v2, admin, capture).passed
    promotion.promote(v2.pk, admin2)


def test_a_regression_against_the_promoted_version_beyond_tolerance_is_refused(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    admin = demo["users"]["admin"]
    EvaluationCase.objects.create(
        template=news_template,
        name="Optional tram case",
        brief={"topic": "trams"},
        assertions=[{"type": "contains", "value": "trams"}],
        required=False,
    )
    _run(news_template.promoted_version, admin, capture)  # the baseline passes all 3
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    EvaluationCase.objects.filter(name="Optional tram case").update(
        assertions=[{"type": "contains", "value": "monorail"}]
    )
    run = _run(v2, admin, capture)
    assert run.passed is True  # every required case passed, but the pass rate dropped
    compared = evaluation_service.comparable(run, evaluation_service.baseline_for(run))
    assert compared["cases"] == 3 and compared["pass_rate"][0] < compared["pass_rate"][1]
    with pytest.raises(ServiceError, match="Pass rate 67% is below the promoted version"):
        promotion.promote(v2.pk, admin2)
    # The run page shows the side-by-side comparison with the promoted version's last run.
    client.force_login(admin)
    html = client.get(reverse("ecm_ops:evaluation_run", args=[run.pk])).content.decode()
    assert "data-ecm-comparison" in html and "67%" in html and "100%" in html
    listing = client.get(reverse("ecm_ops:evaluation_runs")).content.decode()
    assert "News explainer v2" in listing and "Failed" not in listing
    with override_settings(ECM_OPS={"PROMOTION": {"PASS_RATE_TOLERANCE": 0.5}}):
        promotion.promote(v2.pk, admin2)


def test_four_eyes_the_author_cannot_promote_alone_unless_the_setting_allows(
    demo, news_template, client, django_capture_on_commit_callbacks
):
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    _run(v2, admin, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied, match="someone else must promote"):
        promotion.promote(v2.pk, admin)
    # Not even by override.
    with pytest.raises(PermissionDenied, match="someone else must promote"):
        promotion.promote(v2.pk, admin, override=True, reason="I am sure it is fine, really.")
    with override_settings(ECM_OPS={"PROMOTION": {"SINGLE_ADMIN": True}}):
        promotion.promote(v2.pk, admin)


def test_promotion_needs_the_permission(demo, news_template, client):
    editor = demo["users"]["editor"]
    v2 = _edit_in_admin(client, news_template, demo["users"]["admin"], "Version two.")
    with pytest.raises(PermissionDenied, match="permission"):
        promotion.promote(v2.pk, editor, override=True, reason="An editor trying an override.")
    client.force_login(editor)
    url = reverse("ecm_ops:promote_template", args=[news_template.pk, v2.pk])
    assert client.post(url, {"override": "on", "reason": "x" * 20}).status_code == 403
    # A staff user given only the model permission to change templates still cannot promote.
    assert client.get(reverse("ecm_ops:evaluate", args=[news_template.pk])).status_code == 403
    news_template.refresh_from_db()
    assert news_template.promoted_version.number == 1


def test_an_override_needs_a_reason_is_audited_notified_and_on_the_dashboard(
    demo, news_template, admin2, client
):
    v2 = _edit_in_admin(client, news_template, demo["users"]["admin"], "Version two.")
    client.force_login(admin2)
    url = reverse("ecm_ops:promote_template", args=[news_template.pk, v2.pk])
    response = client.post(url, {"override": "on", "reason": "ok"})
    assert response.status_code == 400 and "needs a reason" in response.content.decode()
    mail.outbox.clear()
    with pytest.raises(ServiceError, match="needs a reason"):
        promotion.promote(v2.pk, admin2, override=True, reason="   ")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        promotion.promote(
            v2.pk, admin2, override=True, reason="Legal asked for the new disclaimer today."
        )
    record = TemplatePromotion.objects.get(version=v2)
    assert record.override and record.promoted_by == admin2
    entry = ModelLogEntry.objects.filter(action="ecm_ops.template.promotion_overridden").get()
    assert entry.data["reason"] == "Legal asked for the new disclaimer today."
    assert "has no evaluation run" in entry.data["gate"][0]
    assert mail.outbox and "promoted" in mail.outbox[0].subject
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-ecm-promotion-overrides" in dashboard
    assert "Legal asked for the new disclaimer today." in dashboard


def test_promotion_racing_an_edit_promotes_only_the_evaluated_version(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    """The edit lands between the run and the promotion: the evaluated v2 is promoted, never
    the unevaluated v3 (promotion names a version, and the template row is locked)."""
    capture = django_capture_on_commit_callbacks
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    _run(v2, admin, capture)
    url = reverse("ecm_ops:promote_template", args=[news_template.pk, v2.pk])
    client.force_login(admin2)
    form_page = client.get(url)  # admin2 opens the confirmation ...
    assert form_page.status_code == 200
    v3 = _edit_in_admin(client, news_template, admin, "Version three slipped in.")  # ... edit
    client.force_login(admin2)
    assert client.post(url, {}).status_code == 302
    news_template.refresh_from_db()
    assert news_template.promoted_version == v2 and news_template.candidate_version == v3
    assert _draft_version(demo, capture) == v2


def test_a_run_is_a_fenced_background_row_the_reaper_recovers(
    demo, news_template, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from ecm_ops.evaluation.runner import process_evaluation_run
    from ecm_ops.jobs.reaper import reap

    admin = demo["users"]["admin"]
    run = evaluation_service.request_run(news_template.promoted_version_id, admin)
    # Never enqueued (Redis lost, or the web process died before commit callbacks): queued.
    assert EvaluationRun.objects.get(pk=run.pk).status == "queued"
    old = timezone.now() - timedelta(hours=1)
    EvaluationRun.objects.filter(pk=run.pk).update(created_at=old)
    reap()
    run.refresh_from_db()
    assert run.status == "succeeded" and run.results.count() == 2
    # A second delivery of the same job does nothing (claimed rows are not re-run).
    assert process_evaluation_run(run.pk) is None
    assert run.results.count() == 2


def test_production_feeds_the_suite_from_a_sent_back_review(
    demo, news_template, client, django_capture_on_commit_callbacks
):
    from ecm_ops.models import ReviewCase

    capture = django_capture_on_commit_callbacks
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    with capture(execute=True):
        request_draft(page, "news-explainer", {"topic": "trams"}, demo["users"]["editor"])
    page.refresh_from_db()
    case = ReviewCase.objects.create(
        page=page,
        revision=page.get_latest_revision(),
        state="changes_requested",
        outcome_reason="The claim about fares is not supported by the brief.",
    )
    client.force_login(demo["users"]["editor"])  # editors cannot add cases
    url = reverse("ecm_ops:case_from_production", args=["review", case.pk])
    assert client.post(url).status_code == 403
    client.force_login(demo["users"]["admin"])
    response = client.post(url)
    assert response.status_code == 302
    created = news_template.evaluation_cases.get(source="comment")
    assert created.brief["topic"] == "trams"
    assert "not supported by the brief" in created.source_note
    assert "Trams" in created.reference_output
    assert {"type": "no_blocker"} in created.assertions
    # Twice is refused clearly, not a duplicate or a 500.
    assert client.post(url).status_code == 409


def test_the_cli_exits_non_zero_on_a_failing_suite(demo, news_template, capsys):
    call_command("ecm_ops_eval", "news-explainer", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and len(report["cases"]) == 2
    EvaluationCase.objects.create(
        template=news_template,
        name="Impossible",
        brief={"topic": "buses"},
        assertions=[{"type": "regex", "value": "^nothing matches this$"}],
    )
    with pytest.raises(SystemExit) as exc:
        call_command("ecm_ops_eval", "news-explainer", "--format", "junit")
    assert exc.value.code == 1
    xml = capsys.readouterr().out
    assert 'failures="1"' in xml and "does not match" in xml
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No prompt template"):
        call_command("ecm_ops_eval", "no-such-template")
    with pytest.raises(CommandError, match="has no version 9"):
        call_command("ecm_ops_eval", "news-explainer", "--version", "9")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: [unclosed", "This is not valid YAML (line 1"),
        ("!!python/object/apply:os.system ['echo hi']", "not valid YAML"),
        ("- just a list", "a mapping with a list under “cases”"),
        ("template: health-advice\ncases: []", "is for the template “health-advice”"),
        ("cases:\n  - name: x\n    brief: {audience: a}", "needs a topic"),
        ("cases:\n  - {name: x, brief: {topic: t}, assert: [{type: nope}]}", "unknown type “nope”"),
        (
            "cases:\n  - {name: x, brief: {topic: t}, assert: [{type: regex, value: '(a)\\1'}]}",
            "Assertion 1: the pattern",
        ),
        ("cases:\n  - {name: x, brief: {topic: t}}\n  - {name: x, brief: {topic: u}}", "twice"),
        ("cases:\n  - {name: x, brief: {topic: t}, evil: 1}", "unknown keys: evil"),
        ("cases: " + "x" * 300_000, "larger than"),
    ],
)
def test_bad_yaml_gets_a_clear_form_error_and_writes_nothing(
    demo, news_template, client, text, message
):
    with pytest.raises(SuiteError, match=message.replace("(", r"\(")):
        parse(text, news_template)
    client.force_login(demo["users"]["admin"])
    before = news_template.evaluation_cases.count()
    response = client.post(reverse("ecm_ops:suite_import", args=[news_template.pk]), {"text": text})
    assert response.status_code == 400 and message in response.content.decode()
    assert news_template.evaluation_cases.count() == before


def test_yaml_round_trip_through_the_admin(demo, news_template, client):
    client.force_login(demo["users"]["admin"])
    exported = client.get(reverse("ecm_ops:suite_export", args=[news_template.pk]))
    assert exported.status_code == 200
    text = exported.content.decode().replace("value: timetable", "value: schedule")
    response = client.post(reverse("ecm_ops:suite_import", args=[news_template.pk]), {"text": text})
    assert response.status_code == 302
    case = news_template.evaluation_cases.get(name="Bus timetable change")
    assert {"type": "contains", "value": "schedule"} in case.assertions
    assert news_template.evaluation_cases.count() == 2  # updated by name, not duplicated


def test_the_case_form_refuses_bad_assertions_with_a_form_error(demo, news_template, client):
    from ecm_ops.admin.evaluation import evaluation_cases

    client.force_login(demo["users"]["admin"])
    url = reverse(evaluation_cases.get_url_name("add"))
    data = {
        "template": news_template.pk,
        "name": "Bad",
        "brief": '{"topic": "t"}',
        "assertions": '[{"type": "word_count", "min": 10, "max": 5}]',
        "required": "on",
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "“min” is above “max”" in response.content.decode()
    data["assertions"] = '[{"type": "max_score", "value": 5}]'
    assert client.post(url, data).status_code == 302


def test_assertion_types_judge_what_they_say():
    output = assertions.Output(
        fields={"title": "Trams", "body": "Trams run late. Mail bob@example.com."},
        text="Trams\nTrams run late. Mail bob@example.com.",
        findings=[],
        score=3.0,
        word_count=7,
        expected_fields=["title", "body", "intro"],
        readability_target={"min_ease": 150},
        rubric=lambda: 6.0,
    )

    def fails(*items):
        return assertions.judge(assertions.clean(list(items)), output)

    assert fails({"type": "contains", "value": "TRAMS", "field": "title"}) == []
    assert fails({"type": "not_contains", "value": "late"})
    assert fails({"type": "not_regex", "value": r"[\w.]+@[\w.]+"})
    assert fails({"type": "max_score", "value": 2})
    assert fails({"type": "max_score", "value": 3}) == []
    assert fails({"type": "fields"}) == ["The output field “intro” is missing or empty."]
    assert fails({"type": "schema"})
    assert fails({"type": "word_count", "min": 1, "max": 5})
    assert fails({"type": "rubric", "value": 7}) == ["The LLM rubric scored 6/10, below 7."]
    assert fails({"type": "readability"})
    for bad in ([{"type": "regex", "value": r"(\w+)\1"}], [{"type": "rubric", "value": 11}]):
        with pytest.raises(assertions.AssertionSpecError):
            assertions.clean(bad)


def test_a_catastrophic_pattern_cannot_hang_a_run(monkeypatch):
    """With google-re2 (a dependency) the classic ReDoS pattern runs in linear time; without
    it, Python's ``re`` refuses the pattern up front."""
    import time

    hostile = {"type": "regex", "value": "(a+)+$"}
    text = "a" * 50_000 + "!"
    output = assertions.Output({}, text, [], 0.0, 1, [], {})
    started = time.perf_counter()
    assert assertions.judge(assertions.clean([hostile]), output) == [
        "The output does not match /(a+)+$/."
    ]
    assert time.perf_counter() - started < 1.0
    monkeypatch.setattr(assertions, "_re2", None)
    with pytest.raises(assertions.AssertionSpecError, match="could take too long"):
        assertions.clean([hostile])


def test_a_case_made_stricter_after_a_passing_run_makes_that_run_stale(
    demo, news_template, admin2, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    admin = demo["users"]["admin"]
    v2 = _edit_in_admin(client, news_template, admin, "Version two.")
    assert _run(v2, admin, capture).passed
    case = news_template.evaluation_cases.get(name="Bus timetable change")
    case.assertions = [*case.assertions, {"type": "contains", "value": "monorail"}]
    case.save()
    with pytest.raises(ServiceError, match="1 case\\(s\\) were changed after the latest run"):
        promotion.promote(v2.pk, admin2)
    assert _run(v2, admin, capture).passed is False  # and the fresh run tells the truth
    with pytest.raises(ServiceError, match="failed 1 required case"):
        promotion.promote(v2.pk, admin2)


def test_run_evaluation_from_the_admin(
    demo, news_template, client, django_capture_on_commit_callbacks
):
    client.force_login(demo["users"]["admin"])
    url = reverse("ecm_ops:evaluate", args=[news_template.pk])
    assert client.get(url).status_code == 200
    seeded = EvaluationRun.objects.count()  # the demo's runs of its promoted versions
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"version": news_template.promoted_version_id, "model": ""})
    assert response.status_code == 302
    run = EvaluationRun.objects.get(trigger="admin")
    assert run.status == "succeeded" and run.passed and run.model_name == "offline-deterministic-1"
    html = client.get(response.url).content.decode()
    assert "Bus timetable change" in html and "Pass" in html
    assert "ecm_ops.template.evaluation_requested" in ModelLogEntry.objects.values_list(
        "action", flat=True
    )
    # A template without cases: a form error, no run row.
    news_template.evaluation_cases.update(active=False)
    response = client.post(url, {"version": news_template.promoted_version_id})
    assert response.status_code == 409 and "has no evaluation cases" in response.content.decode()
    assert EvaluationRun.objects.count() == seeded + 1
    # A version of another template is not a valid choice (400, not a 500 or a run).
    other = PromptTemplate.objects.get(slug="health-advice").promoted_version_id
    assert client.post(url, {"version": other}).status_code == 400
