"""Incident transitions through the service (``ecm_ops.services.incidents``) and the admin
screens: who may acknowledge and resolve (editors with authority for the section), who is
refused (403, nothing changes), the FSM graph, and the listing / detail / page history screens in the "Content ops" menu."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_fsm import TransitionNotAllowed
from wagtail.models import PageLogEntry

from ecm_ops.models import Incident
from ecm_ops.monitoring.pipeline import monitor_pages
from ecm_ops.services import Conflict, PermissionDenied
from ecm_ops.services import incidents as incident_service

from .listing_support import count_queries, csv_rows, shown, xlsx_rows
from .review_support import make_user
from .test_screening_service import BLOCKER_BODY, make_article, stable_checks

__all__ = ["stable_checks"]


@pytest.fixture
def incident(demo, django_capture_on_commit_callbacks):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "incident-page", body=BLOCKER_BODY, user=editor, live=True)
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = monitor_pages([page])  # the one monitoring pipeline opens it
    return outcome.incident


def test_fsm_graph():
    transitions = {
        (t.source, t.target)
        for name in ("acknowledge", "resolve", "mark_unpublished")
        for t in getattr(Incident, name)._django_fsm.transitions.values()
    }
    assert transitions == {
        ("open", "acknowledged"),
        ("open", "resolved"),
        ("acknowledged", "resolved"),
        ("unpublished", "resolved"),
        ("open", "unpublished"),
        ("acknowledged", "unpublished"),
    }
    resolved = Incident(state="resolved")
    with pytest.raises(TransitionNotAllowed):
        resolved.acknowledge()


def test_editor_without_authority_is_refused_and_nothing_changes(demo, client, incident):
    editor = demo["users"]["editor"]  # may edit the page but holds no tier authority
    with pytest.raises(PermissionDenied):
        incident_service.acknowledge(incident.pk, editor)
    client.force_login(editor)
    url = reverse("ecm_ops:incident_detail", args=[incident.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Only editors with approval authority" in page.content
    response = client.post(url, {"action": "resolve", "note": "meh"})
    assert response.status_code == 403
    assert b"Only editors with approval authority" in response.content
    incident.refresh_from_db()
    assert incident.state == "open" and incident.handled_by is None
    client.force_login(demo["users"]["legal"])  # authority on Health, not News
    assert client.post(url, {"action": "acknowledge"}).status_code == 403


def test_authorised_editor_acknowledges_then_resolves(demo, client, incident):
    senior = demo["users"]["senior"]
    client.force_login(senior)
    url = reverse("ecm_ops:incident_detail", args=[incident.pk])
    assert client.post(url, {"action": "acknowledge"}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and incident.handled_by == senior
    again = client.post(url, {"action": "acknowledge"})
    assert again.status_code == 409
    response = client.post(url, {"action": "resolve", "note": "Text corrected."})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.note == "Text corrected."
    actions = list(
        PageLogEntry.objects.filter(page=incident.page, user=senior).values_list(
            "action", flat=True
        )
    )
    assert "ecm_ops.incident.acknowledged" in actions and "ecm_ops.incident.resolved" in actions
    with pytest.raises(Conflict):
        incident_service.resolve(incident.pk, senior)


def test_bad_action_is_a_400(demo, client, incident):
    client.force_login(demo["users"]["senior"])
    url = reverse("ecm_ops:incident_detail", args=[incident.pk])
    assert client.post(url, {"action": "delete"}).status_code == 400
    assert client.get(reverse("ecm_ops:incident_detail", args=[99999])).status_code == 404


def test_listing_history_and_menu(demo, client, incident):
    client.force_login(demo["users"]["senior"])
    listing = client.get(reverse("ecm_ops:incidents"))
    assert shown(listing) == [incident]
    assert reverse("ecm_ops:incident_detail", args=[incident.pk]).encode() in listing.content
    history = client.get(reverse("ecm_ops:page_monitoring", args=[incident.page_id]))
    assert history.status_code == 200
    assert b"Post-publication monitoring" in history.content
    assert f"#{incident.pk}".encode() in history.content
    home = client.get(reverse("wagtailadmin_home"))
    assert reverse("ecm_ops:incidents").encode() in home.content
    client.force_login(demo["users"]["legal"])  # cannot edit News pages
    denied = client.get(reverse("ecm_ops:page_monitoring", args=[incident.page_id]))
    assert denied.status_code == 403


# -- the listing (a Wagtail generic IndexView) ----------------------------------------------

INCIDENTS = reverse("ecm_ops:incidents")


@pytest.fixture
def incidents(demo, incident):
    """The monitored News incident plus a resolved warning on a Health page."""
    health = make_article(demo["health"], "health-incident", live=True)
    resolved = Incident.objects.create(
        page=health, severity="warning", summary="A stale statistic", state="resolved"
    )
    return {"news": incident, "health": resolved}


def test_listing_filters_by_state_severity_and_section(demo, client, incidents):
    client.force_login(demo["users"]["editor"])  # anyone in the admin may look
    news, health = incidents["news"], incidents["health"]
    assert set(shown(client.get(INCIDENTS))) == {news, health}
    assert shown(client.get(INCIDENTS, {"state": "resolved"})) == [health]
    assert shown(client.get(INCIDENTS, {"state": "open"})) == [news]
    assert shown(client.get(INCIDENTS, {"severity": "warning"})) == [health]
    assert shown(client.get(INCIDENTS, {"section": demo["news"].pk})) == [news]
    assert shown(client.get(INCIDENTS, {"section": demo["health"].pk})) == [health]
    empty = client.get(INCIDENTS, {"severity": "info"})
    assert shown(empty) == [] and b"No incident matches these filters." in empty.content


def test_listing_search_sort_and_empty_state(demo, client, incidents):
    client.force_login(demo["users"]["senior"])
    assert shown(client.get(INCIDENTS, {"q": "stale"})) == [incidents["health"]]
    by_page = [i.page.title for i in shown(client.get(INCIDENTS, {"ordering": "page__title"}))]
    assert by_page == sorted(by_page)
    newest_first = shown(client.get(INCIDENTS))
    assert newest_first[0] == incidents["health"]
    Incident.objects.all().delete()
    response = client.get(INCIDENTS)
    assert b"No incidents: monitoring has found no problem on a published page." in (
        response.content
    )


def test_listing_exports_csv_and_xlsx(demo, client, incidents):
    client.force_login(demo["users"]["senior"])
    rows = csv_rows(client.get(INCIDENTS, {"export": "csv", "state": "resolved"}))
    assert rows[0][:5] == ["Incident", "Page", "Severity", "State", "Summary"]
    assert rows[1][2:5] == ["Warning", "Resolved", "A stale statistic"]
    assert len(rows) == 2
    rows = xlsx_rows(client.get(INCIDENTS, {"export": "xlsx"}))
    assert {r[4] for r in rows[1:]} == {"A stale statistic", incidents["news"].summary}
    Incident.objects.filter(pk=incidents["health"].pk).update(summary="=HYPERLINK(evil)")
    rows = csv_rows(client.get(INCIDENTS, {"export": "csv", "state": "resolved"}))
    assert rows[1][4] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet


def test_listing_queries_do_not_grow(demo, client, incidents):
    client.force_login(demo["users"]["admin"])
    few, _ = count_queries(client, INCIDENTS)
    for i in range(5):
        page = make_article(demo["news"], f"more-{i}", live=True)
        handler = make_user(f"handler-{i}")  # a different person on each row (avatars)
        Incident.objects.create(
            page=page, severity="blocker", summary=f"Problem {i}", handled_by=handler
        )
    many, response = count_queries(client, INCIDENTS)
    assert len(shown(response)) == 7 and many == few
