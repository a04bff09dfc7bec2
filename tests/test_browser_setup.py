"""A site admin walks Content ops → Setup to green in a real browser (Playwright + Debian's
Chromium): the checklist shows Health & Money not ready with the reason, the line's link opens
the risk policy (with its scorecard), the admin sets the escalation group, and the checklist
is green. Screenshots: screenshots/setup_*.png."""

from __future__ import annotations

import os

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_walks_the_setup_checklist_to_green(demo, live_server, settings):
    from playwright.sync_api import expect, sync_playwright

    from ecm_ops.models import RiskPolicy
    from ecm_ops.monitoring.sweep import start_sweep
    from sandbox_site.content.demo_data import DEMO_USERS

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "newsroom@example.com"
    start_sweep("nightly")  # inline: runs when it commits, as `manage.py ecm_ops_demo` does
    health = RiskPolicy.objects.get(name="Health & Money")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", DEMO_USERS["admin"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")

            page.get_by_role("button", name="Content ops").click()
            page.get_by_role("link", name="Setup").click()
            page.wait_for_url(f"{live_server.url}/admin/ecm-ops/setup/")
            expect(page.locator("h1")).to_contain_text("Setup")
            card = page.locator(f'[data-ecm-scorecard="{health.pk}"]')
            expect(card).to_contain_text("Not ready")
            expect(card).to_contain_text("nobody to escalate to")
            expect(page.locator('[data-ecm-item="email"]')).to_contain_text("Sent from")
            page.screenshot(path=str(SCREENSHOTS / "setup_checklist_not_ready.png"), full_page=True)

            card.get_by_role("link", name="Fix in Edit the risk policy (escalation group)").click()
            page.wait_for_url(f"{live_server.url}/admin/ecm_ops_risk_policies/edit/{health.pk}/")
            expect(page.locator(f'[data-ecm-scorecard="{health.pk}"]')).to_contain_text("Not ready")
            page.screenshot(path=str(SCREENSHOTS / "setup_policy_scorecard.png"))
            page.select_option("select[name=escalation_group]", label="Senior editors")
            page.get_by_role("button", name="Save").first.click()
            page.wait_for_load_state()

            page.goto(f"{live_server.url}/admin/ecm-ops/setup/")
            expect(page.get_by_text("Everything is set up.")).to_be_visible()
            expect(page.locator(f'[data-ecm-scorecard="{health.pk}"]')).to_contain_text("Ready")
            page.screenshot(path=str(SCREENSHOTS / "setup_checklist_green.png"), full_page=True)
        finally:
            browser.close()
    health.refresh_from_db()
    assert health.escalation_group.name == "Senior editors"
