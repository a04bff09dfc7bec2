"""The findings side panel, the edit-view and listing banners, and the verdict badge: in
code, and in a real browser with screenshots (side panel with 1,000 findings collapsed, the
banner, the listing, the forms, the notifications list)."""

from __future__ import annotations

import os
import re

import pytest
from django.db.models import F
from django.urls import reverse

from ecm_ops.models import Finding, Incident, ScreeningRun
from ecm_ops.services import review as review_service
from ecm_ops.states import IncidentState

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from .helpers import edit_url
from .review_support import health_page, pinned_checks, submit  # noqa: F401
from .test_screening_service import make_article, screened

PII_BODY = "<p>Write to jane.doe@gmail.com for tickets.</p>"


def _thousand(run, check="pii.email"):
    Finding.objects.bulk_create(
        Finding(
            run=run,
            check_id=check,
            severity="warning",
            field="intro",
            message="An e-mail address appears in the text.",
            excerpt="Intro",
            start=i,
            end=i + 5,
        )
        for i in range(1000)
    )
    ScreeningRun.objects.filter(pk=run.pk).update(warning_count=F("warning_count") + 1000)


@pytest.mark.django_db
def test_panel_groups_by_check_with_labels_counts_and_collapses_long_groups(demo, client):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "many-findings", user=editor)
    run = screened(page, PII_BODY, editor)
    _thousand(run)
    client.force_login(editor)
    data = client.get(reverse("ecm_ops:page_findings", args=[page.pk])).json()
    html = data["html"]
    # One group per check, labelled in words, with counts; 1,000 identical findings are one
    # line "×1000" and the group starts closed.
    group = re.search(r'data-ecm-finding-group="pii\.email".*?</details>', html, re.S).group(0)
    assert "Personal data (email)" in group and "1001 findings" in group
    assert "×1000" in group and "<details >" in group.replace("<details  >", "<details >")
    assert html.count("data-ecm-finding=") < 10  # not 1,001 rows
    assert len(html) < 20_000
    assert "Last screened at" in html
    assert 'data-ecm-highlight data-field="body"' in html  # click to show it in its field
    assert "pii.email" not in re.sub(r'data-[\w-]+="[^"]*"', "", html)  # no bare check ids
    # The JSON lists at most 200 findings, most severe first (the panel groups them all).
    assert len(data["findings"]) == 200 and data["findings"][0]["severity"] == "blocker"


@pytest.mark.django_db
def test_listing_badge_says_clean_warnings_or_blockers_and_flags_incidents(demo, client):
    editor = demo["users"]["editor"]
    section = make_article(demo["news"], "badge-section", user=editor)
    blocked = make_article(section, "blocked", user=editor)
    screened(blocked, PII_BODY, editor)
    clean = make_article(section, "clean", user=editor)
    screened(clean, "<p>Plain words.</p>", editor)
    Incident.objects.create(page=clean, severity="blocker", summary="x", state="unpublished")
    client.force_login(demo["users"]["admin"])
    html = client.get(reverse("wagtailadmin_explore", args=[section.pk])).content.decode()
    assert 'data-ecm-verdict="blockers"' in html and "ecm-badge--blockers" in html
    assert 'data-ecm-verdict="clean"' in html and "icon-success" in html
    assert "data-ecm-incident" in html
    # The listing's banner names the page monitoring unpublished, once.
    assert html.count("Monitoring unpublished 1 page here") == 1 and "“Clean”" in html


@pytest.mark.django_db
def test_edit_view_banners_for_an_incident_and_requested_changes(
    demo, client, django_capture_on_commit_callbacks
):
    users = demo["users"]
    page = make_article(demo["news"], "incident-page", user=users["editor"])
    run = screened(page, PII_BODY, users["editor"])
    Incident.objects.create(
        page=page, screening_run=run, severity="blocker", summary="x", state=IncidentState.OPEN
    )
    client.force_login(users["editor"])
    html = client.get(edit_url(page)).content.decode()
    assert "Monitoring opened incident" in html and "Personal data (email)" in html

    case = submit(health_page(demo), users["editor"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        review_service.request_changes(case.pk, users["senior"], comment="Cite the NHS page.")
    html = client.get(edit_url(case.page)).content.decode()
    assert "requested changes" in html and "Cite the NHS page." in html
    # Resubmitting opens a new case: the banner goes.
    page = case.page.specific
    page.intro = "Adults need about two litres of fluid a day (NHS)."
    page.save_revision(user=users["editor"])
    page.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        page.current_workflow_state.resume(users["editor"])
    assert "Cite the NHS page." not in client.get(edit_url(page)).content.decode()


# -- in a real browser -------------------------------------------------------------------


def _login(page, base, who):
    from sandbox_site.content.demo_data import DEMO_USERS

    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", DEMO_USERS[who][0])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_side_panel_banner_listing_forms_and_notifications(demo, live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    from ecm_ops.models import RiskPolicy
    from ecm_ops.services import notifications

    users = demo["users"]
    editor = users["editor"]
    section = make_article(demo["news"], "browser-section", user=editor)
    story = make_article(section, "browser-findings", user=editor)
    screened(story, PII_BODY, editor)
    _thousand(ScreeningRun.objects.filter(page=story, status="succeeded").latest("pk"))
    live = make_article(section, "unpublished-by-monitoring", user=editor)
    screened(live, PII_BODY, editor)
    live_run = ScreeningRun.objects.filter(page=live).latest("pk")
    Incident.objects.create(
        page=live, screening_run=live_run, severity="blocker", summary="x", state="unpublished"
    )
    notifications.notify(
        [editor], "changes_requested", "Changes requested: Drinking enough water",
        "Cite the NHS page.", url=edit_url(story), page=story,
    )  # fmt: skip
    notifications.notify(
        [editor], "incident", "[ecm_ops] Incident on “Unpublished By Monitoring”", "x",
        url=edit_url(live), page=live,
    )  # fmt: skip
    SCREENSHOTS.mkdir(exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            _login(tab, base, "editor")
            tab.goto(f"{base}{edit_url(story)}")
            toggle = tab.locator('[data-side-panel-toggle="ecm-findings"]')
            expect(toggle).to_be_visible(timeout=10000)
            expect(tab.locator("[data-ecm-findings-counter]")).to_have_text("1001", timeout=10000)
            toggle.click()
            panel = tab.locator('[data-side-panel="ecm-findings"]')
            expect(panel).to_be_visible()
            group = panel.locator('[data-ecm-finding-group="pii.email"]')
            expect(group).to_contain_text("1001 findings")
            expect(group.locator("details")).not_to_have_attribute("open", "")
            height = tab.evaluate("document.documentElement.scrollHeight")
            assert height < 3000, height  # 1,000 findings do not make the page 85,000 px tall
            tab.screenshot(path=str(SCREENSHOTS / "findings_side_panel_1000_collapsed.png"))
            group.locator("summary").click()
            group.locator("[data-ecm-highlight]").first.click()
            expect(tab.locator(".ecm-flash")).to_have_count(1)
            selected = tab.evaluate(
                "(() => { const el = document.activeElement;"
                " return el && el.value !== undefined"
                " ? el.value.substring(el.selectionStart, el.selectionEnd)"
                " : String(window.getSelection()); })()"
            )
            assert selected == "Intro", selected  # the excerpt, selected in its field
            tab.screenshot(path=str(SCREENSHOTS / "findings_side_panel_highlight.png"))

            tab.goto(f"{base}{edit_url(live)}")
            banner = tab.locator(".messages").get_by_text("Monitoring unpublished this page")
            expect(banner).to_be_visible()
            tab.screenshot(path=str(SCREENSHOTS / "edit_view_incident_banner.png"))

            tab.goto(f"{base}{reverse('wagtailadmin_explore', args=[section.pk])}")
            expect(tab.locator("[data-ecm-verdict]").first).to_be_visible()
            expect(tab.get_by_text("Monitoring unpublished 1 page here")).to_be_visible()
            tab.screenshot(path=str(SCREENSHOTS / "page_listing_badges_banner.png"))

            tab.goto(f"{base}{reverse('ecm_ops:notifications')}")
            expect(tab.locator("[data-ecm-unread]")).to_have_count(2)
            tab.screenshot(path=str(SCREENSHOTS / "notifications_list.png"))
            tab.goto(f"{base}/admin/")
            expect(tab.locator("[data-ecm-notifications-panel]")).to_be_visible()
            tab.screenshot(path=str(SCREENSHOTS / "dashboard_notifications_panel.png"))

            admin = browser.new_page(viewport={"width": 1400, "height": 1000})
            _login(admin, base, "admin")
            policy = RiskPolicy.objects.get(section=demo["health"])
            admin.goto(f"{base}/admin/ecm_ops_risk_policies/edit/{policy.pk}/")
            rules = admin.locator("#panel-classification_rules_in_order-section")
            expect(
                rules.locator("input[type=checkbox][value='claims.medical']").first
            ).to_be_attached()
            rules.scroll_into_view_if_needed()
            admin.screenshot(path=str(SCREENSHOTS / "risk_rule_widgets.png"), full_page=False)
            admin.goto(f"{base}{reverse('ecm_ops:policy_authority', args=[policy.pk])}")
            admin.locator("[data-ecm-authority-form]").scroll_into_view_if_needed()
            admin.screenshot(path=str(SCREENSHOTS / "authority_form_choosers.png"))
            admin.locator("[data-ecm-authority-form] button.chooser__choose-button, "
                          "[data-ecm-authority-form] [data-chooser-action-choose]").first.click()  # fmt: skip
            expect(admin.locator(".modal")).to_contain_text("Choose a person", timeout=10000)
            admin.screenshot(path=str(SCREENSHOTS / "authority_person_chooser.png"))
        finally:
            browser.close()
