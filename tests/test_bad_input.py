"""Bad input at the foundation: a clear error and a 4xx, never a 500, and nothing created."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ecm_ops.drafting.service import request_draft
from ecm_ops.models import DraftRequest, PromptTemplate
from ecm_ops.services import PermissionDenied, ServiceError
from sandbox_site.content.models import AdviceArticle, NewsArticle

from .helpers import log_actions


@pytest.fixture
def news_page(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


def generate_url(page) -> str:
    return reverse("ecm_ops:generate", args=[page.pk])


def assert_nothing_created(page):
    assert not DraftRequest.objects.exists()
    assert "ecm_ops.draft.requested" not in log_actions(page)


def test_unknown_template_is_refused_with_a_clear_message(demo, news_page, client):
    client.force_login(demo["users"]["editor"])
    response = client.post(
        generate_url(news_page), {"template": "no-such-template", "topic": "Night buses"}
    )
    assert response.status_code == 400
    assert "no-such-template is not one of the available choices" in response.content.decode()
    assert_nothing_created(news_page)


def test_unknown_template_through_the_service_is_a_404_with_its_name(demo, news_page):
    with pytest.raises(ServiceError) as excinfo:
        request_draft(news_page, "no-such-template", {"topic": "x"}, demo["users"]["editor"])
    assert excinfo.value.status == 404
    assert "no-such-template" in str(excinfo.value)
    assert_nothing_created(news_page)


def test_an_inactive_template_is_refused(demo, news_page, client):
    PromptTemplate.objects.filter(slug="news-explainer").update(status="retired")
    with pytest.raises(ServiceError, match="not active"):
        request_draft(news_page, "news-explainer", {"topic": "x"}, demo["users"]["editor"])
    assert_nothing_created(news_page)


@pytest.mark.parametrize("topic", ["", "   "])
def test_an_empty_brief_is_a_400_with_the_message_shown(demo, news_page, client, topic):
    client.force_login(demo["users"]["editor"])
    response = client.post(generate_url(news_page), {"template": "news-explainer", "topic": topic})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert 'name="topic"' in html  # the form is shown again, with the error
    assert_nothing_created(news_page)


def test_an_empty_brief_through_the_service_says_what_is_missing(demo, news_page):
    with pytest.raises(ServiceError, match="needs a topic") as excinfo:
        request_draft(news_page, "news-explainer", {"topic": "  "}, demo["users"]["editor"])
    assert excinfo.value.status == 400
    assert_nothing_created(news_page)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_page_the_user_cannot_edit_is_forbidden(demo, news_page, client, method):
    # The legal reviewer may edit Health & Money pages only.
    client.force_login(demo["users"]["legal"])
    response = getattr(client, method)(
        generate_url(news_page), {"template": "news-explainer", "topic": "Night buses"}
    )
    assert response.status_code == 403
    assert "You cannot edit this page" in response.content.decode()
    assert_nothing_created(news_page)


def test_the_service_refuses_a_user_who_cannot_edit(demo, news_page):
    with pytest.raises(PermissionDenied):
        request_draft(news_page, "news-explainer", {"topic": "x"}, demo["users"]["legal"])
    assert_nothing_created(news_page)


def test_the_legal_reviewer_can_draft_where_they_may_edit(demo, client):
    # The refusal above is about the page, not the user: the same user is allowed here.
    page = AdviceArticle.objects.get(slug="sleep-basics")
    client.force_login(demo["users"]["legal"])
    assert client.get(generate_url(page)).status_code == 200


def test_anonymous_users_are_sent_to_the_login_page(demo, news_page, client):
    response = client.post(
        generate_url(news_page), {"template": "news-explainer", "topic": "Night buses"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))
    assert_nothing_created(news_page)


def test_a_missing_page_is_a_404(demo, client):
    client.force_login(demo["users"]["editor"])
    assert client.get(reverse("ecm_ops:generate", args=[987654])).status_code == 404
    assert not DraftRequest.objects.exists()


def test_draft_status_of_someone_elses_page_is_forbidden(demo, news_page, client):
    draft = request_draft(news_page, "news-explainer", {"topic": "x"}, demo["users"]["editor"])
    client.force_login(demo["users"]["legal"])
    url = reverse("ecm_ops:draft_status", args=[draft.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert "You cannot edit the page this draft belongs to." in response.content.decode()
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json() == {"error": "You cannot edit the page this draft belongs to."}
    assert client.post(reverse("ecm_ops:draft_cancel", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "queued"


def test_draft_status_of_a_missing_draft_is_a_404(demo, client):
    client.force_login(demo["users"]["editor"])
    response = client.get(
        reverse("ecm_ops:draft_status", args=[987654]), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 404


def test_only_the_requester_can_cancel_a_draft(demo, news_page, client):
    draft = request_draft(news_page, "news-explainer", {"topic": "x"}, demo["users"]["editor"])
    client.force_login(demo["users"]["senior"])  # may edit the page, did not ask for the draft
    response = client.post(reverse("ecm_ops:draft_cancel", args=[draft.pk]), follow=True)
    assert response.status_code == 200
    assert "Only the person who requested this draft can cancel it." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "queued"


def test_cancel_needs_post(demo, news_page, client):
    draft = request_draft(news_page, "news-explainer", {"topic": "x"}, demo["users"]["editor"])
    client.force_login(demo["users"]["editor"])
    assert client.get(reverse("ecm_ops:draft_cancel", args=[draft.pk])).status_code == 405
    draft.refresh_from_db()
    assert draft.status == "queued"
