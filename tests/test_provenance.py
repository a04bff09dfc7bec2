"""Provenance: AI / human / mixed per field with survival similarity, kept across revisions,
shown in the editor's "AI provenance" panel at a constant query cost, and queryable."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecm_ops.content_checks import identity
from ecm_ops.content_checks.canonical import canonical_text
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


def test_coverage_counts_runs_of_ai_shingles_not_common_phrases():
    ai = "the council agreed a new transport plan with more night buses for the city centre"
    known = set(identity.shingles(ai))
    hashes = identity.shingles(ai)
    n = len(identity.words(ai))
    assert identity.covered_words(hashes, known, n) == n
    # A person's text sharing one common 5-word phrase with the AI text is not AI text.
    human = "residents said the transport plan with more ideas would help nobody at all"
    assert identity.covered_words(identity.shingles(human), known, len(identity.words(human))) == 0
    # A short field that is entirely an AI field (one shingle) counts.
    assert (
        identity.covered_words(
            identity.shingles("Night buses"), set(identity.shingles("Night buses")), 2
        )
        == 2
    )


def test_human_edits_are_tracked_across_revisions(demo, client, drafted):
    page, draft = drafted
    client.force_login(demo["users"]["editor"])
    intro = "Completely rewritten by a person with their own words."
    response = client.post(edit_url(page), edit_form_data(page, intro=intro))
    assert response.status_code == 302
    page.refresh_from_db()
    rows = {r.field_name: r for r in FieldProvenance.objects.filter(revision=page.latest_revision)}
    assert "intro" not in rows  # a person's own words are human text
    assert rows["title"].origin == "ai" and rows["title"].similarity == 1.0
    assert rows["body"].draft_id == draft.pk and rows["body"].ai_text


def test_ai_text_is_ai_whoever_saves_it_and_wherever(demo, client, drafted):
    """Laundering attempts: a throw-away save replacing every field, then the AI text put back
    (a revert from history, a paste, a copy to another page): still AI text."""
    page, _draft = drafted
    ai_revision = page.latest_revision
    ai_obj = ai_revision.as_object()
    assert provenance.ai_coverage(ai_obj).share > 0.9
    human = page.get_latest_revision_as_object()
    human.title, human.intro = "A title of mine", "An intro I wrote myself today."
    human.body = "<p>Nothing here comes from a model; I typed it in the office.</p>"
    human.search_description = ""
    revision = human.save_revision(user=demo["users"]["senior"])
    assert provenance.ai_coverage(revision.as_object()).share == 0
    assert not FieldProvenance.objects.filter(revision=revision).exists()
    # Revert: the old content under a new revision id, saved by someone else.
    reverted = ai_obj.save_revision(user=demo["users"]["senior"], previous_revision=ai_revision)
    assert provenance.ai_coverage(reverted.as_object()).share > 0.9
    assert FieldProvenance.objects.filter(revision=reverted, origin="ai").exists()
    # Pasted into another page: AI text there too.
    other = NewsArticle.objects.get(slug="city-opens-new-library")
    pasted = other.get_latest_revision_as_object()
    pasted.body = ai_obj.body
    assert provenance.ai_coverage(pasted).fields["body"][0] > 0
    # Editing one word in every sentence leaves it mixed, not human.
    words = canonical_text(ai_obj).field_text("body").split()
    tweaked = " ".join(w if i % 12 else "x" for i, w in enumerate(words))
    pasted.body = f"<p>{tweaked}</p>"
    assert provenance.ai_coverage(pasted).field_share("body") > 0.5


def test_autosave_overwrite_recomputes_provenance_in_place(demo, drafted):
    """Wagtail 8's autosave rewrites the latest revision (same pk): its provenance follows."""
    page, draft = drafted
    editor = draft.requester
    obj = page.get_latest_revision_as_object()
    revision = obj.save_revision(user=editor)
    assert FieldProvenance.objects.filter(revision=revision, origin="ai").exists()
    ai_body = obj.body
    obj.title, obj.intro, obj.search_description = "Mine", "All mine, typed by me.", ""
    obj.body = "<p>Typed by a person in full.</p>"
    assert obj.save_revision(user=editor, overwrite_revision=revision).pk == revision.pk
    assert not FieldProvenance.objects.filter(revision=revision).exists()
    obj.body = ai_body
    obj.save_revision(user=editor, overwrite_revision=revision)
    assert FieldProvenance.objects.filter(revision=revision, field_name="body").exists()


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
            provenance.carry_forward(page.pk, revision)
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
