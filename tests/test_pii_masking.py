"""Personal data stays where it was: a page's SSN, card number or e-mail address is masked in
its findings, the incident screens, the log and the audit export (issue 14, point 7)."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from django.urls import reverse

from ecm_ops.models import DraftRequest, Finding, Incident, PromptTemplate
from ecm_ops.monitoring.pipeline import monitor_pages

from .review_support import news_page
from .test_audit_export import export_url
from .test_screening_service import make_article, screened, stable_checks

__all__ = ["stable_checks"]
pytestmark = pytest.mark.django_db

SSN, CARD, EMAIL = "536-22-8174", "4539 1488 0343 6467", "j.whitaker84@gmail.com"
BODY = f"<p>Her SSN is {SSN}, her card {CARD} and her mail {EMAIL}.</p>"
VALUES = (SSN, CARD, EMAIL, CARD.replace(" ", ""), "j.whitaker84")


def assert_no_value(text: str) -> None:
    for value in VALUES:
        assert value not in text, value


def test_findings_of_a_screening_keep_masks_and_references_only(demo, caplog):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "pii-findings", user=editor)
    with caplog.at_level(logging.DEBUG):
        run = screened(page, BODY, editor)
    rows = list(Finding.objects.filter(run=run, check_id__startswith="pii."))
    assert {f.check_id for f in rows} == {"pii.national_id", "pii.card", "pii.email"}
    for f in rows:
        assert_no_value(f"{f.excerpt} {f.message} {f.suggestion}")
        assert " (ref " in f.excerpt
    assert {f.excerpt.split(" (ref ")[0] for f in rows} == {
        "•••-••-8174",
        "•••• •••• •••• 6467",
        "j•••@gmail.com",
    }
    assert_no_value(caplog.text)


def test_incident_screens_show_the_masks_not_the_values(demo, client, caplog):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "pii-incident", body=BODY, user=editor, live=True)
    with caplog.at_level(logging.DEBUG):
        (outcome,) = monitor_pages([page])
    incident = outcome.incident
    assert incident is not None
    assert_no_value(incident.summary)
    client.force_login(demo["users"]["admin"])
    detail = client.get(reverse("ecm_ops:incident_detail", args=[incident.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "8174" in html and "6467" in html  # the masked excerpts are there ...
    assert_no_value(html)  # ... the values are not
    listing = client.get(reverse("ecm_ops:incidents"))
    assert_no_value(listing.content.decode())
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert_no_value(caplog.text)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_audit_export_masks_personal_data_in_the_published_text(demo, client, fmt):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    page = news_page(demo, slug=f"pii-export-{fmt}", body="<p>Draft text from the model.</p>")
    DraftRequest.objects.create(  # as in test_audit_export's story: the draft, then an edit
        page=page,
        template_version=PromptTemplate.objects.get(slug="news-explainer").versions.first(),
        requester=editor,
        brief={"topic": page.title},
        status="succeeded",
        revision=page.get_latest_revision(),
        provider="offline",
        model_name="offline-1",
    )
    page.body = BODY
    page.save_revision(user=editor).publish(user=senior)
    client.force_login(demo["users"]["admin"])
    response = client.get(export_url(demo["news"], fmt=fmt))
    assert response.status_code == 200
    text = response.content.decode()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        text = "\n".join(" ".join(r.values()) for r in rows if r["kind"] == "diff")
        assert text  # the diff row is there
    assert "•••-••-8174" in text and "•••• •••• •••• 6467" in text
    assert_no_value(text)
