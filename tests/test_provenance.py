"""Provenance: AI / human / mixed per field with survival similarity, kept across revisions,
shown in the editor's "AI provenance" panel at a constant query cost, and queryable."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecm_ops.drafting import provenance
from ecm_ops.drafting.service import request_draft
from ecm_ops.models import FieldProvenance
from sandbox_site.content.models import NewsArticle

from .helpers import edit_form_data, edit_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafted(demo, django_capture_on_commit_callbacks):
    """The news draft page after an AI draft (offline provider, inline job)."""
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    with django_capture_on_commit_callbacks(execute=True):
        draft = request_draft(
            page,
            "news-explainer",
            {"topic": "the transport plan", "key_points": ["More night buses"]},
            demo["users"]["editor"],
        )
    draft.refresh_from_db()
    assert draft.status == "succeeded", draft.error
    page.refresh_from_db()
    return page, draft


def test_survival_and_origin():
    assert provenance.survival("a b c d", "a b c d") == 1.0
    assert provenance.survival("a b c d", "a b x y") == 0.5
    assert provenance.survival("", "anything") == 0.0
    assert provenance.origin_for(0.96) == "ai"
    assert provenance.origin_for(0.5) == "mixed"
    assert provenance.origin_for(0.1) == "human"


def test_human_edits_are_tracked_across_revisions(demo, client, drafted):
    page, draft = drafted
    client.force_login(demo["users"]["editor"])
    intro = "Completely rewritten by a person with their own words."
    response = client.post(edit_url(page), edit_form_data(page, intro=intro))
    assert response.status_code == 302
    page.refresh_from_db()
    rows = {r.field_name: r for r in FieldProvenance.objects.filter(revision=page.latest_revision)}
    assert rows["intro"].origin == "human" and rows["intro"].similarity < 0.2
    assert rows["title"].origin == "ai" and rows["title"].similarity == 1.0
    assert rows["body"].draft_id == draft.pk
    # Another save keeps the history going from the latest provenance-bearing revision.
    client.post(edit_url(page), edit_form_data(page, title="The transport plan, explained"))
    page.refresh_from_db()
    latest = {
        r.field_name: r.origin
        for r in FieldProvenance.objects.filter(revision=page.latest_revision)
    }
    assert latest["title"] == "mixed" and "intro" not in latest  # human stays human


def test_latest_for_pages_is_one_query_for_many_pages(demo, drafted, django_assert_num_queries):
    page, draft = drafted
    other = NewsArticle.objects.get(slug="city-opens-new-library")
    with django_assert_num_queries(1):
        rows = list(provenance.latest_for_pages([page.pk, other.pk]))
        assert {r.draft.template_version.template.slug for r in rows} == {"news-explainer"}
        assert {r.draft.requester.username for r in rows} == {"editor"}
    assert {r.page_id for r in rows} == {page.pk}
    assert {r.field_name for r in rows} == {"title", "search_description", "intro", "body"}
    ai_pages = provenance.latest_for_pages([page.pk, other.pk]).filter(origin="ai")
    assert ai_pages.values_list("page_id", flat=True).distinct().count() == 1


def test_editor_panel_shows_fields_and_the_draft(demo, client, drafted):
    page, draft = drafted
    client.force_login(demo["users"]["editor"])
    html = client.get(edit_url(page)).content.decode()
    assert "AI provenance" in html and 'data-ecm-field="body"' in html
    assert "News explainer v1" in html and "offline-deterministic-1" in html
    assert "100%" in html and "Off-label" not in html
    assert "Editor" in html  # the requester


def test_editor_panel_warns_about_off_label_drafts(
    demo, client, django_capture_on_commit_callbacks
):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    with django_capture_on_commit_callbacks(execute=True):
        request_draft(page, "health-advice", {"topic": "sleep"}, demo["users"]["editor"])
    client.force_login(demo["users"]["editor"])
    html = client.get(edit_url(page)).content.decode()
    assert "Off-label use: the template “Health &amp; money advice”" in html


def _edit_view_queries(client, page) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(edit_url(page)).status_code == 200
    return [re.sub(r"\b\d+\b", "N", q["sql"]) for q in ctx.captured_queries]


def test_panel_query_count_does_not_grow_with_revisions(demo, client, drafted):
    page, _draft = drafted
    client.force_login(demo["users"]["editor"])

    def edit(times):
        nonlocal page
        for i in range(times):
            latest = page.get_latest_revision_as_object()
            latest.intro = f"Edit number {i} of the intro."
            revision = latest.save_revision(user=demo["users"]["editor"])
            provenance.carry_forward(page, revision)
            page.refresh_from_db()

    # Two revisions first: Wagtail itself checks a revision's stored latest_revision FK once
    # there is an earlier revision (one query, not ours, and constant).
    edit(1)
    _edit_view_queries(client, page)  # warm caches (content types, site root paths)
    few = _edit_view_queries(client, page)
    edit(15)
    assert FieldProvenance.objects.filter(page_id=page.pk).count() > 40
    many = _edit_view_queries(client, page)
    extra = list((Counter(many) - Counter(few)).elements())
    assert len(many) == len(few), extra
