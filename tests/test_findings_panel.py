"""Findings in the editor (the JSON endpoint the panel polls, its HTML, the editor script) and
the score badge in Wagtail's page listing (one query for the whole listing)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm_ops.services import screening as screening_service
from ecm_ops.services.page_events import page_saved

from .helpers import edit_url
from .test_screening_service import BLOCKER_BODY, make_article, screened, stable_checks

__all__ = ["stable_checks"]

PII_BODY = "<p>Write to jane.doe@gmail.com for tickets.</p>"


def findings_url(page):
    return reverse("ecm_ops:page_findings", args=[page.pk])


def test_endpoint_lists_findings_with_field_excerpt_severity_suggestion_and_score(demo, client):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "pii-story", user=editor)
    run = screened(page, PII_BODY, editor)
    client.force_login(editor)
    data = client.get(findings_url(page)).json()
    assert data["run"]["id"] == run.pk and data["run"]["done"] is True
    assert data["run"]["score"] == run.score > 0
    assert data["pending"] is False and data["screened_latest_revision"] is True
    email = next(f for f in data["findings"] if f["check"] == "pii.email")
    assert email["severity"] == "blocker"
    assert email["field"] == "body"
    assert email["excerpt"].startswith("j•••@gmail.com (ref ")  # masked, never the address
    assert email["suggestion"]
    assert "j•••@gmail.com" in data["html"] and "Score" in data["html"]
    assert "jane.doe@gmail.com" not in data["html"]


def test_endpoint_reports_pending_after_a_save_until_the_run_is_done(demo, client):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "pending-story", user=editor)
    client.force_login(editor)
    page_saved(page, editor)  # what the after_edit_page hook does
    data = client.get(findings_url(page)).json()
    assert data["pending"] is True and data["latest_run"]["status"] == "queued"
    assert data["run"] is None and "not been pre-screened" in data["html"]
    screening_service.process_screening_run(data["latest_run"]["id"])
    data = client.get(findings_url(page)).json()
    assert data["pending"] is False and data["run"]["done"] is True
    assert data["findings"] == []
    assert "No findings" in data["html"]


def test_endpoint_refuses_users_who_cannot_edit_the_page(demo, client):
    page = make_article(demo["news"], "private-story")
    client.force_login(demo["users"]["legal"])  # may edit Health only
    response = client.get(findings_url(page))
    assert response.status_code == 403
    assert "error" in response.json()


def test_editor_loads_the_findings_script(demo, client):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "script-story", user=editor)
    client.force_login(editor)
    html = client.get(edit_url(page)).content.decode()
    assert "ecm_ops/js/findings_panel.js" in html
    # The sandbox includes ecm_ops.urls, so the panel polls the cheap URL outside the admin.
    assert reverse("ecm_ops_public:page_findings_poll", args=[0]) in html


def _listing(client, parent):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("wagtailadmin_explore", args=[parent.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx)


def test_listing_shows_score_badges_without_n_plus_one(demo, client):
    editor = demo["users"]["editor"]
    section = make_article(demo["news"], "listing-section", user=editor)
    first = make_article(section, "first-child", user=editor)
    screened(first, BLOCKER_BODY, editor)
    client.force_login(demo["users"]["admin"])
    _listing(client, section)  # warm caches (session, content types, site root)
    html, few = _listing(client, section)
    assert 'data-ecm-score="' in html and "1 blocker" in html
    for i in range(6):
        child = make_article(section, f"more-child-{i}", user=editor)
        screened(child, "<p>Plain text.</p>", editor)
    html, many = _listing(client, section)
    assert html.count('data-ecm-score="') == 7
    assert many == few


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_editor_shows_findings_panel(demo, live_server):
    """A real browser: the panel appears in Wagtail's editor with the blocker, its field and
    excerpt, and the gate warning, loaded by the editor script from the JSON endpoint."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    from sandbox_site.content.demo_data import DEMO_USERS

    from .conftest import CHROMIUM

    editor = demo["users"]["editor"]
    page_obj = make_article(demo["news"], "browser-story", user=editor)
    screened(page_obj, PII_BODY, editor)
    shots = Path(__file__).resolve().parent.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "editor")
            page.fill("input[name=password]", DEMO_USERS["editor"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            page.goto(f"{live_server.url}{edit_url(page_obj)}")
            # The findings live in a Wagtail side panel: open it from its toggle.
            page.locator('[data-side-panel-toggle="ecm-findings"]').click(timeout=10000)
            panel = page.locator("[data-ecm-findings]")
            expect(panel).to_be_visible(timeout=10000)
            expect(panel.locator('[data-ecm-finding="pii.email"]')).to_contain_text(
                "j•••@gmail.com"
            )
            expect(panel.locator('[data-ecm-gate="blocked"]')).to_contain_text("blocked")
            page.screenshot(path=str(shots / "editor_findings_panel.png"))
        finally:
            browser.close()
