"""In a real browser (Playwright + Debian Chromium, live server, inline jobs, offline provider):
the demo editor generates an AI draft for a News page from the page editor, watches the status,
opens the editor and sees the filled fields and the AI provenance panel. Also: the unsaved-changes
guard, and the status screen updating and cancelling without a reload."""

from __future__ import annotations

import os

import pytest

from ecm_ops.models import DraftRequest, PromptTemplateVersion
from sandbox_site.content.models import NewsArticle

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server):
    from playwright.sync_api import sync_playwright

    from sandbox_site.content.demo_data import DEMO_USERS

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "editor")
            page.fill("input[name=password]", DEMO_USERS["editor"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            yield page
        finally:
            browser.close()


def test_editor_generates_a_draft_and_sees_provenance(demo, live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    article = NewsArticle.objects.get(slug="draft-transport-plan")
    edit_url = f"{live_server.url}/admin/pages/{article.pk}/edit/"
    page.goto(edit_url)

    # Unsaved changes: the button asks instead of leaving silently.
    page.wait_for_timeout(2500)  # Wagtail's w-unsaved controller snapshots the form after 2 s
    page.locator("#id_intro").fill("An edit the editor has not saved yet.")
    page.wait_for_timeout(700)  # ...and compares every 0.5 s
    page.locator("[data-ecm-provenance] a[data-ecm-generate]").click()
    dialog = page.locator("dialog.ecm-unsaved-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You have unsaved changes")
    page.screenshot(path=str(SCREENSHOTS / "drafting_unsaved_dialog.png"))
    dialog.get_by_role("button", name="Keep editing").click()
    expect(dialog).to_have_count(0)
    assert page.url == edit_url
    page.locator("[data-ecm-provenance] a[data-ecm-generate]").click()
    page.get_by_role("button", name="Save draft, then generate").click()

    # The brief (after Wagtail saved the edit as a draft revision).
    page.wait_for_url(f"**/ecm-ops/pages/{article.pk}/generate/")
    article.refresh_from_db()
    assert article.get_latest_revision_as_object().intro == "An edit the editor has not saved yet."
    expect(page.locator("h1")).to_contain_text("Generate draft with AI")
    warning = page.locator("[data-ecm-off-label-warning]")
    expect(warning).to_be_hidden()
    page.select_option("select[name=template]", "health-advice")
    expect(warning).to_be_visible()
    page.select_option("select[name=template]", "news-explainer")
    expect(warning).to_be_hidden()
    page.fill("input[name=topic]", "the night bus network")
    page.fill("input[name=audience]", "shift workers")
    page.fill("textarea[name=key_points]", "Buses every 20 minutes\nNew routes to the hospital")
    page.screenshot(path=str(SCREENSHOTS / "drafting_generate_screen.png"), full_page=True)
    page.get_by_role("button", name="Generate draft").click()

    # The status (inline jobs: already done when the page loads).
    page.wait_for_url("**/ecm-ops/drafts/*/")
    expect(page.locator("[data-ecm-status]")).to_have_text("Done")
    open_link = page.get_by_role("link", name="Open the draft in the editor")
    expect(open_link).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "drafting_status_done.png"), full_page=True)
    open_link.click()

    # The editor shows the AI revision and where its text came from.
    page.wait_for_url(edit_url)
    expect(page.locator("#id_title")).to_have_value("The night bus network")
    expect(page.locator("#id_intro")).to_have_value(
        "This article explains the night bus network for shift workers."
    )
    panel = page.locator("[data-ecm-provenance]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-ecm-field=body]")).to_contain_text("AI")
    expect(panel).to_contain_text("News explainer v1")
    expect(panel).to_contain_text("offline-deterministic-1")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "drafting_editor_provenance.png"), full_page=True)
    draft = DraftRequest.objects.get(page=article)
    assert draft.status == "succeeded" and draft.requester.username == "editor"

    # The status screen follows a queued draft without reloading, and cancels in place.
    _status_updates_without_reload_and_cancel(live_server, page, article, draft.requester)

    # The create view offers generating the new page from a brief.
    news = article.get_parent()
    page.goto(f"{live_server.url}/admin/pages/add/content/newsarticle/{news.pk}/")
    link = page.get_by_role("link", name="Generate this page with AI")
    expect(link).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "drafting_create_view.png"))
    link.click()
    page.wait_for_url(f"**/ecm-ops/pages/add/content/newsarticle/{news.pk}/generate/")
    expect(page.locator("h1")).to_contain_text("Generate draft with AI")

    # Site admins: the prompt library (status, versions, the current version's prompt).
    _admin_prompt_library(live_server, page.context.browser)


def _status_updates_without_reload_and_cancel(live_server, page, article, editor):
    from playwright.sync_api import expect

    version = PromptTemplateVersion.objects.get(template__slug="news-explainer")

    def queued():
        return DraftRequest.objects.create(
            page=article, template_version=version, requester=editor, brief={"topic": "x"}
        )

    draft = queued()
    page.goto(f"{live_server.url}/admin/ecm-ops/drafts/{draft.pk}/")
    status = page.locator("[data-ecm-status]")
    expect(status).to_have_text("Queued")
    page.evaluate("window.__ecmMarker = 1")  # survives only if the page is never reloaded
    DraftRequest.objects.filter(pk=draft.pk).update(status="running")
    expect(status).to_have_text("Running")
    page.screenshot(path=str(SCREENSHOTS / "drafting_status_running.png"))
    DraftRequest.objects.filter(pk=draft.pk).update(
        status="failed", error="The AI provider is overloaded. Try again in a few minutes."
    )
    expect(status).to_have_text("Failed")
    expect(page.locator("[data-ecm-error]")).to_contain_text("overloaded")
    assert page.evaluate("window.__ecmMarker") == 1

    other = queued()
    page.goto(f"{live_server.url}/admin/ecm-ops/drafts/{other.pk}/")
    page.evaluate("window.__ecmMarker = 2")
    page.get_by_role("button", name="Cancel generation").click()
    expect(status).to_have_text("Cancelled")
    assert page.evaluate("window.__ecmMarker") == 2
    other.refresh_from_db()
    assert other.status == "cancelled"


def _admin_prompt_library(live_server, browser):
    from playwright.sync_api import expect

    from ecm_ops.models import PromptTemplate
    from sandbox_site.content.demo_data import DEMO_USERS

    template = PromptTemplate.objects.get(slug="news-explainer")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_USERS["admin"][0])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/ecm_ops_prompt_templates/edit/{template.pk}/")
    expect(page.locator("[data-ecm-template-status]")).to_have_text("Active")
    expect(page.locator("#id_instructions")).to_have_value("Write a short, neutral news explainer.")
    page.screenshot(path=str(SCREENSHOTS / "prompt_library_edit.png"), full_page=True)
    page.close()
