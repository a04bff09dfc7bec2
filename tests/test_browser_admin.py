"""A real browser (Playwright driving Debian's Chromium) logs into the sandbox admin as the
demo editor and finds the app's "Content ops" menu."""

from __future__ import annotations

import os

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_logs_in_and_sees_the_content_ops_menu(demo, live_server):
    from playwright.sync_api import expect, sync_playwright

    from sandbox_site.content.demo_data import DEMO_USERS

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("input[name=username]", "editor")
            page.fill("input[name=password]", DEMO_USERS["editor"][0])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")

            menu = page.get_by_role("button", name="Content ops")
            expect(menu).to_be_visible()
            menu.click()
            queue = page.get_by_role("link", name="Review queue")
            expect(queue).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "admin_content_ops_menu.png"))

            queue.click()
            page.wait_for_url(f"{live_server.url}/admin/ecm-ops/reviews/")
            expect(page.locator("h1")).to_contain_text("Review")
        finally:
            browser.close()
