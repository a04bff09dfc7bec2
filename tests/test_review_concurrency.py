"""Two reviewers approving the same case at the same moment, on PostgreSQL, through the case
screen (real requests, one thread and one database connection each).

The case row is locked (``select_for_update``) for the whole decision, so the second approver
sees the first one's approval: exactly the right number of approvals, one transition, no 500.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from ecm_ops.models import ReviewCase

from .helpers import log_actions
from .review_support import (
    grant,
    health_page,
    make_user,
    mark_ai,
    news_page,
    news_tiers,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pinned_checks"),
]


@pytest.fixture(autouse=True)
def wagtail_baseline(transactional_db):
    """A transactional test that ran earlier flushed Wagtail's migration data (the root page
    and the default locale); put back what the demo needs. (``serialized_rollback`` clashes
    with guardian's anonymous user, re-created on flush.)"""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    if not Page.objects.exists():
        code = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        locale, _ = Locale.objects.get_or_create(language_code=code)
        Page.add_root(instance=Page(title="Root", slug="root", locale=locale))


def _approve_together(case, users) -> list[int]:
    """POST "approve" on the case screen as each user at the same moment; the statuses."""
    barrier = threading.Barrier(len(users))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(user):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            barrier.wait(timeout=30)
            response = client.post(
                reverse("ecm_ops:review_case", args=[case.pk]), {"action": "approve"}
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(statuses)


def test_two_approvals_needed_both_count_and_the_case_approves_once(
    demo, django_capture_on_commit_callbacks
):
    users = demo["users"]
    page = health_page(demo)
    case = submit(page, users["editor"], django_capture_on_commit_callbacks)
    assert case.state == "awaiting_review"

    statuses = _approve_together(case, [users["senior"], users["legal"]])

    assert statuses == [302, 302]
    case.refresh_from_db()
    page.refresh_from_db()
    assert case.state == "approved"
    assert sorted(case.approvals.values_list("user__username", flat=True)) == ["legal", "senior"]
    actions = log_actions(page)
    assert actions.count("ecm_ops.review.approved") == 1
    assert actions.count("wagtail.publish") == 1
    assert page.live


def test_one_approval_needed_the_second_reviewer_is_told_it_is_decided(
    demo, django_capture_on_commit_callbacks
):
    users = demo["users"]
    other = make_user("second_news_reviewer")
    grant(other, news_tiers(demo)["Standard"])
    page = news_page(demo)
    mark_ai(page)  # mostly AI-written: Standard tier, one approval
    case = submit(page, users["editor"], django_capture_on_commit_callbacks)
    assert case.state == "awaiting_review" and case.tier.approvals_required == 1

    statuses = _approve_together(case, [users["senior"], other])

    # One decides; the other gets a 409 saying the review is already approved. Never a 500.
    assert statuses == [302, 409]
    case = ReviewCase.objects.get(pk=case.pk)
    assert case.state == "approved"
    assert case.approvals.count() == 1
    assert log_actions(page).count("ecm_ops.review.approved") == 1
