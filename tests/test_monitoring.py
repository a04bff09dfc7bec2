"""Post-publication monitoring: publication schedules re-checks; a new blocker on a live page
opens exactly one incident, notifies the owner and the section's authority, and unpublishes
only where the policy says so (reversibly: republishing resolves the incident); link rot,
staleness and the optional external link check (SSRF-guarded)."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.models import PageLogEntry

from ecm_ops.content_checks.canonical import canonical_text
from ecm_ops.models import Incident, MonitoringCheck, ReviewTier
from ecm_ops.monitoring import health
from ecm_ops.monitoring.external_links import check_url
from ecm_ops.monitoring.service import process_monitoring_check

from .test_screening_service import BLOCKER_BODY, make_article, stable_checks

__all__ = ["stable_checks"]


def run_due_check(page, capture):
    check = MonitoringCheck.objects.get(page=page, status="queued")
    with capture(execute=True):
        process_monitoring_check(check.pk)
    check.refresh_from_db()
    return check


def test_publication_schedules_one_recheck_per_page(demo):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "scheduled", user=editor, live=True)
    assert MonitoringCheck.objects.filter(page=page, status="queued").count() == 1
    page.get_latest_revision().publish()  # republish: still one queued check
    assert MonitoringCheck.objects.filter(page=page, status="queued").count() == 1
    assert "ecm_ops.monitoring.scheduled" in set(
        PageLogEntry.objects.filter(page=page).values_list("action", flat=True)
    )


def test_new_blocker_opens_one_incident_and_notifies_without_unpublishing(
    demo, django_capture_on_commit_callbacks
):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "live-blocker", body=BLOCKER_BODY, user=editor, live=True)
    check = run_due_check(page, django_capture_on_commit_callbacks)
    assert check.status == "succeeded" and check.screening_run.blocker_count == 1
    incident = Incident.objects.get(page=page)
    assert incident.state == "open"
    assert "ai_artefacts.self_reference" in incident.summary
    page.refresh_from_db()
    assert page.live  # the News policy does not unpublish
    # One mail each to the owner and the section's approvers.
    assert sorted(m.to[0] for m in mail.outbox) == ["editor@example.com", "senior@example.com"]
    assert "unpublished" not in mail.outbox[0].subject

    # The next re-check finds the same blocker: no second incident, no second mail.
    check = run_due_check(page, django_capture_on_commit_callbacks)
    assert check.status == "succeeded"
    assert Incident.objects.filter(page=page).count() == 1
    assert len(mail.outbox) == 2


def test_policy_unpublishes_on_blocker_and_republishing_resolves(
    demo, django_capture_on_commit_callbacks
):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    page = make_article(demo["health"], "risky-advice", body=BLOCKER_BODY, user=editor, live=True)
    run_due_check(page, django_capture_on_commit_callbacks)
    incident = Incident.objects.get(page=page)
    page.refresh_from_db()
    assert incident.state == "unpublished" and not page.live
    entry = PageLogEntry.objects.get(page=page, action="ecm_ops.incident.unpublished")
    assert "Health & Money" in entry.data["reason"]
    assert PageLogEntry.objects.filter(page=page, action="wagtail.unpublish").exists()
    assert "unpublished" in mail.outbox[0].subject
    assert {"editor@example.com", "senior@example.com", "legal@example.com"} <= {
        m.to[0] for m in mail.outbox
    }

    # Reversible: publishing the page again brings it back and resolves the incident.
    page.get_latest_revision().publish(user=senior)
    page.refresh_from_db()
    incident.refresh_from_db()
    assert page.live
    assert incident.state == "resolved"
    assert "republishing" in incident.note
    resolved = PageLogEntry.objects.get(page=page, action="ecm_ops.incident.resolved")
    assert resolved.data["incident"] == incident.pk


def test_clean_live_page_opens_no_incident(demo, django_capture_on_commit_callbacks):
    page = make_article(demo["health"], "calm-advice", live=True)
    check = run_due_check(page, django_capture_on_commit_callbacks)
    assert check.screening_run.blocker_count == 0
    assert not Incident.objects.exists() and not mail.outbox
    page.refresh_from_db()
    assert page.live


def test_link_rot_finds_links_to_unpublished_or_deleted_pages(demo):
    target = make_article(demo["news"], "target", live=True)
    gone = make_article(demo["news"], "gone", live=True)
    body = (
        f'<p><a linktype="page" id="{target.pk}">ok</a> <a linktype="page" id="{gone.pk}">x</a>'
        ' <a linktype="page" id="999999">y</a></p>'
    )
    page = make_article(demo["news"], "linking", body=body, live=True)
    gone.unpublish()
    findings = health.health_findings(page, canonical_text(page))
    rotten = sorted(f.excerpt for f in findings if f.check_id == health.LINK_ROT)
    assert rotten == [f"page {gone.pk}", "page 999999"]
    assert all(f.severity == "warning" and f.field == "body" for f in findings)


def test_staleness_uses_the_tier_review_after_days(demo, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "STALE_AFTER_DAYS": None}
    page = make_article(demo["news"], "old-news", live=True)
    doc = canonical_text(page)
    assert not health.health_findings(page, doc)  # no review-by date anywhere
    ReviewTier.objects.filter(policy__section=demo["news"], level=1).update(review_after_days=30)
    page.last_published_at = timezone.now() - timedelta(days=45)
    page.save(update_fields=["last_published_at"])
    stale = [f for f in health.health_findings(page, doc) if f.check_id == health.STALE]
    assert len(stale) == 1 and "every 30 days" in stale[0].message
    page.last_published_at = timezone.now() - timedelta(days=10)
    assert not health.health_findings(page, doc)


class _Handler(BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802
        self.send_response(200 if self.path == "/ok" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_external_check_refuses_private_addresses_by_default(fake_server):
    for url in (f"{fake_server}/ok", "http://10.0.0.1/", "http://169.254.169.254/latest/"):
        ok, reason = check_url(url)
        assert not ok and "private or local" in reason
    assert check_url("ftp://example.com/x") == (
        False,
        "only http and https addresses can be checked",
    )


def test_external_check_against_a_loopback_server_when_opted_in(demo, fake_server, settings):
    assert check_url(f"{fake_server}/ok", allow_private=True) == (True, "")
    ok, reason = check_url(f"{fake_server}/missing", allow_private=True)
    assert not ok and "404" in reason
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "EXTERNAL_LINKS": {"ENABLED": True, "ALLOW_PRIVATE": True, "TIMEOUT": 2.0},
    }
    body = f'<p><a href="{fake_server}/ok">a</a> <a href="{fake_server}/missing">b</a></p>'
    page = make_article(demo["news"], "external", body=body, live=True)
    findings = [
        f
        for f in health.health_findings(page, canonical_text(page))
        if f.check_id == health.EXTERNAL
    ]
    assert [f.excerpt for f in findings] == [f"{fake_server}/missing"]
