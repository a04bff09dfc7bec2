"""Section readiness: the scorecard per governed section (each prerequisite breaks it, with
the reason and the screen that fixes it), READINESS_ENFORCEMENT on AI drafting (service and
brief screen), the setup checklist screen, the scorecard on the risk policy, and the cost
(a fixed number of queries whatever the number of sections)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import remove_perm
from wagtail.models import Page, WorkflowPage

from ecm_ops import conf
from ecm_ops.drafting.service import request_draft
from ecm_ops.models import (
    Approval,
    Certification,
    CertificationAttempt,
    CertificationProgramme,
    DraftRequest,
    EvaluationCase,
    EvaluationRun,
    Finding,
    Incident,
    PromptTemplate,
    Publication,
    ReviewCase,
    ReviewTier,
    RiskPolicy,
    ScreeningRun,
    SweepRun,
)
from ecm_ops.monitoring.sweep import start_sweep
from ecm_ops.services import readiness
from ecm_ops.services.verification import PREFIX
from ecm_ops.states import JobStatus
from sandbox_site.content.models import AdviceArticle, NewsArticle, SectionPage

from .helpers import log_actions

pytestmark = pytest.mark.django_db

BRIEF = {"topic": "Bus timetable changes", "audience": "commuters", "key_points": ["new times"]}


@pytest.fixture
def ready_demo(demo, django_capture_on_commit_callbacks):
    """The demo after its first nightly sweep (what ``manage.py ecm_ops_demo`` does)."""
    with django_capture_on_commit_callbacks(execute=True):
        start_sweep("nightly")
    assert SweepRun.objects.filter(status=JobStatus.SUCCEEDED).exists()
    return demo


def card(section_title):
    (found,) = [c for c in readiness.readiness_for() if c.section.title == section_title]
    return found


def item(section_title, key):
    (found,) = [i for i in card(section_title).items if i.key == key]
    return found


def test_demo_news_is_ready_and_health_is_not_with_the_reason(ready_demo):
    news, health = card("News"), card("Health & Money")
    assert news.ready, news.missing
    assert not health.ready
    assert health.missing == [
        "Escalation configured: an overdue review at tier “High” has nobody to escalate to: "
        "set an escalation group with members."
    ]
    escalation = item("Health & Money", "escalation")
    assert escalation.fix_url == reverse("ecm_ops_risk_policies:edit", args=[health.policy.pk])
    assert [a["ok"] for a in health.areas()] == [True, True, False, True]


def test_every_item_links_to_the_screen_that_fixes_it(ready_demo, client_for):
    admin = ready_demo["users"]["admin"]
    client = client_for(admin)
    for c in readiness.readiness_for():
        for i in c.items:
            if i.status == readiness.NOT_APPLICABLE or i.key == "draft_revisions":
                continue
            if i.key == "sweep":  # fixed by a process, not a screen: the message says which
                assert not i.fix_url
                continue
            assert i.fix_url, i.key
            assert client.get(i.fix_url).status_code == 200, (i.key, i.fix_url)


# -- each prerequisite, broken ----------------------------------------------------------------


def test_no_workflow_is_missing(ready_demo):
    WorkflowPage.objects.all().delete()
    i = item("News", "workflow")
    assert i.status == readiness.MISSING
    assert "no active workflow is assigned to “News” or a page above it" in i.problems[0]
    assert i.fix_url == reverse("wagtailadmin_workflows:index")


def test_workflow_without_the_risk_task_is_missing(ready_demo):
    task = ready_demo["task"]
    task.active = False
    task.save()
    i = item("News", "workflow")
    assert i.status == readiness.MISSING
    assert "has no active “Risk-tiered review” task" in i.problems[0]


def test_a_nearer_workflow_without_the_task_wins(ready_demo):
    from wagtail.models import Workflow

    plain = Workflow.objects.create(name="Plain moderation")
    WorkflowPage.objects.create(page=ready_demo["news"], workflow=plain)
    assert item("News", "workflow").status == readiness.MISSING
    assert item("Health & Money", "workflow").ok


def test_page_type_with_templates_but_none_active_is_missing(ready_demo):
    PromptTemplate.objects.filter(slug="health-advice").update(status="retired")
    i = item("Health & Money", "templates")
    assert i.status == readiness.MISSING
    assert i.problems == [
        "“Advice article” have prompt templates, but none of them is active with a promoted "
        "version."
    ]


def test_no_active_template_at_all_is_missing(ready_demo):
    PromptTemplate.objects.update(status="draft")
    problems = item("News", "templates").problems
    assert any("no prompt template with a promoted version" in p for p in problems)


def test_an_active_template_without_a_promoted_version_is_missing_until_promoted(ready_demo):
    PromptTemplate.objects.filter(slug="news-explainer").update(promoted_version=None)
    i = item("News", "templates")
    assert i.status == readiness.MISSING
    assert i.problems[0] == (
        "“News article” have prompt templates, but none of them is active with a promoted version."
    )
    assert i.fix_url == reverse("ecm_ops_prompt_templates:index")
    template = PromptTemplate.objects.get(slug="news-explainer")
    template.promoted_version = template.latest_version
    template.save(update_fields=["promoted_version"])
    assert item("News", "templates").ok


def test_switched_off_default_check_is_missing(ready_demo, settings):
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "CHECKS": [c for c in conf.DEFAULT_CHECKS if not c.endswith("PIICheck")],
    }
    i = item("News", "checks")
    assert i.status == readiness.MISSING
    assert "PIICheck" in i.problems[0]


def test_a_check_that_could_not_run_lately_is_missing_only_in_its_section(ready_demo):
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    run = ScreeningRun.objects.create(
        page=page, revision=page.latest_revision, trigger="save", status=JobStatus.SUCCEEDED
    )
    Finding.objects.create(
        run=run, check_id="links.could_not_run", severity="blocker", message="timed out"
    )
    assert item("News", "checks").problems == [
        "“links” could not run on pages here in the last 7 days."
    ]
    assert item("Health & Money", "checks").ok
    ScreeningRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert item("News", "checks").ok


def test_live_ai_page_without_a_recheck_is_missing(ready_demo):
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    Publication.objects.filter(page=page, revision_id=page.live_revision_id).update(ai_share=0.8)
    assert Publication.objects.filter(page=page, ai_share=0.8).exists()
    page.ecm_monitoring_checks.all().delete()
    i = item("News", "monitoring")
    assert i.status == readiness.MISSING
    assert "“City opens new library” is live with AI text" in i.problems[0]
    from ecm_ops.monitoring.service import schedule_check

    schedule_check(page)
    assert item("News", "monitoring").ok


def test_no_recent_sweep_is_missing(demo):
    assert "no sweep of live pages has finished" in item("News", "sweep").problems[0]
    SweepRun.objects.create(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now() - timedelta(hours=40)
    )
    assert "the last sweep finished at" in item("News", "sweep").problems[0]


def test_policy_without_tiers_is_missing(ready_demo):
    RiskPolicy.objects.create(name="Opinion", section=_new_section(ready_demo, "opinion"))
    c = card("Opinion")
    assert not c.ready
    assert any("the policy has no tiers" in line for line in c.missing)


def _new_section(demo, slug):
    section = SectionPage(title=slug.capitalize(), slug=slug)
    demo["home"].add_child(instance=section)
    return section


def test_too_few_approvers_is_missing(ready_demo):
    senior = ready_demo["users"]["senior"]
    tier = ReviewTier.objects.get(policy__name="News", label="Standard")
    remove_perm("ecm_ops.approve_tier", senior, tier)
    i = item("News", "approvers")
    # "lapsed" holds the grant, but their certification expired: the authority rule says no.
    assert i.problems == [
        "tier “Standard” needs 1 approval(s) but 0 active person(s) may approve (1 more hold "
        "the grant without a valid certification)."
    ]
    assert i.fix_url == reverse("ecm_ops:policy_authority", args=[tier.policy_id])
    lapsed = ready_demo["users"]["lapsed"]
    _certify(lapsed, "News", days_left=200)
    assert item("News", "approvers").ok


def _certify(user, policy_name, days_left):
    now = timezone.now()
    return Certification.objects.create(
        user=user,
        programme=CertificationProgramme.objects.get(policy__name=policy_name, tier=None),
        passed_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=days_left),
    )


def test_an_uncertified_superuser_holding_the_grant_counts_as_the_rule_says(ready_demo):
    from guardian.shortcuts import assign_perm

    senior = ready_demo["users"]["senior"]
    tier = ReviewTier.objects.get(policy__name="News", label="Standard")
    remove_perm("ecm_ops.approve_tier", senior, tier)
    boss = ready_demo["users"]["admin"]
    assert boss.is_superuser and not boss.ecm_certifications.exists()
    assign_perm("ecm_ops.approve_tier", boss, tier)
    assert item("News", "approvers").ok
    boss.is_superuser = False
    boss.save()
    assert item("News", "approvers").status == readiness.MISSING


def test_inactive_approvers_do_not_count(ready_demo):
    senior = ready_demo["users"]["senior"]
    senior.is_active = False
    senior.save()
    problems = item("Health & Money", "approvers").problems
    assert "tier “Elevated” needs 2 approval(s) but 1 active person(s) may approve." in problems


def test_required_group_without_members_is_missing(ready_demo):
    Group.objects.get(name="Legal reviewers").user_set.clear()
    problems = item("Health & Money", "approvers").problems
    assert "tier “High” requires “Legal reviewers”, which has no active members." in problems


def test_required_group_whose_members_may_not_approve_is_missing(ready_demo):
    legal = Group.objects.get(name="Legal reviewers")
    for tier in ReviewTier.objects.filter(policy__name="Health & Money"):
        remove_perm("ecm_ops.approve_tier", legal, tier)
    problems = item("Health & Money", "approvers").problems
    assert (
        "tier “High” requires “Legal reviewers”, but no member of it may approve at this tier."
        in problems
    )


def test_escalation_group_without_members_is_missing(ready_demo):
    Group.objects.get(name="Senior editors").user_set.clear()
    problems = item("News", "escalation").problems
    assert problems[0] == "the escalation group “Senior editors” has no active members."


def test_open_verifier_incident_is_missing(ready_demo):
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    Incident.objects.create(page=page, severity="blocker", summary=f"{PREFIX} (quorum): x")
    assert item("News", "verify").status == readiness.MISSING
    assert item("Health & Money", "verify").ok


def test_certified_approvers_are_counted_per_covered_tier(ready_demo):
    i = item("News", "certifications")
    assert i.ok and i.detail == "Low: certified, Standard: certified"
    Certification.objects.filter(user=ready_demo["users"]["senior"]).update(
        revoked_at=timezone.now()
    )
    i = item("News", "certifications")
    assert i.status == readiness.MISSING
    assert i.problems == [
        "tier “Low” needs 1 certified approver(s) but has 0.",
        "tier “Standard” needs 1 certified approver(s) but has 0.",
    ]
    assert i.fix_url == reverse("certification_programmes:index")
    _certify(ready_demo["users"]["senior"], "News", days_left=300)
    assert item("News", "certifications").ok


def test_a_counted_certification_expiring_within_14_days_is_missing_with_name_and_date(
    ready_demo,
):
    senior = ready_demo["users"]["senior"]
    soon = timezone.now() + timedelta(days=10)
    Certification.objects.filter(user=senior, programme__policy__name="News").update(
        expires_at=soon
    )
    i = item("News", "certifications")
    assert i.status == readiness.MISSING
    when = f"{timezone.localtime(soon):%Y-%m-%d %H:%M}"
    assert i.problems == [f"{senior.get_full_name()}'s certification expires on {when}."]
    assert i.fix_url == reverse("ecm_ops:certification_records")
    assert item("Health & Money", "certifications").ok  # another programme
    Certification.objects.filter(user=senior).update(expires_at=timezone.now() + timedelta(days=15))
    assert item("News", "certifications").ok


def test_tiers_no_programme_covers_need_no_certification(ready_demo):
    Certification.objects.all().delete()
    CertificationProgramme.objects.filter(policy__name="News").update(active=False)
    i = item("News", "certifications")
    assert i.ok and "No active certification programme" in str(i.detail)
    assert item("Health & Money", "certifications").status == readiness.MISSING


def _news_template():
    return PromptTemplate.objects.get(slug="news-explainer")


def test_a_promoted_version_whose_latest_run_failed_is_missing(
    ready_demo, django_capture_on_commit_callbacks
):
    from ecm_ops.services.evaluation import request_run

    i = item("News", "evaluated_templates")
    assert i.ok and i.status == readiness.OK, i.problems
    template = _news_template()
    case = EvaluationCase.objects.create(
        template=template,
        name="Must mention trams",
        brief={"topic": "buses"},
        assertions=[{"type": "contains", "value": "tram"}],
    )
    admin = ready_demo["users"]["admin"]
    with django_capture_on_commit_callbacks(execute=True):
        request_run(template.promoted_version_id, admin)
    i = item("News", "evaluated_templates")
    assert i.status == readiness.MISSING
    assert i.problems == ["“News explainer”: The latest run failed 1 required case(s)."]
    assert i.fix_url == reverse("ecm_ops:evaluation_runs")
    case.required = False
    case.save()
    with django_capture_on_commit_callbacks(execute=True):
        request_run(template.promoted_version_id, admin)
    assert item("News", "evaluated_templates").ok


def test_a_promoted_version_without_a_run_or_with_one_still_queued_is_missing(ready_demo):
    template = _news_template()
    EvaluationRun.objects.filter(version=template.promoted_version).delete()
    (problem,) = item("News", "evaluated_templates").problems
    assert problem == (
        "“News explainer”: Version 1 has no evaluation run with offline-deterministic-1."
    )
    EvaluationRun.objects.create(
        version=template.promoted_version, model_name="offline-deterministic-1"
    )
    (problem,) = item("News", "evaluated_templates").problems
    assert problem == (
        "“News explainer”: The latest evaluation run with offline-deterministic-1 is queued."
    )


def test_a_promotion_by_override_counts_as_not_evaluated(ready_demo, client):
    from ecm_ops.models import PromptTemplateVersion
    from ecm_ops.services import promotion

    template = _news_template()
    v1 = template.promoted_version
    v2 = PromptTemplateVersion.objects.create(
        template=template,
        number=2,
        instructions="Unevaluated instructions.",
        output_fields=v1.output_fields,
        created_by=ready_demo["users"]["senior"],
    )
    promotion.promote(
        v2.pk, ready_demo["users"]["admin"], override=True, reason="Urgent fix for a typo."
    )
    (problem,) = item("News", "evaluated_templates").problems
    assert problem.startswith("“News explainer” version 2 was promoted by admin override")
    # A passing run afterwards does not undo the override: promote a version that passes.
    EvaluationRun.objects.create(
        version=v2,
        model_name="offline-deterministic-1",
        status=JobStatus.SUCCEEDED,
        passed=True,
    )
    assert item("News", "evaluated_templates").status == readiness.MISSING


def _fast_approval(demo, user):
    """A mostly-AI case at News Standard, 2000 words, approved by ``user`` seconds after it
    opened: faster than it can be read."""
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    revision = page.get_latest_revision()
    tier = ReviewTier.objects.get(policy__name="News", label="Standard")
    run = ScreeningRun.objects.create(page=page, revision=revision, word_count=2000)
    case = ReviewCase.objects.create(
        page=page, revision=revision, tier=tier, screening_run=run, ai_share=0.9
    )
    return Approval.objects.create(
        case=case, revision=revision, content_digest=case.content_digest, user=user
    )


def test_an_open_rubber_stamp_flag_of_a_section_reviewer_is_missing(ready_demo):
    assert item("News", "rubber_stamps").ok
    approval = _fast_approval(ready_demo, ready_demo["users"]["lapsed"])
    i = item("News", "rubber_stamps")
    assert i.status == readiness.MISSING
    (problem,) = i.problems
    name = ready_demo["users"]["lapsed"].get_full_name()
    assert problem.startswith(f"{name}: 1 approval(s) given faster than the content can be read")
    assert problem.endswith(f"Cases #{approval.case_id}.")
    assert i.fix_url == reverse("wagtailadmin_home")
    # lapsed reviews News only.
    assert item("Health & Money", "rubber_stamps").ok
    from ecm_ops.system_checks import check_setup

    assert "ecm_ops.W121" in {w.id for w in check_setup()}
    # Out of the window, the flag is closed.
    Approval.objects.filter(pk=approval.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert item("News", "rubber_stamps").ok


# -- enforcement --------------------------------------------------------------------------------


@pytest.fixture
def enforce(settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "READINESS_ENFORCEMENT": "enforce"}


def test_enforce_refuses_drafting_where_not_ready_with_the_reasons(ready_demo, enforce):
    page = AdviceArticle.objects.get(slug="sleep-basics")
    editor = ready_demo["users"]["editor"]
    editor.groups.add(Group.objects.get(name="Senior editors"))  # may edit Health pages
    with pytest.raises(readiness.NotReady) as refused:
        request_draft(page, "health-advice", BRIEF, editor)
    message = str(refused.value)
    assert message.startswith("AI drafting is not allowed in “Health & Money”")
    assert "(1) Escalation configured: an overdue review at tier “High”" in message
    assert refused.value.status == 409
    assert not DraftRequest.objects.filter(page=page).exists()


def test_enforce_allows_drafting_in_a_ready_section(ready_demo, enforce):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    draft = request_draft(page, "news-explainer", BRIEF, ready_demo["users"]["editor"])
    assert draft.pk


def test_enforce_refuses_on_the_brief_screen_and_the_post(ready_demo, enforce, client_for):
    page = AdviceArticle.objects.get(slug="sleep-basics")
    client = client_for(ready_demo["users"]["senior"])
    url = reverse("ecm_ops:generate", args=[page.pk])
    shown = client.get(url)
    assert "AI drafting is not allowed in this section until it is ready" in shown.text
    assert "nobody to escalate to" in shown.text
    response = client.post(url, {"template": "health-advice", **BRIEF, "key_points": "x"})
    assert response.status_code == 409
    assert "AI drafting is not allowed in “Health &amp; Money”" in response.text
    assert not DraftRequest.objects.filter(page=page).exists()


def test_enforce_refuses_a_new_page_and_creates_nothing(ready_demo, enforce, client_for):
    health = ready_demo["health"]
    before = Page.objects.count()
    client = client_for(ready_demo["users"]["senior"])
    url = reverse("ecm_ops:generate_new", args=["content", "advicearticle", health.pk])
    response = client.post(url, {"template": "health-advice", **BRIEF, "key_points": "x"})
    assert response.status_code == 409
    assert Page.objects.count() == before


def test_enforce_refuses_a_page_no_policy_covers(ready_demo, enforce):
    page = NewsArticle(title="Loose", slug="loose", intro="x")
    ready_demo["home"].add_child(instance=SectionPage(title="Misc", slug="misc"))
    Page.objects.get(slug="misc").add_child(instance=page)
    with pytest.raises(readiness.NotReady, match="no risk policy covers this page"):
        request_draft(page, "news-explainer", BRIEF, ready_demo["users"]["admin"])


def test_warn_drafts_and_records_what_was_missing(ready_demo, settings, client_for):
    settings.ECM_OPS = {**settings.ECM_OPS, "READINESS_ENFORCEMENT": "warn"}
    page = AdviceArticle.objects.get(slug="sleep-basics")
    senior = ready_demo["users"]["senior"]
    shown = client_for(senior).get(reverse("ecm_ops:generate", args=[page.pk]))
    assert "This section is not ready for AI content yet" in shown.text
    draft = request_draft(page, "health-advice", BRIEF, senior)
    assert draft.pk
    assert "ecm_ops.draft.requested" in log_actions(page)
    from wagtail.models import PageLogEntry

    entry = PageLogEntry.objects.filter(page=page, action="ecm_ops.draft.requested").get()
    assert "nobody to escalate to" in entry.data["section_not_ready"][0]


def test_off_costs_no_query(ready_demo, settings):
    page = AdviceArticle.objects.get(slug="sleep-basics")
    with CaptureQueriesContext(connection) as queries:
        assert readiness.drafting_gate(page) == []
    assert len(queries) == 0


def test_unknown_enforcement_mode_is_refused(settings):
    settings.ECM_OPS = {"READINESS_ENFORCEMENT": "strict"}
    with pytest.raises(ImproperlyConfigured, match="READINESS_ENFORCEMENT is 'strict'"):
        conf.ecm_settings()


# -- screens --------------------------------------------------------------------------------


def test_setup_screen_for_site_admins_only(ready_demo, client_for):
    url = reverse("ecm_ops:setup")
    response = client_for(ready_demo["users"]["admin"]).get(url)
    assert response.status_code == 200
    text = response.text
    assert "Background jobs run" in text and "Inline mode" in text
    assert "E-mail is configured" in text
    assert f'data-ecm-scorecard="{card("Health & Money").policy.pk}"' in text
    assert "nobody to escalate to" in text
    assert "{'" not in text and "ecm_ops.W" not in text  # no reprs, no check ids
    for user in ("editor", "senior", "legal"):  # Wagtail sends them home with a message
        refused = client_for(ready_demo["users"][user]).get(url)
        assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")


def test_setup_menu_item_only_for_site_admins(ready_demo, client_for):
    url = reverse("ecm_ops:setup")
    assert url in client_for(ready_demo["users"]["admin"]).get(reverse("wagtailadmin_home")).text
    assert (
        url not in client_for(ready_demo["users"]["senior"]).get(reverse("wagtailadmin_home")).text
    )


def test_scorecard_on_the_risk_policy(ready_demo, client_for):
    health = card("Health & Money").policy
    client = client_for(ready_demo["users"]["admin"])
    text = client.get(reverse("ecm_ops_risk_policies:edit", args=[health.pk])).text
    assert f'data-ecm-scorecard="{health.pk}"' in text
    assert "Not ready" in text and "nobody to escalate to" in text
    assert client.get(reverse("ecm_ops_risk_policies:add")).status_code == 200


def test_email_item(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "prints e-mails to the console" in readiness.item_email().problems[0]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    assert "placeholder" in readiness.item_email().problems[0]
    settings.DEFAULT_FROM_EMAIL = "newsroom@example.com"
    assert readiness.item_email().ok


@pytest.mark.redis
def test_jobs_item_with_redis(rq_queue, db):
    i = readiness.item_jobs()
    assert i.status == readiness.MISSING
    assert any("no worker has been seen" in p for p in i.problems)
    assert any("no RQ scheduler is running" in p for p in i.problems)
    assert any("ecm_ops cron" in p for p in i.problems)


def test_jobs_item_with_unreachable_redis(settings, db):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    i = readiness.item_jobs()
    assert i.status == readiness.MISSING
    assert "unreachable" in i.problems[0]


# -- cost -------------------------------------------------------------------------------------


def _sections(demo, n, start=0):
    news = RiskPolicy.objects.get(name="News")
    for k in range(start, start + n):
        section = _new_section(demo, f"s{k}")
        policy = RiskPolicy.objects.create(name=f"S{k}", section=section)
        for tier in news.tiers.all():
            ReviewTier.objects.create(
                policy=policy, level=tier.level, label=tier.label, required_group=None
            )


def _queries():
    with CaptureQueriesContext(connection) as queries:
        cards = readiness.readiness_for()
        for c in cards:
            c.missing  # noqa: B018 - everything a screen reads
    return len(queries), len(cards)


def test_queries_do_not_grow_with_sections(ready_demo):
    ContentTypeCacheWarm = _queries()  # noqa: N806 - warms the content type cache
    _sections(ready_demo, 5)
    few, n_few = _queries()
    _sections(ready_demo, 20, start=5)
    many, n_many = _queries()
    assert (n_few, n_many) == (7, 27)
    assert few == many <= 20, (ContentTypeCacheWarm, few, many)


def test_manage_py_check_warns_on_the_same_problems(ready_demo, settings):
    from ecm_ops.system_checks import check_setup

    settings.DEFAULT_FROM_EMAIL = "newsroom@example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    (warning,) = check_setup()
    health = card("Health & Money").policy
    assert warning.id == "ecm_ops.W117"
    assert warning.obj == health
    assert "“Health & Money” — Escalation configured: an overdue review at tier “High”" in str(
        warning.msg
    )
    assert warning.hint.endswith(reverse("ecm_ops_risk_policies:edit", args=[health.pk]))
    health.escalation_group = Group.objects.get(name="Senior editors")
    health.save()
    assert check_setup() == []
    Certification.objects.all().delete()
    CertificationAttempt.objects.all().delete()
    RiskPolicy.objects.all().delete()
    assert [w.id for w in check_setup()] == ["ecm_ops.W100"]
