"""In a real browser (Playwright + Debian Chromium, live server): a site admin builds a
certification programme with its calibration exercise in the admin; a reviewer whose approval
authority is suspended for want of it sees why on the dashboard, takes the exercise, first
misses a blocker (fails), then passes, and their authority counts again. Screenshots are kept
as test artefacts (``screenshots/certification_*.png``)."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from ecm_ops.governance import authority
from ecm_ops.models import CertificationProgramme, ReviewTier, RiskPolicy

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from .review_support import grant, make_user

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM = "Drinking lemon water cures high blood pressure."
ITEMS = [
    (
        "Lemon water",
        f"Lemon water is refreshing. {CLAIM}",
        "unsupported_claim",
        "cures high blood pressure",
        "blocker",
    ),
    ("Train times", "Trains run every ten minutes on weekdays.", "none", "", "blocker"),
]


def _login(tab, base, username, password):
    tab.goto(f"{base}/admin/login/")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", password)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base}/admin/")


def test_build_take_and_pass_a_calibration_exercise(demo, live_server):
    from playwright.sync_api import expect, sync_playwright

    from sandbox_site.content.demo_data import DEMO_USERS
    from sandbox_site.content.models import SectionPage

    section = SectionPage(title="Travel", slug="travel")
    demo["home"].add_child(instance=section)
    policy = RiskPolicy.objects.create(section=section, name="Travel")
    tier = ReviewTier.objects.create(policy=policy, level=2, label="Standard")
    reviewer = make_user("traveller", certified=False)
    reviewer.set_password("traveller-pw")
    reviewer.save()
    grant(reviewer, tier)
    assert tier.pk in authority.effective_tiers(reviewer)  # no programme yet: not gated

    SCREENSHOTS.mkdir(exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin = browser.new_page(viewport={"width": 1400, "height": 1400})
            admin.set_default_timeout(15_000)
            _login(admin, base, "admin", DEMO_USERS["admin"][0])
            admin.goto(base + reverse("certification_programmes:add"))
            admin.fill("#id_name", "Travel reviewer certification")
            admin.select_option("#id_policy", label="Travel")
            admin.fill(
                "#id_guidance", "Check every claim; send back health claims without a source."
            )
            admin.fill("#id_pass_catch_rate", "1")
            for i, (title, content, defect, excerpt, severity) in enumerate(ITEMS):
                if i:
                    admin.click("#id_items-ADD")
                admin.fill(f"#id_items-{i}-title", title)
                admin.fill(f"#id_items-{i}-content", content)
                admin.select_option(f"#id_items-{i}-defect", defect)
                admin.select_option(f"#id_items-{i}-severity", severity)
                admin.fill(f"#id_items-{i}-defect_excerpt", excerpt)
            admin.screenshot(path=str(SCREENSHOTS / "certification_build.png"), full_page=True)
            admin.get_by_role("button", name="Create").click()
            expect(admin.locator(".messages")).to_contain_text("created")
            programme = CertificationProgramme.objects.get(policy=policy)
            assert programme.items.count() == 2
            # The grant no longer counts until the reviewer certifies.
            assert tier.pk not in authority.effective_tiers(reviewer)

            tab = browser.new_page(viewport={"width": 1400, "height": 1200})
            tab.set_default_timeout(15_000)
            _login(tab, base, "traveller", "traveller-pw")
            panel = tab.locator("[data-ecm-suspended]")
            expect(panel).to_contain_text("Travel — Standard is suspended")
            tab.screenshot(path=str(SCREENSHOTS / "certification_dashboard_suspended.png"))
            panel.get_by_role("link", name="Take the calibration exercise").click()
            expect(tab.locator("[data-ecm-guidance]")).to_contain_text("Check every claim")

            lemon, trains = list(programme.items.order_by("sort_order", "pk"))
            # First attempt: approves the blocker-grade claim.
            tab.check(f"input[name=decision-{lemon.pk}][value=approve]")
            tab.check(f"input[name=decision-{trains.pk}][value=approve]")
            tab.get_by_role("button", name="Submit my judgements").click()
            expect(tab.locator("[data-ecm-failed]")).to_contain_text("blocker-grade defect")
            tab.screenshot(path=str(SCREENSHOTS / "certification_failed.png"), full_page=True)
            assert tier.pk not in authority.effective_tiers(reviewer)

            # Second attempt: sends the claim back, pointing at it.
            tab.get_by_role("link", name="Try again").click()
            tab.check(f"input[name=decision-{lemon.pk}][value=changes]")
            tab.fill(f"#pointed-{lemon.pk}", "cures high blood pressure")
            tab.check(f"input[name=decision-{trains.pk}][value=approve]")
            tab.screenshot(path=str(SCREENSHOTS / "certification_exercise.png"), full_page=True)
            tab.get_by_role("button", name="Submit my judgements").click()
            expect(tab.locator("[data-ecm-passed]")).to_contain_text("You are certified until")
            tab.screenshot(path=str(SCREENSHOTS / "certification_passed.png"), full_page=True)
            assert tier.pk in authority.effective_tiers(reviewer)

            # The records the site admin exports.
            admin.goto(base + reverse("ecm_ops:certification_records"))
            expect(admin.locator("table.listing")).to_contain_text("traveller")
            admin.screenshot(path=str(SCREENSHOTS / "certification_records.png"), full_page=True)
        finally:
            browser.close()
