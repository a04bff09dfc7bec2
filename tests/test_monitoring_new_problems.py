"""Monitoring acts only on new, real problems (issue 8, mechanism 8).

Pages go live the way Wagtail publishes them (``revision.publish()``) after a screening of their
live revision; monitoring then runs through its two drivers (the scheduled re-check job and a
sweep chunk job), which share one pipeline. Asserted on Incident and OperationsAlert rows and
on ``page.live``:

- a blocker screened (or overridden) at publication opens no incident;
- a check that could not run raises one operations alert (admin + log), never an incident or
  an unpublish, even if the policy lists the check;
- a deleted link target opens an incident and unpublishes only if the policy lists the check;
- neither page of a near-duplicate pair unpublishes unless the policy lists ``duplicates.near``;
- one bad URL or one page whose screening raises never stops a sweep chunk.
"""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from ecm_ops.content_checks.registry import BaseCheck
from ecm_ops.models import (
    Incident,
    MonitoringCheck,
    OperationsAlert,
    RiskPolicy,
    ScreeningRun,
    SweepChunk,
    SweepRun,
)
from ecm_ops.monitoring import health, pipeline, sweep
from ecm_ops.monitoring.baseline import publication_baseline
from ecm_ops.monitoring.service import process_monitoring_check
from ecm_ops.services import screening as screening_service
from sandbox_site.content.models import NewsArticle

from .test_screening_service import BLOCKER_BODY, STABLE_CHECKS

LINKS = "ecm_ops.content_checks.links.LinksCheck"
DUPLICATES = "ecm_ops.content_checks.duplicates.NearDuplicateCheck"
CRASHY = f"{__name__}.MonitoringOnlyCrash"


class MonitoringOnlyCrash(BaseCheck):
    """Passes at publication, crashes when monitoring runs it (its contexts say ``sweep``)."""

    check_id = "crashy"
    label = "Crashes in monitoring"
    runs_in_thread = False

    def run(self, doc, context):
        if context.extra.get("sweep"):
            raise RuntimeError("the grammar service is down")
        return []


@pytest.fixture(autouse=True)
def checks(settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": [*STABLE_CHECKS, LINKS]}


@pytest.fixture
def health_policy(demo):
    """The Health & Money policy: it unpublishes on new blockers about the page's own words."""
    policy = RiskPolicy.objects.get(section=demo["health"])
    assert policy.unpublish_checks == ["ai_artefacts", "claims", "pii"]
    return policy


def article(parent, slug, body, title=None):
    page = NewsArticle(title=title or slug.title(), slug=slug, intro="Intro.", body=body)
    parent.add_child(instance=page)
    page.save_revision()
    page.refresh_from_db()
    return page


def publish(page, *, screened=True, override_by=None):
    """Screen the page's latest revision as a submission would (unless ``screened=False``),
    optionally override its blockers, then publish that revision as Wagtail does."""
    revision = page.get_latest_revision()
    if screened:
        run = screening_service.request_screening(page, trigger="submit", revision=revision)
        run = screening_service.process_screening_run(run.pk)
        assert run.status == "succeeded"
        if override_by is not None:
            screening_service.override(run.pk, override_by, "Quoted on purpose in a review.")
    revision.publish()
    page.refresh_from_db()
    return page


def by_check(page, capture):
    """Drive the scheduled re-check job of ``page`` (created when it was published)."""
    check = MonitoringCheck.objects.get(page=page, status="queued")
    with capture(execute=True):
        process_monitoring_check(check.pk)
    check.refresh_from_db()
    assert check.status == "succeeded", check.error
    return check


def by_sweep(pages, capture):
    """Drive one sweep chunk job over ``pages``."""
    sweep_row = SweepRun.objects.create(reason="manual", status="succeeded")
    chunk = SweepChunk.objects.create(sweep=sweep_row, page_ids=[p.pk for p in pages])
    with capture(execute=True):
        chunk = sweep.process_chunk(chunk.pk)
    assert chunk.status == "succeeded", chunk.error
    return chunk


def monitor(driver, page, capture):
    if driver == "check":
        by_check(page, capture)
    else:
        by_sweep([page], capture)


DRIVERS = ["check", "sweep"]


# --- 1. incidents only for blockers absent from the publication baseline -----------------


@pytest.mark.parametrize("driver", DRIVERS)
def test_blocker_overridden_at_publication_opens_no_incident(
    demo, health_policy, driver, django_capture_on_commit_callbacks
):
    senior = demo["users"]["senior"]
    accepted = publish(
        article(demo["health"], "quoted", BLOCKER_BODY), override_by=senior
    )  # the blocker was overridden by someone with authority, then published
    unscreened = publish(article(demo["health"], "unscreened", BLOCKER_BODY), screened=False)
    assert publication_baseline(accepted) and not publication_baseline(unscreened)

    monitor(driver, accepted, django_capture_on_commit_callbacks)
    monitor(driver, unscreened, django_capture_on_commit_callbacks)

    accepted.refresh_from_db()
    unscreened.refresh_from_db()
    assert not Incident.objects.filter(page=accepted).exists()
    assert accepted.live
    # Control: the same blocker never accepted at publication is new, and the policy lists it.
    incident = Incident.objects.get(page=unscreened)
    assert incident.state == "unpublished" and not unscreened.live
    assert "ai_artefacts.self_reference" in incident.summary


def test_override_covers_the_same_blocker_in_an_unscreened_later_revision(
    demo, health_policy, django_capture_on_commit_callbacks
):
    page = article(demo["health"], "re-saved", BLOCKER_BODY)
    run = screening_service.request_screening(
        page, trigger="submit", revision=page.get_latest_revision()
    )
    run = screening_service.process_screening_run(run.pk)
    screening_service.override(run.pk, demo["users"]["senior"], "A quotation, reviewed.")
    page.save_revision()  # the same content saved again: this revision is never screened
    publish(page, screened=False)
    assert page.live_revision_id != run.revision_id

    by_check(page, django_capture_on_commit_callbacks)
    page.refresh_from_db()
    assert page.live and not Incident.objects.filter(page=page).exists()


def test_blocker_screened_at_publication_is_not_new_but_a_later_one_is(
    demo, health_policy, django_capture_on_commit_callbacks
):
    target = publish(article(demo["news"], "target", "<p>Opening times.</p>"))
    body = f'{BLOCKER_BODY}<p>See <a linktype="page" id="{target.pk}">the times</a>.</p>'
    page = publish(article(demo["health"], "known-blocker", body))  # screened with its blocker
    by_check(page, django_capture_on_commit_callbacks)
    assert not Incident.objects.filter(page=page).exists()

    target.delete()  # after publication: the link now points nowhere
    by_check(page, django_capture_on_commit_callbacks)
    incident = Incident.objects.get(page=page)
    assert "links.page" in incident.summary
    assert "ai_artefacts" not in incident.summary  # only the new blocker is reported


# --- 2. could not run: an operations alert, never an incident or an unpublish --------------


@pytest.mark.parametrize("driver", DRIVERS)
def test_check_that_could_not_run_raises_one_alert_and_the_page_stays_live(
    demo, health_policy, driver, settings, django_capture_on_commit_callbacks, client, caplog
):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": [*STABLE_CHECKS, CRASHY]}
    health_policy.unpublish_checks = [*health_policy.unpublish_checks, "crashy"]
    health_policy.save()  # even a listed check never unpublishes when it could not run
    page = publish(article(demo["health"], "calm", "<p>Plain words about the clinic.</p>"))

    with caplog.at_level(logging.WARNING, logger="ecm_ops.monitoring"):
        monitor(driver, page, django_capture_on_commit_callbacks)
    page.refresh_from_db()
    assert page.live
    assert not Incident.objects.filter(page=page).exists()
    alert = OperationsAlert.objects.get(page=page)
    assert alert.check_id == "crashy.could_not_run" and alert.closed_at is None
    assert "could not run" in alert.message
    assert any("crashy.could_not_run" in r.getMessage() for r in caplog.records)

    # Seen again: still one open alert (deduplicated per page and check), counted.
    if driver == "check":
        by_check(page, django_capture_on_commit_callbacks)
    else:
        by_sweep([page], django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert OperationsAlert.objects.filter(page=page).count() == 1 and alert.seen_count == 2

    # Site admins see it on the incidents screen; editors do not.
    client.force_login(demo["users"]["admin"])
    listing = client.get(reverse("ecm_ops:incidents")).content.decode()
    assert f'data-ecm-alert="{alert.pk}"' in listing and "crashy.could_not_run" in listing
    client.force_login(demo["users"]["senior"])
    assert "data-ecm-alert" not in client.get(reverse("ecm_ops:incidents")).content.decode()

    # The check runs again: the alert closes by itself.
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": STABLE_CHECKS}
    by_sweep([page], django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.closed_at is not None
    page.refresh_from_db()
    assert page.live and not Incident.objects.filter(page=page).exists()


# --- 3. auto-unpublish only for the checks the policy lists -------------------------------


def test_deleted_link_target_opens_an_incident_but_unpublishes_only_if_listed(
    demo, health_policy, django_capture_on_commit_callbacks
):
    target = publish(article(demo["news"], "clinic-hours", "<p>Opening times.</p>"))
    body = f'<p>See <a linktype="page" id="{target.pk}">the opening times</a>.</p>'
    page = publish(article(demo["health"], "visiting", body))
    target.delete()

    by_check(page, django_capture_on_commit_callbacks)
    page.refresh_from_db()
    incident = Incident.objects.get(page=page)
    assert incident.state == "open" and "links.page" in incident.summary
    assert page.live  # Health unpublishes for its content checks, not for a neighbour's fate

    # Listed: the same kind of new blocker now unpublishes.
    incident.state = "resolved"
    incident.save()
    health_policy.unpublish_checks = ["links.page"]
    health_policy.save()
    by_check(page, django_capture_on_commit_callbacks)
    page.refresh_from_db()
    assert not page.live
    assert Incident.objects.get(page=page, state="unpublished")


def test_neither_page_of_a_near_duplicate_pair_unpublishes_unless_listed(
    demo, health_policy, settings, django_capture_on_commit_callbacks
):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": [*STABLE_CHECKS, DUPLICATES]}
    text = " ".join(
        f"Residents of district {i} can renew their parking permit at the town hall desk."
        for i in range(12)
    )
    body = f"<p>{text}</p>"
    first = publish(article(demo["health"], "permit-a", body, title="Parking permits"))
    second = publish(article(demo["health"], "permit-b", body, title="Parking permits"))

    chunk = by_sweep([first, second], django_capture_on_commit_callbacks)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.live and second.live
    runs = ScreeningRun.objects.filter(trigger="monitor", page__in=[first, second])
    assert runs.filter(findings__check_id="duplicates.near", findings__severity="blocker").count()
    # The first page's near-duplicate is new (the second did not exist at its publication):
    # an incident, page live. The second was screened against the first when it went live.
    assert chunk.incidents_opened == 1
    assert Incident.objects.get(page=first).state == "open"
    assert not Incident.objects.filter(page=second).exists()
    assert not Incident.objects.filter(state="unpublished").exists()

    # Control: a policy that lists duplicates.near does unpublish on a new near-duplicate.
    Incident.objects.update(state="resolved")
    health_policy.unpublish_checks = ["duplicates.near"]
    health_policy.save()
    third = publish(
        article(demo["health"], "permit-c", body, title="Parking permits"), screened=False
    )
    by_sweep([third], django_capture_on_commit_callbacks)
    third.refresh_from_db()
    assert not third.live


# --- 4. one bad URL or one failing page never aborts a sweep chunk ------------------------


BAD_URLS = ["http://example.com:99999/", "http://[::1", "http://example.com/" + "a" * 5_000_000]


def test_bad_urls_and_a_crashing_page_do_not_stop_the_chunk(
    demo, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "EXTERNAL_LINKS": {"ENABLED": True, "ALLOW_PRIVATE": False, "TIMEOUT": 0.5},
    }
    links = "".join(f'<a href="{url}">link</a> ' for url in BAD_URLS)
    bad_links = publish(article(demo["news"], "bad-links", f"<p>{links}</p>"))
    crashing = publish(article(demo["news"], "crashing", "<p>Quiet text.</p>"))
    blocked = publish(article(demo["news"], "blocked", BLOCKER_BODY), screened=False)

    real_health = health.health_findings

    def health_findings(page, doc, ctx=None):
        if page.pk == crashing.pk:
            raise ValueError("Port out of range 0-65535")
        return real_health(page, doc, ctx)

    monkeypatch.setattr(pipeline.health, "health_findings", health_findings)
    chunk = by_sweep([bad_links, crashing, blocked], django_capture_on_commit_callbacks)

    assert chunk.pages_screened == 3 and chunk.incidents_opened == 1
    assert Incident.objects.get(page=blocked).state == "open"  # the real blocker is acted on
    bad_run = ScreeningRun.objects.get(page=bad_links, trigger="monitor")
    assert bad_run.status == "succeeded"
    external = list(bad_run.findings.filter(check_id=health.EXTERNAL))
    assert len(external) == 3 and all(len(f.message) < 1000 for f in external)
    assert {"malformed" in f.message or "longer than" in f.message for f in external} == {True}
    failed = ScreeningRun.objects.get(page=crashing, trigger="monitor")
    assert failed.status == "failed" and "ValueError" in failed.error
    alert = OperationsAlert.objects.get(page=crashing)
    assert alert.check_id == "monitoring.could_not_run"
    for page in (bad_links, crashing, blocked):
        page.refresh_from_db()
        assert page.live
    assert not Incident.objects.filter(page__in=[bad_links, crashing]).exists()
