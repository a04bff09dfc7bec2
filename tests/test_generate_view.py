"""Generating a draft from the page editor: the brief screen (existing and new pages), typed
template variables, off-label use, status polling, cancel, and who is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import Page

from ecm_ops.models import DraftRequest, PromptTemplate, PromptTemplateVersion
from sandbox_site.content.models import AdviceArticle, NewsArticle

from .helpers import edit_url, log_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


@pytest.fixture
def outsider(demo):
    """Admin access, but no page permissions anywhere."""
    user = get_user_model().objects.create_user("outsider", password="x")
    user.groups.add(Group.objects.get(name="Legal reviewers"))  # admin access, Health only
    return user


def _with_variables():
    version = PromptTemplateVersion.objects.get(template__slug="news-explainer")
    v2 = PromptTemplateVersion.objects.create(
        template=version.template,
        number=2,
        instructions=version.instructions,
        output_fields=version.output_fields,
        variables=[
            {"name": "tone", "type": "choice", "choices": ["neutral", "warm"], "required": True},
            {"name": "related", "type": "page"},
            {"name": "facts", "type": "list"},
        ],
    )
    # Stands for a passed promotion (tests/test_evaluation.py covers the gate itself):
    # editors draft with the promoted version only.
    PromptTemplate.objects.filter(pk=version.template_id).update(promoted_version=v2)


def test_brief_screen_lists_designed_templates_first_and_marks_off_label(demo, news, client):
    client.force_login(demo["users"]["editor"])
    response = client.get(reverse("ecm_ops:generate", args=[news.pk]))
    assert response.status_code == 200
    choices = response.context["form"].fields["template"].choices
    assert choices[0] == ("news-explainer", "News explainer")
    assert choices[1][0] == "health-advice" and "off-label" in choices[1][1]
    assert response.context["off_label_ids"] == ["health-advice"]
    assert b"data-ecm-off-label-warning" in response.content


def test_generate_with_variables_runs_inline_and_fills_the_page(
    demo, news, client, django_capture_on_commit_callbacks
):
    _with_variables()
    client.force_login(demo["users"]["editor"])
    data = {
        "template": "news-explainer",
        "topic": "the night bus network",
        "audience": "commuters",
        "key_points": "Buses every 20 minutes\nNew routes to the hospital",
        "var-news-explainer-tone": "warm",
        "var-news-explainer-related": str(demo["news"].pk),
        "var-news-explainer-facts": "Starts in May\n\nFree for under-18s\n",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ecm_ops:generate", args=[news.pk]), data)
    draft = DraftRequest.objects.get(page=news)
    assert response.status_code == 302
    assert response.url == reverse("ecm_ops:draft_status", args=[draft.pk])
    assert draft.template_version.number == 2 and draft.off_label is False
    assert draft.brief["variables"] == {
        "tone": "warm",
        "related": {"id": demo["news"].pk, "title": "News"},
        "facts": ["Starts in May", "Free for under-18s"],
    }
    assert draft.status == "succeeded", draft.error
    news.refresh_from_db()
    latest = news.get_latest_revision_as_object()
    assert latest.title == "The night bus network"
    assert "Buses every 20 minutes" in latest.body
    status = client.get(
        reverse("ecm_ops:draft_status", args=[draft.pk]), HTTP_ACCEPT="application/json"
    ).json()
    assert status["status"] == "succeeded" and status["label"] == "Done"
    assert status["revision"] == draft.revision_id and status["open"] is False
    assert status["edit_url"] == edit_url(news)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("var-news-explainer-tone", "angry", "Select a valid choice"),
        ("var-news-explainer-tone", "", "“Tone” is required by this template."),
        ("var-news-explainer-related", "999999", "Select a valid choice"),
    ],
)
def test_invalid_variables_are_refused_with_a_clear_message(
    demo, news, client, field, value, message
):
    _with_variables()
    client.force_login(demo["users"]["editor"])
    data = {"template": "news-explainer", "topic": "buses", "var-news-explainer-tone": "warm"}
    data[field] = value
    response = client.post(reverse("ecm_ops:generate", args=[news.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DraftRequest.objects.exists()


def test_off_label_use_is_recorded_and_shown(demo, news, client):
    client.force_login(demo["users"]["editor"])
    response = client.post(
        reverse("ecm_ops:generate", args=[news.pk]),
        {"template": "health-advice", "topic": "sleep and shift work"},
    )
    draft = DraftRequest.objects.get(page=news)
    assert response.status_code == 302 and draft.off_label is True
    page = client.get(reverse("ecm_ops:draft_status", args=[draft.pk]))
    assert "Off-label use" in page.content.decode()
    assert (
        client.get(reverse("ecm_ops:draft_status", args=[draft.pk]), {"format": "json"}).json()[
            "off_label"
        ]
        is True
    )


def test_status_page_polls_and_cancel_works_without_reload(demo, news, client):
    client.force_login(demo["users"]["editor"])
    client.post(
        reverse("ecm_ops:generate", args=[news.pk]),
        {"template": "news-explainer", "topic": "buses"},
    )
    draft = DraftRequest.objects.get(page=news)
    assert draft.status == "queued"  # on_commit never fires in this test: still queued
    html = client.get(reverse("ecm_ops:draft_status", args=[draft.pk])).content.decode()
    assert 'data-controller="ecm-draft-status"' in html and "Cancel generation" in html
    assert "ecm_ops/js/draft_status.js" in html
    response = client.post(
        reverse("ecm_ops:draft_cancel", args=[draft.pk]), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.post(
        reverse("ecm_ops:draft_cancel", args=[draft.pk]), HTTP_ACCEPT="application/json"
    )
    assert again.status_code == 409 and "already cancelled" in again.json()["error"]
    assert "ecm_ops.draft.cancelled" in log_actions(news)


def test_editor_who_cannot_edit_the_page_is_refused_everywhere(demo, news, client, outsider):
    draft_client = client
    draft_client.force_login(demo["users"]["editor"])
    draft_client.post(
        reverse("ecm_ops:generate", args=[news.pk]),
        {"template": "news-explainer", "topic": "buses"},
    )
    draft = DraftRequest.objects.get(page=news)
    client.force_login(outsider)
    home = reverse("wagtailadmin_home")
    for method, url in [
        ("get", reverse("ecm_ops:generate", args=[news.pk])),
        ("post", reverse("ecm_ops:generate", args=[news.pk])),
        ("get", reverse("ecm_ops:draft_status", args=[draft.pk])),
        ("post", reverse("ecm_ops:draft_cancel", args=[draft.pk])),
        ("get", reverse("ecm_ops:generate_new", args=["content", "newsarticle", demo["news"].pk])),
    ]:
        response = getattr(client, method)(url, {"template": "news-explainer", "topic": "x"})
        # Wagtail's admin turns PermissionDenied into a redirect to the dashboard.
        assert response.status_code in (302, 403) and (
            response.status_code == 403 or response.url == home
        ), url
    draft.refresh_from_db()
    assert draft.status == "queued" and DraftRequest.objects.count() == 1
    assert b"Generate draft with AI" not in client.get(edit_url(news)).content


def test_edit_view_offers_the_button_and_the_unsaved_changes_guard(demo, news, client):
    client.force_login(demo["users"]["editor"])
    html = client.get(edit_url(news)).content.decode()
    assert reverse("ecm_ops:generate", args=[news.pk]) in html
    assert "data-ecm-generate" in html
    assert "ecm_ops/js/generate.js" in html  # the dialog: save first / discard / keep editing


def test_create_view_offers_generate_for_a_new_page(demo, client):
    client.force_login(demo["users"]["editor"])
    url = reverse("wagtailadmin_pages:add", args=["content", "newsarticle", demo["news"].pk])
    html = client.get(url).content.decode()
    target = reverse("ecm_ops:generate_new", args=["content", "newsarticle", demo["news"].pk])
    assert target in html and "Generate this page with AI" in html


def test_generate_new_page_creates_a_draft_page_and_fills_it(
    demo, client, django_capture_on_commit_callbacks
):
    editor = demo["users"]["editor"]
    client.force_login(editor)
    url = reverse("ecm_ops:generate_new", args=["content", "newsarticle", demo["news"].pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"template": "news-explainer", "topic": "river clean-up"})
    page = NewsArticle.objects.get(slug="river-clean-up")
    draft = DraftRequest.objects.get(page=page)
    assert response.status_code == 302 and draft.status == "succeeded", draft.error
    assert page.live is False and page.owner == editor
    assert page.get_parent().pk == demo["news"].pk
    page.refresh_from_db()
    assert page.get_latest_revision_as_object().intro.startswith("This article explains river")
    actions = log_actions(page)
    assert actions[0] == "wagtail.create"
    assert actions.index("ecm_ops.draft.requested") < actions.index("ecm_ops.draft.succeeded")


def test_generate_new_page_with_a_bad_brief_leaves_no_page(demo, client):
    client.force_login(demo["users"]["editor"])
    url = reverse("ecm_ops:generate_new", args=["content", "newsarticle", demo["news"].pk])
    before = Page.objects.count()
    response = client.post(
        url, {"template": "news-explainer", "topic": "river", "target_words": "10"}
    )
    assert response.status_code == 400
    response = client.post(url, {"template": "no-such-template", "topic": "river"})
    assert response.status_code == 400  # not an offered choice
    assert Page.objects.count() == before and not DraftRequest.objects.exists()


def test_generate_new_page_refuses_page_types_not_allowed_there(demo, client):
    client.force_login(demo["users"]["editor"])
    # A news article cannot live directly under the home page.
    url = reverse("ecm_ops:generate_new", args=["content", "newsarticle", demo["home"].pk])
    assert client.get(url).status_code in (302, 403)
    assert (
        client.get(
            reverse("ecm_ops:generate_new", args=["auth", "user", demo["news"].pk])
        ).status_code
        == 404
    )
    assert AdviceArticle.can_create_at(demo["health"])
