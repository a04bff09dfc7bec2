"""No publishing around the review: AI-assisted pages go live through an approved review, or
by a person with the override authority who gives a reason (audited)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import PageLogEntry

from ecm_ops.models import Publication
from ecm_ops.services import review as review_service

from .helpers import edit_form_data, edit_url, log_actions
from .review_support import (
    mark_ai,
    news_page,
    pinned_checks,  # noqa: F401
    section_editor,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def ai_page(demo):
    page = news_page(demo, slug="ai-news")
    mark_ai(page)
    return page


def _publish(client, user, page, capture, **overrides):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(edit_url(page), edit_form_data(page, action="publish", **overrides))
    page.refresh_from_db()
    return response


def _override_permission(user):
    user.user_permissions.add(Permission.objects.get(codename="override_review"))


def test_publisher_cannot_publish_ai_text_around_review(demo, ai_page, client, capture):
    senior = demo["users"]["senior"]  # may publish pages
    response = _publish(client, senior, ai_page, capture)
    assert response.status_code == 302 and response.url == edit_url(ai_page)
    assert not ai_page.live
    assert "ecm_ops.publish.refused" in log_actions(ai_page)
    follow = client.get(response.url)
    assert "contains AI-written text that has not been approved" in follow.content.decode()


def test_human_written_page_publishes_normally(demo, client, capture):
    page = news_page(demo, slug="human-news")
    _publish(client, demo["users"]["senior"], page, capture)
    assert page.live


def test_the_workflow_publishes_after_approval_and_republishing_unchanged_text_is_fine(
    demo, ai_page, client, capture
):
    users = demo["users"]
    case = submit(ai_page, users["editor"], capture)
    assert case.state == "awaiting_review"
    with capture(execute=True):
        review_service.approve(case.pk, users["senior"])
    ai_page.refresh_from_db()
    assert ai_page.live and ai_page.live_revision_id == case.revision_id
    # Publishing again from the editor with the reviewed text unchanged is not a bypass...
    _publish(client, users["senior"], ai_page, capture)
    assert "ecm_ops.publish.refused" not in log_actions(ai_page)
    # ...but publishing changed text is.
    before = ai_page.live_revision_id
    _publish(client, users["senior"], ai_page, capture, intro="A new, unreviewed intro.")
    assert ai_page.live_revision_id == before
    assert "ecm_ops.publish.refused" in log_actions(ai_page)


def test_override_needs_the_authority_and_a_reason(demo, ai_page, client, capture):
    senior = demo["users"]["senior"]
    url = reverse("ecm_ops:publish_override", args=[ai_page.pk])
    client.force_login(senior)
    response = client.post(url, {"reason": "Breaking news, legal cleared by phone"})
    assert response.status_code == 403  # no override authority
    ai_page.refresh_from_db()
    assert not ai_page.live

    _override_permission(senior)
    response = _publish(client, senior, ai_page, capture)
    assert response.url == url  # sent to the override screen to give a reason
    page_html = client.get(url).content.decode()
    assert "Publish with override" in page_html
    response = client.post(url, {"reason": "short"})
    assert response.status_code == 400 and "at least 10 characters" in response.content.decode()
    ai_page.refresh_from_db()
    assert not ai_page.live

    # senior saved a revision through the editor above: an author, so conflicted (four-eyes).
    response = client.post(url, {"reason": "Breaking news, legal cleared by phone"})
    assert response.status_code == 403 and "conflicted" in response.content.decode()
    ai_page.refresh_from_db()
    assert not ai_page.live

    admin = demo["users"]["admin"]  # holds the override authority, touched nothing
    client.force_login(admin)
    with capture(execute=True):
        response = client.post(url, {"reason": "Breaking news, legal cleared by phone"})
    assert response.status_code == 302
    ai_page.refresh_from_db()
    assert ai_page.live
    entry = PageLogEntry.objects.get(page=ai_page, action="ecm_ops.publish.override")
    assert entry.user == admin
    assert entry.data["reason"] == "Breaking news, legal cleared by phone"
    publication = Publication.objects.get(page=ai_page)
    assert publication.basis == "override" and publication.user == admin
    assert publication.ai_share == 1.0


def test_override_withdraws_an_open_review(demo, ai_page, client, capture):
    users = demo["users"]
    case = submit(ai_page, users["editor"], capture)
    _override_permission(users["senior"])
    client.force_login(users["senior"])
    with capture(execute=True):
        client.post(
            reverse("ecm_ops:publish_override", args=[ai_page.pk]),
            {"reason": "Correction must go out now"},
        )
    case.refresh_from_db()
    ai_page.refresh_from_db()
    assert ai_page.live
    assert case.state == "withdrawn" and "with the override" in case.outcome_reason


def test_editor_without_edit_rights_cannot_see_the_override_screen(demo, ai_page, client):
    outsider = section_editor(demo["health"])
    client.force_login(outsider)
    response = client.get(reverse("ecm_ops:publish_override", args=[ai_page.pk]))
    assert response.status_code == 404


def test_bulk_publish_of_ai_text_is_refused(demo, ai_page, client, capture):
    human = news_page(demo, slug="human-bulk")
    client.force_login(demo["users"]["senior"])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    with capture(execute=True):
        response = client.post(f"{url}?id={ai_page.pk}&id={human.pk}", {})
    assert response.status_code == 302
    ai_page.refresh_from_db()
    human.refresh_from_db()
    assert not ai_page.live and not human.live  # the whole batch is refused
    assert "ecm_ops.publish.refused" in log_actions(ai_page)


def test_bulk_publish_of_human_text_works(demo, client, capture):
    human = news_page(demo, slug="human-bulk")
    client.force_login(demo["users"]["senior"])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    with capture(execute=True):
        client.post(f"{url}?id={human.pk}", {})
    human.refresh_from_db()
    assert human.live
