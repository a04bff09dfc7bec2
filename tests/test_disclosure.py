"""AI disclosure (issue 12): each level reached through the real flows, stored with the
publication, append-only, chained, checked by the verifier and matching the audit export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm_ops.disclosure import chain
from ecm_ops.governance.verify import verify
from ecm_ops.models import DisclosureRecord, Publication
from ecm_ops.services import audit_export
from ecm_ops.services import publication as publication_service

from .disclosure_support import (
    publish_ai_approved,
    publish_ai_heavily_edited,
    publish_human,
    publish_overridden,
)
from .helpers import edit_form_data, edit_url
from .review_support import pinned_checks  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _record(page) -> DisclosureRecord:
    return DisclosureRecord.objects.filter(page=page).order_by("-sequence").first()


def _disclosure_violations(page=None):
    report = verify(page_ids=[page.pk] if page else None)
    return [v for v in report.violations if v.kind == "disclosure"], report


# Each level, through the flows a newsroom uses ----------------------------------------


def test_a_human_only_page_is_human_written_without_a_label(demo):
    page = publish_human(demo)
    record = _record(page)
    assert record.level == "human" and record.sequence == 1 and record.previous_hash == ""
    assert not record.label_shown and not record.exemption
    assert record.digital_source_type == "digitalCreation"
    assert record.evidence["content"]["ai_share"] == 0.0
    assert record.evidence["generation"] == []
    assert record.publication == Publication.objects.get(page=page)
    assert _disclosure_violations(page)[0] == []


def test_an_ai_draft_approved_at_standard_is_ai_generated_and_reviewed(demo, capture):
    page, case = publish_ai_approved(demo, capture)
    assert case.tier.label == "Standard"
    record = _record(page)
    senior = demo["users"]["senior"]
    assert record.level == "ai_generated_reviewed"
    assert record.exemption and record.label_shown  # the default table shows it
    assert record.responsible == senior
    assert record.digital_source_type == "trainedAlgorithmicMedia"
    ev = record.evidence
    assert ev["review"]["tier"] == "Standard" and ev["review"]["case"] == case.pk
    assert [a["user_id"] for a in ev["review"]["approvals"]] == [senior.pk]
    # The approver's certification at that moment, as the approval recorded it.
    approval = case.approvals.get()
    assert approval.certified_as.startswith("News reviewer certification, passed ")
    assert ev["review"]["approvals"][0]["certification"] == approval.certified_as
    assert ev["responsible"]["role"] == "approver who completed the review quorum"
    assert ev["screening"]["run"] and ev["content"]["digest"] == case.content_digest
    assert set(ev["content"]["fields"]) >= {"title", "intro", "body"}
    assert all(share == 1.0 for share in ev["content"]["fields"].values())
    assert ev["generation"] and ev["generation"][0]["prompt_template"] == "news-explainer"
    assert _disclosure_violations(page)[0] == []


def test_an_ai_draft_approved_after_heavy_edits_is_ai_assisted(demo, client, capture):
    page, case, draft = publish_ai_heavily_edited(demo, client, capture)
    assert page.live, case.outcome_reason
    record = _record(page)
    assert 0 < record.ai_share < 0.5, record.ai_share
    assert record.level == "ai_assisted_reviewed"
    assert record.exemption and not record.label_shown  # not required; the default hides it
    assert record.digital_source_type == "compositeWithTrainedAlgorithmicMedia"
    ev = record.evidence
    assert ev["content"]["fields"]["body"] == 0.0 and ev["content"]["fields"]["intro"] > 0.9
    assert [d["draft"] for d in ev["generation"]] == [draft.pk]
    assert ev["generation"][0]["model"] == draft.model_name
    assert ev["generation"][0]["prompt_version"] == draft.template_version.number
    assert _disclosure_violations(page)[0] == []


def test_an_overridden_publish_is_ai_generated_not_reviewed(demo, client, capture):
    page = publish_overridden(demo, client, capture)
    record = _record(page)
    admin = demo["users"]["admin"]
    assert record.level == "ai_unreviewed"
    assert record.label_shown and not record.exemption
    assert record.responsible == admin
    ev = record.evidence
    assert ev["publish_override"]["reason"] == "Breaking news, legal cleared by phone"
    assert ev["review"]["approvals"] == []
    assert "no person reviewed" in ev["decision"]["why"] and "override" in ev["decision"]["why"]
    assert _disclosure_violations(page)[0] == []


def test_a_section_can_require_the_label_where_the_law_does_not(demo, client, capture, settings):
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {"SECTIONS": {demo["news"].url_path: {"ai_assisted_reviewed": True}}},
    }
    page, _case, _draft = publish_ai_heavily_edited(demo, client, capture)
    record = _record(page)
    assert record.level == "ai_assisted_reviewed" and record.label_shown


# History is never rewritten ----------------------------------------------------------


def test_editing_after_publication_never_changes_the_disclosure_made(
    demo, client, capture, settings
):
    page, _case = publish_ai_approved(demo, capture)
    first = _record(page)
    frozen = (first.pk, first.level, first.label_shown, first.record_hash, first.evidence)
    # The editor rewrites the page in a new draft: nothing is published, nothing changes.
    client.force_login(demo["users"]["editor"])
    with capture(execute=True):
        client.post(edit_url(page), edit_form_data(page, intro="A human rewrite, not live."))
    # The site then labels more strictly: the disclosure already made stays as it was.
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {"LEVELS": {"ai_generated_reviewed": {"LABEL": False}}},
    }
    again = _record(page)
    assert (again.pk, again.level, again.label_shown, again.record_hash, again.evidence) == frozen
    # A new publication of human text appends a record chained to the first.
    senior = demo["users"]["senior"]
    page.refresh_from_db()
    page.save_revision(user=senior).publish(user=senior)
    records = list(DisclosureRecord.objects.filter(page=page).order_by("sequence"))
    assert [r.sequence for r in records] == [1, 2]
    assert records[0].record_hash == frozen[3] and records[0].evidence == frozen[4]
    assert records[1].previous_hash == records[0].record_hash
    assert _disclosure_violations(page)[0] == []


def test_records_refuse_to_be_changed_or_deleted_through_the_orm(demo):
    record = _record(publish_human(demo))
    record.level = "ai_unreviewed"
    with pytest.raises(ValidationError, match="append-only"):
        record.save()
    with pytest.raises(ValidationError, match="append-only"):
        record.delete()


# Tampering is evident ------------------------------------------------------------------


def _two_records(demo, capture):
    page, _case = publish_ai_approved(demo, capture)
    senior = demo["users"]["senior"]
    page.save_revision(user=senior).publish(user=senior)
    return page, list(DisclosureRecord.objects.filter(page=page).order_by("sequence"))


def test_the_verifier_detects_an_edited_record(demo, capture):
    page, (first, _second) = _two_records(demo, capture)
    DisclosureRecord.objects.filter(pk=first.pk).update(level="human", label_shown=False)
    found, report = _disclosure_violations(page)
    assert any("changed after it was made" in v.message for v in found)
    assert not report.ok
    assert report.verdicts[first.publication_id].startswith("disclosure:")


def test_the_verifier_detects_edited_evidence(demo, capture):
    page, (first, _second) = _two_records(demo, capture)
    evidence = dict(first.evidence, responsible={"user_id": 1, "name": "Somebody else"})
    DisclosureRecord.objects.filter(pk=first.pk).update(evidence=evidence)
    assert any("changed after" in v.message for v in _disclosure_violations(page)[0])


def test_the_verifier_detects_a_forged_record_with_a_recomputed_hash(demo, capture):
    page, (first, second) = _two_records(demo, capture)
    forged = DisclosureRecord.objects.get(pk=first.pk)
    forged.level = "human"
    DisclosureRecord.objects.filter(pk=first.pk).update(
        level="human", record_hash=chain.digest(chain.record_fields(forged))
    )
    found = _disclosure_violations(page)[0]
    assert any("does not link" in v.message for v in found), [v.message for v in found]


def test_the_verifier_detects_a_removed_record(demo, capture):
    page, (first, _second) = _two_records(demo, capture)
    DisclosureRecord.objects.filter(pk=first.pk)._raw_delete(connection.alias)
    messages = [v.message for v in _disclosure_violations(page)[0]]
    assert any("out of sequence" in m for m in messages)
    assert any("no disclosure record" in m for m in messages)


def test_ecm_ops_verify_reports_a_broken_chain(demo, capture):
    import io

    from django.core.management import call_command

    page, (first, _second) = _two_records(demo, capture)
    DisclosureRecord.objects.filter(pk=first.pk).update(ai_share=0.0)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("ecm_ops_verify", stdout=out)
    assert "[disclosure]" in out.getvalue()


# Evidence = audit export; the cost of making it -----------------------------------------


def test_the_evidence_record_matches_its_audit_export_row(demo, client, capture):
    page, _case = publish_ai_approved(demo, capture)
    client.force_login(demo["users"]["admin"])
    url = reverse("ecm_ops:disclosure_evidence", args=[page.pk])
    response = client.get(url, {"format": "json"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    downloaded = json.loads(response.content)
    assert downloaded.pop("verifier") == "ok" and downloaded.pop("chain_intact") is True
    today = timezone.now()
    records = audit_export.audit_records(
        demo["home"], today - timedelta(days=1), today + timedelta(days=1)
    )
    row = next(r for r in records if r["page"]["id"] == page.pk)
    exported = json.loads(json.dumps(row["disclosure"], cls=DjangoJSONEncoder))
    assert exported == downloaded
    assert row["published"]["verdict"] == "ok"
    csv_text = audit_export.to_csv(records)
    assert "ai_generated_reviewed; label shown; exemption applies; record 1 " in csv_text


def _queries_of_disclosure(monkeypatch):
    counted = []
    real = publication_service.record_publication

    def counting(*args, **kwargs):
        with CaptureQueriesContext(connection) as ctx:
            result = real(*args, **kwargs)
        counted.append(len(ctx.captured_queries))
        return result

    monkeypatch.setattr(publication_service, "record_publication", counting)
    return counted


def test_the_disclosure_adds_a_small_constant_number_of_queries(demo, capture, monkeypatch):
    counted = _queries_of_disclosure(monkeypatch)
    publish_human(demo, slug="human-q")
    publish_ai_approved(demo, capture, slug="ai-q1")
    from .review_support import mark_ai, news_page, submit

    other = news_page(
        demo,
        slug="ai-q2",
        title="Another story",
        intro="Other words here.",
        body="<p>Different text the model wrote for a second page.</p>",
    )
    mark_ai(other, draft_by=demo["users"]["editor"])
    case = submit(other, demo["users"]["editor"], capture)
    with capture(execute=True):
        from ecm_ops.services import review as review_service

        review_service.approve(case.pk, demo["users"]["senior"])
    assert counted[0] == 2  # human text: the chain's last hash and the insert
    assert counted[1] == counted[2] == 4, counted  # + the insert: hash, AI index, approvals


# The mapping table itself --------------------------------------------------------------


@pytest.mark.parametrize(
    "basis, share, level, exemption, source",
    [
        ("human", 0.0, "human", False, "digitalCreation"),
        ("review", 0.49, "ai_assisted_reviewed", True, "compositeWithTrainedAlgorithmicMedia"),
        ("review", 0.5, "ai_generated_reviewed", True, "trainedAlgorithmicMedia"),
        ("skipped", 0.2, "ai_unreviewed", False, "compositeWithTrainedAlgorithmicMedia"),
        ("skipped", 1.0, "ai_unreviewed", False, "trainedAlgorithmicMedia"),
        ("override", 0.9, "ai_unreviewed", False, "trainedAlgorithmicMedia"),
    ],
)
def test_the_table_maps_basis_and_share_to_a_level(basis, share, level, exemption, source):
    from ecm_ops.disclosure.levels import derive

    decision = derive(basis, share, "/home/news/x/")
    assert (decision.level, decision.exemption, decision.source_type) == (level, exemption, source)
    assert decision.label_shown == (level in ("ai_generated_reviewed", "ai_unreviewed"))


def test_the_longest_section_prefix_wins_and_never_hides_unreviewed_text(settings):
    from ecm_ops.disclosure.levels import label_shown

    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {
            "SECTIONS": {
                "/home/": {"ai_assisted_reviewed": True, "ai_generated_reviewed": False},
                "/home/news/": {"ai_assisted_reviewed": False},
            }
        },
    }
    assert label_shown("ai_assisted_reviewed", "/home/health/a/")
    assert not label_shown("ai_assisted_reviewed", "/home/news/a/")
    assert not label_shown("ai_generated_reviewed", "/home/news/a/")  # from "/home/"
    assert label_shown("ai_generated_reviewed", "/elsewhere/")
    assert label_shown("ai_unreviewed", "/home/news/a/")
