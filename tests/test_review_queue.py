"""The review queue as a Wagtail generic listing: who sees which cases, the "You" column
(may decide / conflicted / delegated), filters (section, tier, state, overdue, "awaiting me"),
search, sorting, CSV/XLSX export, the empty state, and a cost that does not grow with cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from ecm_ops.models import ReviewCase, ReviewTier

from .listing_support import count_queries, csv_rows, shown, xlsx_rows
from .review_support import health_page, make_user, news_page, pinned_checks, submit  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]
QUEUE = reverse("ecm_ops:review_queue")


@pytest.fixture
def cases(demo, django_capture_on_commit_callbacks):
    """Two open Health cases (one overdue) and one open News case, all submitted by the editor."""
    editor = demo["users"]["editor"]
    capture = django_capture_on_commit_callbacks
    ReviewTier.objects.filter(policy__section=demo["news"]).update(auto_skip_allowed=False)
    water = submit(health_page(demo, slug="water", title="Drinking water"), editor, capture)
    sleep = submit(health_page(demo, slug="sleep", title="Sleeping well"), editor, capture)
    budget = submit(news_page(demo, slug="budget", title="Budget agreed"), editor, capture)
    ReviewCase.objects.filter(pk=sleep.pk).update(due_at=timezone.now() - timedelta(hours=2))
    for case in (water, sleep, budget):
        assert case.is_open, case.state
    return {"water": water, "sleep": sleep, "budget": budget}


def pks(response):
    return {c.pk for c in shown(response)}


def test_links_each_case_and_flags_conflicts(demo, cases, client):
    senior = demo["users"]["senior"]
    client.force_login(senior)
    water = cases["water"]
    body = client.get(QUEUE).content.decode()
    assert reverse("ecm_ops:review_case", args=[water.pk]) in body
    assert "May decide" in body
    # The revision's author is conflicted, and the queue says so.
    revision = water.revision
    revision.user = senior
    revision.save(update_fields=["user"])
    body = client.get(QUEUE).content.decode()
    assert "You wrote a revision of this page since it was last reviewed" in body


def test_who_sees_which_cases(demo, cases, client):
    users = demo["users"]
    client.force_login(users["senior"])  # News and Health authority
    assert pks(client.get(QUEUE)) == {c.pk for c in cases.values()}
    client.force_login(users["legal"])  # Health tiers only, through the Legal group
    assert pks(client.get(QUEUE)) == {cases["water"].pk, cases["sleep"].pk}
    client.force_login(users["editor"])  # no authority: an empty queue that says so
    response = client.get(QUEUE)
    assert shown(response) == []
    assert "Nothing is waiting for your review." in response.content.decode()
    delegated = make_user("delegated_reviewer")
    assign_perm("ecm_ops.review_case", delegated, cases["budget"])
    client.force_login(delegated)
    response = client.get(QUEUE)
    assert pks(response) == {cases["budget"].pk}
    assert "Delegated to you" in response.content.decode()


def test_filters(demo, cases, client):
    client.force_login(demo["users"]["senior"])
    health, news = cases["water"].policy, cases["budget"].policy
    assert pks(client.get(QUEUE, {"section": health.pk})) == {
        cases["water"].pk,
        cases["sleep"].pk,
    }
    assert pks(client.get(QUEUE, {"section": news.pk})) == {cases["budget"].pk}
    level = cases["budget"].tier.level  # News's tier; the Health cases sit higher
    assert pks(client.get(QUEUE, {"tier": level})) == {cases["budget"].pk}
    assert pks(client.get(QUEUE, {"overdue": "yes"})) == {cases["sleep"].pk}
    assert cases["sleep"].pk not in pks(client.get(QUEUE, {"overdue": "no"}))
    ReviewCase.objects.filter(pk=cases["water"].pk).update(state="escalated")
    assert pks(client.get(QUEUE, {"state": "escalated"})) == {cases["water"].pk}
    response = client.get(QUEUE, {"state": "escalated", "section": news.pk})
    assert shown(response) == []
    assert "No open review matches these filters." in response.content.decode()


def test_awaiting_me_leaves_out_conflicted_cases(demo, cases, client):
    senior = demo["users"]["senior"]
    client.force_login(senior)
    everything = pks(client.get(QUEUE))
    assert pks(client.get(QUEUE, {"assignee": "me"})) == everything
    revision = cases["water"].revision
    revision.user = senior  # now senior wrote the submitted content: four-eyes
    revision.save(update_fields=["user"])
    assert pks(client.get(QUEUE, {"assignee": "me"})) == everything - {cases["water"].pk}
    assert cases["water"].pk in pks(client.get(QUEUE))  # still listed, marked conflicted


def test_overdue_is_marked(demo, cases, client):
    client.force_login(demo["users"]["senior"])
    body = client.get(QUEUE).content.decode()
    assert body.count("data-ecm-overdue") == 1
    assert "Overdue" in body


def test_search_and_sort(demo, cases, client):
    client.force_login(demo["users"]["senior"])
    assert pks(client.get(QUEUE, {"q": "sleep"})) == {cases["sleep"].pk}
    titles = [c.page.title for c in shown(client.get(QUEUE, {"ordering": "page__title"}))]
    assert titles == sorted(titles) and len(titles) == 3
    titles = [c.page.title for c in shown(client.get(QUEUE, {"ordering": "-page__title"}))]
    assert titles == sorted(titles, reverse=True)
    # Default: the soonest deadline (the overdue case) first.
    assert shown(client.get(QUEUE))[0].pk == cases["sleep"].pk


def test_csv_and_xlsx_export(demo, cases, client):
    client.force_login(demo["users"]["legal"])
    rows = csv_rows(client.get(QUEUE, {"export": "csv"}))
    assert rows[0][:5] == ["Case", "Page", "Section", "Tier", "State"]
    by_page = {row[1]: row for row in rows[1:]}
    assert set(by_page) == {"Drinking water", "Sleeping well"}  # legal sees Health only
    sleep = by_page["Sleeping well"]
    assert sleep[2] == demo["health"].title and sleep[4] == "Awaiting review"
    assert sleep[5:7] == ["0", "2"] and sleep[8] == "Yes"
    assert "Elevated" in sleep[9]
    rows = xlsx_rows(client.get(QUEUE, {"export": "xlsx", "q": "water"}))
    assert rows[0][1] == "Page" and [r[1] for r in rows[1:]] == ["Drinking water"]


def test_queries_do_not_grow_with_cases(demo, cases, client, django_capture_on_commit_callbacks):
    client.force_login(demo["users"]["senior"])
    few, _ = count_queries(client, QUEUE)
    for i in range(4):
        submit(
            health_page(demo, slug=f"more-{i}"),
            demo["users"]["editor"],
            django_capture_on_commit_callbacks,
        )
    many, response = count_queries(client, QUEUE)
    assert len(shown(response)) == 7
    assert many == few
    assert many <= 25
