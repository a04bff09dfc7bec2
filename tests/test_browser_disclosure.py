"""A real browser (Playwright driving Debian's Chromium) reads a published AI page on the
sandbox's front end: the disclosure label is visible, its link leads to the explanation, and
the JSON-LD in the head carries the IPTC digital source type."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from .disclosure_support import publish_ai_approved, publish_overridden
from .review_support import pinned_checks  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pinned_checks"),
]


def test_a_reader_sees_the_label_and_machines_the_json_ld(
    demo, live_server, client, django_capture_on_commit_callbacks, settings
):
    from playwright.sync_api import expect, sync_playwright

    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {"STYLE": "eu_icon", "PUBLIC_EVIDENCE": True},
    }
    reviewed, _case = publish_ai_approved(demo, django_capture_on_commit_callbacks)
    unreviewed = publish_overridden(
        demo, client, django_capture_on_commit_callbacks, slug="browser-override"
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.goto(f"{live_server.url}{reviewed.url}")
            label = page.get_by_role("note", name="AI disclosure")
            expect(label).to_be_visible()
            expect(label).to_contain_text("AI-generated, human-reviewed.")
            expect(label).to_contain_text("Editorial responsibility: Senior.")
            data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
            assert data["digitalSourceType"].endswith("TrainedAlgorithmicMediaDigitalSource")
            page.screenshot(path=str(SCREENSHOTS / "disclosure_label_reviewed.png"))

            page.goto(f"{live_server.url}{unreviewed.url}")
            label = page.get_by_role("note", name="AI disclosure")
            expect(label).to_contain_text("not reviewed by a person")
            page.screenshot(path=str(SCREENSHOTS / "disclosure_label_unreviewed.png"))

            label.get_by_role("link", name="What this label means").click()
            expect(page.locator("h1")).to_have_text("How we label AI-written text")
            page.go_back()
            label.get_by_role("link", name="Evidence for this page").click()
            expect(page.locator("dd").first).to_have_text("AI-generated, not reviewed")

            # The publisher's side: the readable evidence record in the page's admin.
            from django.urls import reverse

            from sandbox_site.content.demo_data import DEMO_USERS

            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "senior")
            page.fill("input[name=password]", DEMO_USERS["senior"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            # (The edit view's header links here: tests/test_disclosure_front.py checks it.)
            evidence = reverse("ecm_ops:disclosure_evidence", args=[reviewed.pk])
            page.goto(f"{live_server.url}{evidence}")
            expect(page.locator("[data-ecm-level]")).to_contain_text("AI-generated, human-reviewed")
            expect(page.locator("[data-ecm-verdict]")).to_have_text("ok")
            page.set_viewport_size({"width": 1280, "height": 1100})
            page.screenshot(path=str(SCREENSHOTS / "disclosure_admin_evidence.png"), full_page=True)
        finally:
            browser.close()
