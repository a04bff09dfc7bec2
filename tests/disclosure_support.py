"""Reaching each disclosure level through the real flows (drafting, review, the override)."""

from __future__ import annotations

from django.urls import reverse
from wagtail.test.utils.form_data import rich_text

from ecm_ops.drafting.service import request_draft
from ecm_ops.services import review as review_service
from sandbox_site.content.models import NewsArticle

from .helpers import edit_form_data, edit_url
from .review_support import mark_ai, news_page, submit

HUMAN_BODY = " ".join(
    f"Paragraph {i} was typed by a reporter who checked every figure with the council "
    f"office, spoke to residents on street number {i}, and wrote this in plain words."
    for i in range(12)
)


def _ai_text(slug: str) -> dict:
    """Text for a page the model "wrote", its own per slug (AI-ness is a property of text:
    two pages with the same words share it)."""
    return {
        "title": f"Council agrees the budget ({slug})",
        "intro": f"The council agreed next year's budget for {slug} on Tuesday evening.",
        "body": f"<p>Spending on parks in the {slug} district rises slightly next year.</p>",
    }


def _mark_ai(page, demo):
    """The whole latest revision is model output (rows the save already derived from text
    shared with another test page are replaced)."""
    from ecm_ops.models import FieldProvenance

    FieldProvenance.objects.filter(revision=page.get_latest_revision()).delete()
    mark_ai(page, draft_by=demo["users"]["editor"])


def publish_human(demo, slug="human-only"):
    """A page people wrote (its own words, so no other test's AI text is in it)."""
    page = news_page(
        demo,
        slug=slug,
        title=f"Library opening hours ({slug})",
        intro=f"The library on {slug} street opens an hour earlier from Monday.",
        body="<p>Staff asked readers in a survey last spring which hours suit them.</p>",
    )
    page.get_latest_revision().publish(user=demo["users"]["senior"])
    page.refresh_from_db()
    return page.specific


def publish_ai_approved(demo, capture, slug="ai-standard"):
    """An AI-written page submitted by the editor and approved by the senior editor."""
    page = news_page(demo, slug=slug, **_ai_text(slug))
    _mark_ai(page, demo)
    case = submit(page, demo["users"]["editor"], capture)
    with capture(execute=True):
        review_service.approve(case.pk, demo["users"]["senior"])
    page.refresh_from_db()
    return page.specific, case


def publish_ai_heavily_edited(demo, client, capture):
    """A real AI draft (offline provider) whose body and title the editor rewrote before
    submitting it from the editor; approved by the senior editor."""
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    with capture(execute=True):
        draft = request_draft(
            page, "news-explainer", {"topic": "the transport plan"}, demo["users"]["editor"]
        )
    draft.refresh_from_db()
    assert draft.status == "succeeded", draft.error
    page.refresh_from_db()
    client.force_login(demo["users"]["editor"])
    data = edit_form_data(
        page,
        action="submit",
        title="Transport plan: what residents told us",
        body=rich_text(f"<p>{HUMAN_BODY}</p>"),
    )
    with capture(execute=True):
        assert client.post(edit_url(page), data).status_code == 302
    from ecm_ops.models import ReviewCase

    case = ReviewCase.objects.filter(page=page).order_by("-pk").first()
    with capture(execute=True):
        review_service.approve(case.pk, demo["users"]["senior"])
    page.refresh_from_db()
    return page.specific, case, draft


def publish_overridden(demo, client, capture, slug="ai-override"):
    """AI text published by the site admin with the review override and a reason."""
    page = news_page(demo, slug=slug, **_ai_text(slug))
    _mark_ai(page, demo)
    client.force_login(demo["users"]["admin"])
    with capture(execute=True):
        response = client.post(
            reverse("ecm_ops:publish_override", args=[page.pk]),
            {"reason": "Breaking news, legal cleared by phone"},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    page.refresh_from_db()
    return page.specific
