"""A site admin opens Content ops → Operations in a real browser on the demo history, sees the
drift alert, the charts with their tables, drills down from a number, and acknowledges the
alert with a note (screenshots in screenshots/)."""

from __future__ import annotations

import os

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sees_drift_on_the_operations_dashboard_and_acknowledges_it(demo, live_server):
    from playwright.sync_api import expect, sync_playwright

    from ecm_ops.models import DriftAlert
    from sandbox_site.content.demo_data import DEMO_USERS
    from sandbox_site.content.demo_operations import seed_operations

    seed_operations(demo)
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", DEMO_USERS["admin"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            page.get_by_role("button", name="Content ops").click()
            page.get_by_role("link", name="Operations").click()
            page.wait_for_url(f"{live_server.url}/admin/ecm-ops/operations/")

            banner = page.locator(
                "[data-ecm-drift-alert]", has_text="Health & Money: blocker rate at first screening"
            )
            expect(banner).to_contain_text("Health & Money: blocker rate at first screening")
            expect(banner).to_contain_text("while AI volume rose 5×")
            expect(page.locator("svg.ecm-ops-chart")).to_have_count(4)
            page.screenshot(path=str(SCREENSHOTS / "operations_dashboard.png"))
            for group in ("volume", "quality", "review", "cost"):
                section = page.locator(f'[data-ecm-ops-group="{group}"]')
                section.scroll_into_view_if_needed()
                section.screenshot(path=str(SCREENSHOTS / f"operations_{group}.png"))

            page.locator('[data-ecm-ops-group="volume"] tbody a').last.click()
            expect(page.locator("h1")).to_contain_text("AI draft requests")
            page.screenshot(path=str(SCREENSHOTS / "operations_drill_down.png"))
            page.go_back()

            banner = page.locator(
                "[data-ecm-drift-alert]", has_text="Health & Money: blocker rate at first screening"
            )
            banner.locator("input[name=note]").fill("Paused AI drafting in Health; retraining.")
            banner.get_by_role("button", name="Acknowledge").click()
            expect(page.locator("body")).to_contain_text("Drift alert acknowledged")
        finally:
            browser.close()
    alert = DriftAlert.objects.get(metric="first_screen_blocker_rate", section=demo["health"])
    assert alert.note == "Paused AI drafting in Health; retraining."
