"""Escalation: SLA timers (rows first, idempotent RQ ids, re-armed by the reaper), escalation
after too many send-backs, the next authority level added and notified, the audit entry, and
the "Overdue reviews" dashboard panel."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rq.registry import ScheduledJobRegistry

from ecm_ops.admin.escalation import OverdueReviewsPanel
from ecm_ops.governance.authority import can_review, has_authority
from ecm_ops.jobs import outbox, reaper
from ecm_ops.models import EscalationTimer, ReviewCase, RiskPolicy
from ecm_ops.services import Conflict, escalation, review

from .conftest import run_worker
from .helpers import log_actions
from .review_support import grant, health_page, health_tiers, make_user, mark_ai, news_page, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]
from .review_support import pinned_checks  # noqa: E402,F401  (fixture)


@pytest.fixture
def chief(demo):
    """Holds authority on Health's High tier only: the next level up from Elevated."""
    user = make_user("chief")
    grant(user, health_tiers(demo)["High"])
    return user


@pytest.fixture
def health_case(demo, chief, django_capture_on_commit_callbacks):
    page = health_page(demo, slug="water")
    case = submit(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == "awaiting_review" and case.tier.label == "Elevated"
    return case


def make_overdue(case, minutes=5):
    past = timezone.now() - timedelta(minutes=minutes)
    ReviewCase.objects.filter(pk=case.pk).update(due_at=past)
    EscalationTimer.objects.filter(case=case).update(due_at=past)


def test_opening_a_case_arms_its_sla_timer(health_case):
    timer = EscalationTimer.objects.get(case=health_case)
    assert timer.status == "queued" and timer.due_at == health_case.due_at
    assert timedelta(hours=23) < health_case.due_at - timezone.now() <= timedelta(hours=24)
    # Arming again is idempotent (one row per case and due time).
    assert escalation.arm_timer(health_case) == timer
    assert EscalationTimer.objects.filter(case=health_case).count() == 1


def test_timer_before_the_deadline_does_nothing(health_case):
    timer = EscalationTimer.objects.get(case=health_case)
    escalation.process_timer(timer.pk)
    health_case.refresh_from_db()
    assert health_case.state == "awaiting_review" and health_case.escalation_level == 0
    # The timer had the case's current due time and fired too early: it re-armed itself.
    assert EscalationTimer.objects.filter(case=health_case, status="queued").count() == 1


def test_overdue_case_escalates_to_the_next_level(
    demo, health_case, chief, django_capture_on_commit_callbacks
):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    eic = make_user("eic")
    policy = RiskPolicy.objects.get(section=demo["health"])
    policy.escalation_group = Group.objects.create(name="Editors-in-chief")
    policy.save()
    eic.groups.add(policy.escalation_group)
    editor.groups.add(policy.escalation_group)  # conflicted: must not be added
    assert not has_authority(chief, health_case)
    make_overdue(health_case)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reaper.run_due_escalations() == 1  # inline mode: the reaper runs due timers
    case = ReviewCase.objects.get(pk=health_case.pk)
    assert case.state == "escalated" and case.escalation_level == 1
    assert "24-hour review SLA" in case.outcome_reason
    # The next level (High tier authority) and the escalation group were added; not the
    # conflicted editor, and not the senior who could act already.
    assert can_review(chief, case) and can_review(eic, case)
    assert not can_review(editor, case)
    assert "ecm_ops.review.escalated" in log_actions(case.page)
    entry = case.page.specific.__class__.objects.get(pk=case.page_id)
    from wagtail.models import PageLogEntry

    logged = PageLogEntry.objects.filter(page=entry, action="ecm_ops.review.escalated").get()
    assert logged.data["cause"] == "sla" and logged.data["to_tier"] == "High"
    assert sorted(logged.data["added"]) == ["chief", "eic"]
    assert senior.username not in logged.data["added"]
    # Notified by mail.
    escalated_mail = [m for m in mail.outbox if m.subject.startswith("Escalated review")]
    escalated_to = {m.to[0] for m in escalated_mail}
    assert {"chief@example.com", "eic@example.com"} <= escalated_to
    # The next level got its own SLA (High: 12 hours) and timer; the old timer is done.
    assert timedelta(hours=11) < case.due_at - timezone.now() <= timedelta(hours=12)
    assert EscalationTimer.objects.filter(case=case, status="queued", due_at=case.due_at).exists()
    assert EscalationTimer.objects.filter(case=case, status="succeeded").count() == 1
    # An escalated case can still be decided by the people who were added.
    review.approve(case.pk, chief)
    assert case.approvals.filter(user=chief).exists()


def test_decided_case_does_not_escalate(demo, health_case):
    ReviewCase.objects.filter(pk=health_case.pk).update(state="approved")
    make_overdue(health_case)
    timer = EscalationTimer.objects.get(case=health_case)
    escalation.process_timer(timer.pk)
    timer.refresh_from_db()
    assert timer.status == "succeeded"
    assert ReviewCase.objects.get(pk=health_case.pk).state == "approved"
    assert "ecm_ops.review.escalated" not in log_actions(health_case.page)
    with pytest.raises(Conflict):
        escalation.escalate(health_case.pk, reason="manual")


def test_reaper_runs_a_lost_timer(demo, health_case, settings, django_capture_on_commit_callbacks):
    """Redis lost the scheduled job: the row is still queued past its due time."""
    make_overdue(health_case, minutes=30)
    EscalationTimer.objects.filter(case=health_case).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = reaper.reap()
    assert counts["escalationtimer"] == 1
    assert ReviewCase.objects.get(pk=health_case.pk).state == "escalated"


def test_too_many_send_backs_escalate_on_resubmission(
    demo, chief, django_capture_on_commit_callbacks
):
    policy = RiskPolicy.objects.get(section=demo["health"])
    policy.max_send_backs = 1
    policy.save()
    page = health_page(demo, slug="vitamins")
    for _ in range(2):  # two earlier submissions, each sent back by a reviewer
        ReviewCase.objects.create(
            page=page,
            revision=page.get_latest_revision(),
            policy=policy,
            state="changes_requested",
            send_back_count=1,
        )
    case = submit(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == "escalated"
    assert case.outcome_reason == "Sent back 2 times (the policy escalates after 1)."
    assert can_review(chief, case)


def test_send_backs_within_the_limit_do_not_escalate(
    demo, chief, django_capture_on_commit_callbacks
):
    page = health_page(demo, slug="vitamins")
    ReviewCase.objects.create(
        page=page, revision=page.get_latest_revision(), state="changes_requested", send_back_count=1
    )
    case = submit(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.state == "awaiting_review"


def _overdue_cases(demo, n):
    editor = demo["users"]["editor"]
    tiers = health_tiers(demo)
    cases = []
    for i in range(n):
        page = health_page(demo, slug=f"late-{i}", title=f"Late piece {i}")
        cases.append(
            ReviewCase.objects.create(
                page=page,
                revision=page.get_latest_revision(),
                policy=tiers["Elevated"].policy,
                tier=tiers["Elevated"],
                requester=editor,
                state="awaiting_review",
                due_at=timezone.now() - timedelta(hours=i + 1),
            )
        )
    return cases


def test_overdue_panel_is_one_query_and_shows_only_what_the_user_may_act_on(
    demo, django_assert_num_queries
):
    senior, editor = demo["users"]["senior"], demo["users"]["editor"]
    news = news_page(demo, slug="not-late")
    ReviewCase.objects.create(  # not overdue: not shown
        page=news,
        revision=news.get_latest_revision(),
        state="awaiting_review",
        due_at=timezone.now() + timedelta(hours=3),
    )
    request = RequestFactory().get("/admin/")
    request.user = senior
    _overdue_cases(demo, 2)
    with django_assert_num_queries(1):
        two = OverdueReviewsPanel().get_context_data({"request": request})["cases"]
    for i in range(2, 6):
        page = health_page(demo, slug=f"later-{i}", title=f"Later {i}")
        ReviewCase.objects.create(
            page=page,
            revision=page.get_latest_revision(),
            tier=two[0].tier,
            policy=two[0].policy,
            requester=editor,
            state="escalated",
            due_at=timezone.now() + timedelta(hours=1),
        )
    with django_assert_num_queries(1):
        six = OverdueReviewsPanel().get_context_data({"request": request})["cases"]
    assert len(two) == 2 and len(six) == 6
    assert [c.page.title for c in two] == ["Late piece 1", "Late piece 0"]  # most overdue first
    # The editor holds no authority: the panel renders nothing for them.
    request.user = editor
    assert OverdueReviewsPanel().render_html({"request": request}) == ""


def test_dashboard_shows_the_overdue_panel(demo, client):
    _overdue_cases(demo, 1)
    client.force_login(demo["users"]["senior"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert b"Overdue reviews" in response.content and b"Late piece 0" in response.content
    client.force_login(demo["users"]["editor"])
    assert b"Overdue reviews" not in client.get(reverse("wagtailadmin_home")).content


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_timer_is_an_rq_scheduled_job_with_an_idempotent_id(demo, chief, rq_queue, settings):
    page = health_page(demo, slug="rq-water")
    mark_ai(page)
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "inline"}
    case = submit_inline(page, demo)
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    due = timezone.now() + timedelta(seconds=1)
    ReviewCase.objects.filter(pk=case.pk).update(due_at=due)
    case.refresh_from_db()
    from django.db import transaction

    with transaction.atomic():
        timer = escalation.arm_timer(case)
    timer.refresh_from_db()
    assert timer.rq_job_id == outbox.job_id(EscalationTimer, timer.pk)
    assert timer.rq_job_id in ScheduledJobRegistry(queue=rq_queue).get_job_ids()
    time.sleep(1.5)
    run_worker(rq_queue)
    case.refresh_from_db()
    assert case.state == "escalated"


def submit_inline(page, demo):
    page.get_workflow().start(page, demo["users"]["editor"])
    case = ReviewCase.objects.filter(page=page).order_by("-pk").first()
    assert case.state == "awaiting_review", case.outcome_reason
    return case
