"""The one monitoring pipeline and the one policy lookup: ``policies_for`` agrees with
``policy_for`` in one query, a sweep chunk with baselines and operations alerts still needs a
constant number of queries, both drivers go through ``monitor_pages``, the policy admin form
edits the unpublish list, and bad URLs never raise."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm_ops.admin.policies import risk_policies
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.links import LinksCheck
from ecm_ops.content_checks.registry import CheckContext
from ecm_ops.governance.classification import policies_for, policy_for
from ecm_ops.models import MonitoringCheck, OperationsAlert, RiskPolicy, ScreeningRun
from ecm_ops.monitoring import pipeline, service, sweep
from ecm_ops.monitoring.external_links import check_url
from sandbox_site.content.models import SectionPage

from .test_monitoring_new_problems import CRASHY, article, publish
from .test_policy_admin import policy_data, tier
from .test_screening_service import BLOCKER_BODY, STABLE_CHECKS, stable_checks

__all__ = ["stable_checks"]


def test_policies_for_agrees_with_policy_for_in_one_query(demo, django_assert_num_queries):
    kids = demo["health"].add_child(instance=SectionPage(title="Kids", slug="kids"))
    kids_policy = RiskPolicy.objects.create(name="Kids", section=kids)
    pages = [
        demo["home"],  # no policy above the home page
        demo["news"],  # the section root itself
        article(demo["news"], "n1", "<p>x</p>"),
        article(demo["health"], "h1", "<p>x</p>"),
        article(kids, "k1", "<p>x</p>"),  # the nearest policy wins
        kids,
    ]
    with django_assert_num_queries(1):
        batch = policies_for(pages)
    assert batch == {page.pk: policy_for(page) for page in pages}
    assert batch[pages[4].pk] == kids_policy and batch[pages[0].pk] is None
    assert policies_for([]) == {}


def chunk_queries(pages):
    with CaptureQueriesContext(connection) as ctx:
        counts = sweep.screen_pages([p.pk for p in pages])
    return len(ctx), counts


def test_chunk_queries_stay_constant_with_baselines_and_alerts(demo, settings):
    """Every page has a publication screening (baseline), an override, a check that could not
    run (an alert raised, then bumped), and link rot: still the same count for 4 or 12 pages."""
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": [*STABLE_CHECKS, CRASHY]}
    senior = demo["users"]["senior"]
    pages = []
    for i in range(12):
        body = f'{BLOCKER_BODY}<p>Item {i}, <a linktype="page" id="{900000 + i}">gone</a>.</p>'
        pages.append(publish(article(demo["news"], f"q-{i}", body), override_by=senior))
    for _ in range(2):  # first pass raises the alerts, the second bumps them
        small, small_counts = chunk_queries(pages[:4])
        large, large_counts = chunk_queries(pages[4:])
        assert small == large, (small, large)
        assert small_counts["incidents"] == large_counts["incidents"] == 0
        assert small_counts["alerts"] == 4 and large_counts["alerts"] == 8
    assert OperationsAlert.objects.filter(closed_at__isnull=True).count() == 12
    assert set(OperationsAlert.objects.values_list("seen_count", flat=True)) == {2}


def test_both_drivers_use_the_one_pipeline(demo, monkeypatch, django_capture_on_commit_callbacks):
    page = publish(article(demo["news"], "one-way", "<p>Plain.</p>"))
    calls = []
    real = pipeline.monitor_pages

    def spy(pages):
        pages = list(pages)
        calls.append([p.pk for p in pages])
        return real(pages)

    monkeypatch.setattr(service, "monitor_pages", spy)
    monkeypatch.setattr(sweep, "monitor_pages", spy)
    check = MonitoringCheck.objects.get(page=page, status="queued")
    with django_capture_on_commit_callbacks(execute=True):
        service.process_monitoring_check(check.pk)
    sweep.screen_pages([page.pk])
    assert calls == [[page.pk], [page.pk]]
    runs = ScreeningRun.objects.filter(page=page, trigger="monitor")
    assert runs.count() == 2 and not runs.exclude(status="succeeded").exists()
    check.refresh_from_db()
    assert check.screening_run_id in set(runs.values_list("pk", flat=True))
    # No monitoring path creates monitor runs through the save/submit screening job any more.
    assert not hasattr(service, "process_screening_run")


def test_policy_form_edits_the_unpublish_list(demo, client):
    client.force_login(demo["users"]["admin"])
    culture = demo["home"].add_child(instance=SectionPage(title="Culture", slug="culture"))
    add_url = reverse(risk_policies.get_url_name("add"))
    form = client.get(add_url).content.decode()
    assert 'name="unpublish_checks"' in form
    response = client.post(
        add_url, policy_data(culture, [tier("Low", 1)], unpublish_checks='["claims", "pii"]')
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = RiskPolicy.objects.get(section=culture)
    assert policy.unpublish_checks == ["claims", "pii"]
    assert policy.unpublishes_for("claims.medical") and policy.unpublishes_for("pii")
    assert not policy.unpublishes_for("claimsx") and not policy.unpublishes_for("links.page")
    assert not policy.unpublishes_for("claims.could_not_run")

    edit_url = reverse(risk_policies.get_url_name("edit"), args=[policy.pk])
    tiers = [tier("Low", 1, pk=policy.tiers.get().pk)]
    # The form ticks checks (checkboxes); a JSON list posted by a script is still validated.
    bad = client.post(
        edit_url, policy_data(culture, tiers, initial_tiers=1, unpublish_checks='["claims", 5]')
    )
    assert bad.status_code == 200 and "Enter a JSON list of check ids" in bad.content.decode()
    empty = client.post(edit_url, policy_data(culture, tiers, initial_tiers=1, unpublish_checks=""))
    assert empty.status_code == 302
    policy.refresh_from_db()
    assert policy.unpublish_checks == []  # empty: never unpublish automatically


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/",
        "https://example.com:65536/x",
        "http://[::1",
        "http://[::1]:70000/",
        "http://example.com/" + "a" * 5_000_000,
        "http://" + "a" * 300 + ".com/",
        "http://exa\x00mple.com/",
    ],
)
def test_check_url_reports_bad_addresses_instead_of_raising(url):
    ok, reason = check_url(url, timeout=0.5)
    assert not ok and reason and len(reason) < 300


def test_links_check_keeps_a_5_mb_host_out_of_its_message():
    url = "http://" + "a" * 5_000_000 + ".com/"
    doc = CanonicalText.from_fields([("body", f"See {url} now.")])
    findings = list(LinksCheck().run(doc, CheckContext()))
    assert [f.check_id for f in findings] == ["links.url"]
    assert len(findings[0].message) < 500 and len(findings[0].excerpt) <= 300
