"""In a real browser (Playwright + Debian Chromium, live server): the senior reviewer opens a
Health case's workspace, sees the preview, the diff, the grouped findings and the progress
line, approves, and is no longer offered Approve; escalates a case whose quorum is out of
reach; Legal gives the last approval and reads "Approved and published". Screenshots are kept
as test artefacts."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from ecm_ops.models import Finding

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from .review_support import REVIEW_TEST_CHECKS, health_page, mark_ai, submit

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _blocked_case(demo, capture):
    """A Health case whose only Legal reviewer generated an AI draft of it (conflicted)."""
    from ecm_ops.models import DraftRequest, PromptTemplate

    page = health_page(demo, slug="blocked")
    DraftRequest.objects.create(
        page=page,
        template_version=PromptTemplate.objects.get(slug="health-advice").versions.first(),
        requester=demo["users"]["legal"],
        brief={"topic": "water"},
        status="succeeded",
    )
    case = submit(page, demo["users"]["editor"], capture)
    assert case.state == "awaiting_review", case.outcome_reason
    return case


def test_senior_reviews_in_the_workspace(
    demo, live_server, settings, django_capture_on_commit_callbacks
):
    from playwright.sync_api import expect, sync_playwright

    from sandbox_site.content.demo_data import DEMO_USERS

    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": REVIEW_TEST_CHECKS}
    editor = demo["users"]["editor"]
    page = health_page(demo, intro="Most adults need about two litres of fluid a day.")
    page.get_latest_revision().publish()
    page.refresh_from_db()
    page.intro = "Most adults need about two litres of water a day, more in hot weather."
    page.save_revision(user=editor)
    mark_ai(page)
    page.intro = (
        "Most adults need about two litres of water a day, more in hot weather or when ill."
    )
    page.save_revision(user=editor)
    case = submit(page, editor, django_capture_on_commit_callbacks)
    assert case.state == "awaiting_review", case.outcome_reason
    Finding.objects.bulk_create(
        Finding(
            run_id=case.screening_run_id,
            check_id="pii",
            severity="warning",
            message="An email address: check it may be published.",
            excerpt="someone@example.com",
        )
        for _ in range(1000)
    )
    Finding.objects.create(
        run_id=case.screening_run_id,
        check_id="claims",
        severity="warning",
        message="A health claim without a source: cite one.",
        excerpt="more in hot weather",
    )

    SCREENSHOTS.mkdir(exist_ok=True)
    url = live_server.url + reverse("ecm_ops:review_case", args=[case.pk])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.set_default_timeout(15_000)
            tab.goto(f"{live_server.url}/admin/login/")
            tab.fill("input[name=username]", "senior")
            tab.fill("input[name=password]", DEMO_USERS["senior"][0])
            tab.click("button[type=submit]")
            tab.wait_for_url(f"{live_server.url}/admin/")
            tab.goto(url)

            expect(tab.locator("[data-ecm-progress]")).to_contain_text(
                "0 of 2 approvals — waiting for Legal reviewers"
            )
            expect(tab.locator('[data-ecm-finding-group="pii"]')).to_contain_text("1000 findings")
            expect(tab.locator('[data-ecm-diff="live"] del').first).to_be_visible()
            preview = tab.frame_locator("iframe[data-ecm-preview]")
            expect(preview.locator("body")).to_contain_text("two litres of water")
            tab.screenshot(path=str(SCREENSHOTS / "case_workspace.png"))
            # Wagtail's admin scrolls inside its own layout: a tall window shows the whole screen.
            tab.set_viewport_size({"width": 1400, "height": 3000})
            tab.screenshot(path=str(SCREENSHOTS / "case_workspace_full.png"))
            tab.set_viewport_size({"width": 1400, "height": 1000})

            tab.get_by_role("button", name="Approve", exact=True).click()
            expect(tab.locator("[data-ecm-approved-by-you]")).to_be_visible()
            expect(tab.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
            expect(tab.locator("[data-ecm-progress]")).to_contain_text(
                "1 of 2 approvals — waiting for Legal reviewers; eligible: Legal"
            )
            tab.screenshot(path=str(SCREENSHOTS / "case_workspace_approved_by_senior.png"))

            # A second case nobody eligible from Legal can approve: the screen says so, and
            # the senior reviewer escalates it from there.
            blocked = _blocked_case(demo, django_capture_on_commit_callbacks)
            tab.goto(live_server.url + reverse("ecm_ops:review_case", args=[blocked.pk]))
            expect(tab.locator("[data-ecm-unreachable]")).to_contain_text(
                "This review can no longer reach its quorum."
            )
            tab.screenshot(path=str(SCREENSHOTS / "case_workspace_unreachable.png"))
            tab.get_by_role("button", name="Escalate to the next level").click()
            expect(tab.locator("[data-ecm-state]")).to_have_text("Escalated")

            # Legal gives the second approval and sees the outcome.
            legal = browser.new_page(viewport={"width": 1400, "height": 1000})
            legal.goto(f"{live_server.url}/admin/login/")
            legal.fill("input[name=username]", "legal")
            legal.fill("input[name=password]", DEMO_USERS["legal"][0])
            legal.click("button[type=submit]")
            legal.wait_for_url(f"{live_server.url}/admin/")
            legal.goto(url)
            legal.get_by_role("button", name="Approve", exact=True).click()
            expect(legal.locator("[data-ecm-outcome]")).to_have_text("Approved and published.")
            legal.screenshot(path=str(SCREENSHOTS / "case_workspace_approved_and_published.png"))
        finally:
            browser.close()
