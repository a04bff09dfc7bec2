"""Token budgets: per user per day, per site per month; refusals are clear 429s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm_ops.drafting import budgets
from ecm_ops.drafting.service import request_draft
from ecm_ops.models import DraftRequest, PromptTemplate
from sandbox_site.content.models import NewsArticle

pytestmark = pytest.mark.django_db

BRIEF = {"topic": "night buses"}


@pytest.fixture
def page(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


def spent(page, user, tokens: int, *, status="succeeded", days_ago: int = 0) -> DraftRequest:
    """A past draft that used ``tokens`` (split over the four token fields)."""
    quarter = tokens // 4
    draft = DraftRequest.objects.create(
        page=page,
        template_version=PromptTemplate.objects.get(slug="news-explainer").latest_version,
        requester=user,
        brief=BRIEF,
        status=status,
        input_tokens=quarter,
        output_tokens=quarter,
        cache_read_tokens=quarter,
        cache_write_tokens=tokens - 3 * quarter,
    )
    if days_ago:
        DraftRequest.objects.filter(pk=draft.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return draft


def budget(settings, **values) -> None:
    settings.ECM_OPS = {**settings.ECM_OPS, "BUDGETS": values}


def test_no_budget_means_no_limit(demo, page):
    editor = demo["users"]["editor"]
    spent(page, editor, 10_000_000)
    assert request_draft(page, "news-explainer", BRIEF, editor).status == "queued"


def test_user_daily_budget_refuses_that_user_only(demo, page, settings):
    budget(settings, USER_DAILY_TOKENS=1000)
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    spent(page, editor, 600)
    spent(page, editor, 400, status="failed")  # a failed draft's tokens were billed too
    before = DraftRequest.objects.count()
    with pytest.raises(budgets.BudgetExceeded) as excinfo:
        request_draft(page, "news-explainer", BRIEF, editor)
    assert excinfo.value.status == 429
    assert str(excinfo.value).startswith("You have used your daily AI budget (1,000 of 1,000")
    assert DraftRequest.objects.count() == before  # nothing queued
    assert request_draft(page, "news-explainer", BRIEF, senior).status == "queued"


def test_user_daily_budget_allows_below_the_limit_and_forgets_yesterday(demo, page, settings):
    budget(settings, USER_DAILY_TOKENS=1000)
    editor = demo["users"]["editor"]
    spent(page, editor, 999)
    spent(page, editor, 50_000, days_ago=1)
    assert request_draft(page, "news-explainer", BRIEF, editor).status == "queued"


def test_site_monthly_budget_refuses_everyone(demo, page, settings):
    budget(settings, SITE_MONTHLY_TOKENS=5000)
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    spent(page, editor, 3000)
    spent(page, senior, 2000)
    for user in (editor, senior):
        with pytest.raises(budgets.BudgetExceeded, match="monthly AI budget .5,000 of 5,000"):
            request_draft(page, "news-explainer", BRIEF, user)


def test_site_monthly_budget_counts_this_month_only(demo, page, settings):
    budget(settings, SITE_MONTHLY_TOKENS=5000)
    editor = demo["users"]["editor"]
    old = spent(page, editor, 90_000)
    DraftRequest.objects.filter(pk=old.pk).update(
        created_at=budgets._start_of_month(timezone.now()) - timedelta(seconds=1)
    )
    spent(page, editor, 4999)
    assert budgets.tokens_used(budgets._start_of_month(timezone.now())) == 4999
    assert request_draft(page, "news-explainer", BRIEF, editor).status == "queued"


def test_permission_is_checked_before_the_budget(demo, page, settings):
    from ecm_ops.services import PermissionDenied

    budget(settings, SITE_MONTHLY_TOKENS=1)
    spent(page, demo["users"]["editor"], 10)
    outsider = type(demo["users"]["editor"]).objects.create_user("outsider", password="x")
    with pytest.raises(PermissionDenied):
        request_draft(page, "news-explainer", BRIEF, outsider)


def test_the_editor_sees_the_refusal_in_the_generate_form(demo, page, settings, client):
    budget(settings, USER_DAILY_TOKENS=100)
    editor = demo["users"]["editor"]
    spent(page, editor, 100)
    client.force_login(editor)
    response = client.post(
        reverse("ecm_ops:generate", args=[page.pk]),
        {"template": "news-explainer", "topic": "night buses"},
    )
    assert response.status_code == 429
    assert "daily AI budget" in response.content.decode()
    assert DraftRequest.objects.filter(page=page).count() == 1


def test_open_drafts_reserve_their_max_tokens(demo, page, settings):
    """A burst of requests cannot slip under the budget before the first draft finishes."""
    max_tokens = PromptTemplate.objects.get(slug="news-explainer").latest_version.max_tokens
    budget(settings, USER_DAILY_TOKENS=max_tokens * 2)
    editor = demo["users"]["editor"]
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}  # nothing runs: rows stay queued
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}  # unreachable: stays queued
    request_draft(page, "news-explainer", BRIEF, editor)
    request_draft(page, "news-explainer", BRIEF, editor)
    with pytest.raises(budgets.BudgetExceeded):
        request_draft(page, "news-explainer", BRIEF, editor)
    assert DraftRequest.objects.filter(requester=editor, status="queued").count() == 2
