"""Rubber-stamp flags (issue 10, section 3): flags on the case and the dashboard, each with
the cases behind it; never a block."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm_ops.models import Approval, ReviewCase, ScreeningRun
from ecm_ops.services import audit, habits
from ecm_ops.services import review as review_service

from .review_support import mark_ai, news_page, news_tiers, pinned_checks, submit  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def stamp(settings):
    def configure(**values):
        settings.ECM_OPS = {
            **settings.ECM_OPS,
            "RUBBER_STAMP": {
                "READING_WPM": 400,
                "MIN_READING_SECONDS": 15,
                "HIGH_AI_SHARE": 0.7,
                "MIN_CASES": 3,
                "RATE_GAP": 0.3,
                "WINDOW_DAYS": 90,
                **values,
            },
        }

    configure()
    return configure


def _cases(demo, n, *, ai_share=0.9, words=200, opened_ago=3600):
    """``n`` decided cases on one page at News Standard, each screened at ``words`` words."""
    page = news_page(demo, slug=f"habits-{int(ai_share * 100)}-{words}-{n}")
    revision = page.get_latest_revision()
    tier = news_tiers(demo)["Standard"]
    out = []
    for _ in range(n):
        run = ScreeningRun.objects.create(page=page, revision=revision, word_count=words)
        case = ReviewCase.objects.create(
            page=page, revision=revision, tier=tier, screening_run=run, ai_share=ai_share
        )
        ReviewCase.objects.filter(pk=case.pk).update(
            created_at=timezone.now() - timedelta(seconds=opened_ago)
        )
        case.refresh_from_db()
        out.append(case)
    return page, out


def _approve(case, user):
    return Approval.objects.create(
        case=case, revision=case.revision, content_digest=case.content_digest, user=user
    )


def test_an_approval_faster_than_reading_is_flagged_on_the_case(demo, stamp, client, capture):
    page = news_page(demo, slug="quick")
    mark_ai(page)
    case = submit(page, demo["users"]["editor"], capture)
    case.refresh_from_db()
    ScreeningRun.objects.filter(pk=case.screening_run_id).update(word_count=2000)
    review_service.approve(case.pk, demo["users"]["senior"])  # seconds after opening
    assert "reading 2000 words takes about 300 s" in habits.case_flags(case)[0]
    client.force_login(demo["users"]["senior"])
    html = client.get(reverse("ecm_ops:review_case", args=[case.pk])).content.decode()
    assert "data-ecm-habit-flags" in html
    flags = [f for f in habits.flags() if f.kind == habits.FAST]
    assert flags and case.pk in flags[0].case_ids and flags[0].user.username == "senior"


def test_a_slow_enough_approval_is_not_flagged(demo, stamp):
    _page, cases = _cases(demo, 1, words=100, opened_ago=3600)
    _approve(cases[0], demo["users"]["senior"])
    assert habits.case_flags(cases[0]) == []
    assert not [f for f in habits.flags() if f.kind == habits.FAST]


def test_back_to_back_approvals_count_from_the_previous_one(demo, stamp):
    """Cases opened long ago, approved one after another in seconds: a spree."""
    _page, cases = _cases(demo, 2, words=1000, opened_ago=7200)
    senior = demo["users"]["senior"]
    _approve(cases[0], senior)
    _approve(cases[1], senior)
    fast = [f for f in habits.flags() if f.kind == habits.FAST]
    assert fast and fast[0].case_ids == [cases[1].pk]


def test_never_requesting_changes_on_ai_text_is_flagged_until_they_do(demo, stamp):
    page, cases = _cases(demo, 3, ai_share=0.9)
    senior = demo["users"]["senior"]
    for case in cases:
        _approve(case, senior)
    flag = next(f for f in habits.flags() if f.kind == habits.NO_CHANGES)
    assert flag.user == senior and flag.case_ids == sorted(c.pk for c in cases)
    _p, [other] = _cases(demo, 1, ai_share=0.95)
    audit.record(page.specific, "ecm_ops.review.changes_requested", senior, case=other.pk)
    assert not [f for f in habits.flags() if f.kind == habits.NO_CHANGES]


def test_human_text_approvals_are_not_a_no_changes_flag(demo, stamp):
    _page, cases = _cases(demo, 5, ai_share=0.1)
    for case in cases:
        _approve(case, demo["users"]["senior"])
    assert not [f for f in habits.flags() if f.kind == habits.NO_CHANGES]


def test_an_approval_rate_far_from_peers_is_flagged_with_its_cases(demo, stamp, client):
    stamp(MIN_CASES=2)
    page, cases = _cases(demo, 4, ai_share=0.2)
    senior, lapsed = demo["users"]["senior"], demo["users"]["lapsed"]
    for case in cases[:2]:
        _approve(case, senior)  # approves everything
    for case in cases[2:]:  # the peer sends everything back
        audit.record(page.specific, "ecm_ops.review.changes_requested", lapsed, case=case.pk)
    rate = {f.user.username: f for f in habits.flags() if f.kind == habits.RATE}
    assert set(rate) == {"senior", "lapsed"}
    assert rate["senior"].case_ids == sorted(c.pk for c in cases[:2])
    assert "100%" in rate["senior"].message and "0%" in rate["senior"].message
    # On the dashboard, for site admins only, each flag linking to its cases.
    client.force_login(demo["users"]["admin"])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-ecm-rubber-stamp" in html
    assert reverse("ecm_ops:review_case", args=[cases[0].pk]) in html
    client.force_login(senior)
    assert "data-ecm-rubber-stamp" not in client.get(reverse("wagtailadmin_home")).content.decode()
