"""The case screen as the reviewer's one workspace: preview, diffs against the live version and
the AI draft, findings grouped by check, provenance, tier reasons, progress with the eligible
reviewers, earlier rounds, the outcome after the last approval, and escalation when the
quorum is out of reach. Every element is asserted on the rendered HTML, and the screen's query
count does not grow with findings, approvals or rounds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm_ops.models import Approval, DraftRequest, Finding, PromptTemplate, ReviewCase
from ecm_ops.services import case_workspace, findings_summary

from .helpers import log_actions
from .review_support import (
    grant,
    health_page,
    health_tiers,
    make_user,
    mark_ai,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]

LIVE_INTRO = "Most adults need about two litres of fluid a day."
AI_INTRO = "Most adults need about two litres of water a day."
SUBMITTED_INTRO = "Most adults need about two litres of water each day."


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _draft_by(page, user):
    """Record that ``user`` generated an AI draft of ``page`` (a four-eyes conflict)."""
    return DraftRequest.objects.create(
        page=page,
        template_version=PromptTemplate.objects.get(slug="health-advice").versions.first(),
        requester=user,
        brief={"topic": "water"},
        status="succeeded",
    )


@pytest.fixture
def case(demo, capture):
    """A live Health page; the model rewrote its intro; the editor changed one word of the AI
    text and submitted it (Elevated tier: two approvals including Legal)."""
    editor = demo["users"]["editor"]
    page = health_page(demo, intro=LIVE_INTRO)
    page.get_latest_revision().publish()
    page.refresh_from_db()
    page.intro = AI_INTRO
    page.save_revision(user=editor)
    mark_ai(page)
    page.intro = SUBMITTED_INTRO
    page.save_revision(user=editor)
    case = submit(page, editor, capture)
    assert case.state == "awaiting_review", case.outcome_reason
    return case


def _html(client, user, case) -> str:
    client.force_login(user)
    response = client.get(reverse("ecm_ops:review_case", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, marker: str) -> str:
    """The HTML of the diff blocks of one kind (``live`` or ``draft``)."""
    return "".join(re.findall(rf'<details data-ecm-diff="{marker}".*?</details>', html, re.S))


def test_preview_of_the_submitted_revision_is_embedded(demo, case, client):
    html = _html(client, demo["users"]["senior"], case)
    url = reverse("ecm_ops:review_case_preview", args=[case.pk])
    assert f'<iframe src="{url}"' in html
    response = client.get(url)  # the iframe's own page, as the reviewer
    assert response.status_code == 200 and response["X-Frame-Options"] == "SAMEORIGIN"
    assert "two litres of water each day" in response.content.decode()
    history = reverse("wagtailadmin_pages:revisions_view", args=[case.page_id, case.revision_id])
    assert history in html
    # Who may not see the case may not see its preview either.
    outsider = make_user("outsider")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_diff_against_live_and_against_the_ai_draft_shows_inserted_and_deleted_words(
    demo, case, client
):
    html = _html(client, demo["users"]["senior"], case)
    live, draft = _section(html, "live"), _section(html, "draft")
    ins = '<ins><span class="w-sr-only">inserted: </span>{}</ins>'
    dele = '<del><span class="w-sr-only">deleted: </span>{}</del>'
    # Against the live version: "fluid" -> "water", "a" -> "each".
    assert dele.format("fluid") in live and ins.format("water") in live
    assert dele.format("a") in live and ins.format("each") in live
    # Against the AI draft: only the editor's word.
    assert dele.format("a") in draft and ins.format("each") in draft
    assert "fluid" not in draft and dele.format("water") not in draft
    assert "Title — unchanged" in draft


def test_findings_are_grouped_by_check_with_labels_counts_and_collapse(demo, case, client):
    Finding.objects.bulk_create(
        Finding(
            run_id=case.screening_run_id,
            check_id="pii",
            severity="warning",
            message="An email address: check it may be published.",
            excerpt="someone@example.com",
            start=i,
            end=i + 5,
        )
        for i in range(1000)
    )
    Finding.objects.create(
        run_id=case.screening_run_id,
        check_id="claims",
        severity="warning",
        message="A statistic without a source.",
    )
    Finding.objects.bulk_create(  # 200 different messages: five shown, the rest counted
        Finding(run_id=case.screening_run_id, check_id="style", severity="info", message=f"m{i}")
        for i in range(200)
    )
    html = _html(client, demo["users"]["senior"], case)
    style = re.search(r'<details data-ecm-finding-group="style"\s*>.*?</details>', html, re.S)
    assert "Style and terminology" in style.group(0) and "200 findings" in style.group(0)
    assert style.group(0).count("data-ecm-finding>") == 5
    assert "and 195 more different messages" in style.group(0)
    pii = re.search(r'<details data-ecm-finding-group="pii"\s*>.*?</details>', html, re.S)
    assert pii, "a group of 1,000 findings starts collapsed (no 'open')"
    assert "Personal data" in pii.group(0) and "1000 findings" in pii.group(0)
    assert "(×1000)" in pii.group(0)
    assert pii.group(0).count("An email address") == 1
    claims = re.search(r'<details data-ecm-finding-group="claims" open>.*?</details>', html, re.S)
    assert "Claims to verify" in claims.group(0) and "1 finding" in claims.group(0)
    assert "Pre-screen findings (1201)" in html
    assert len(html) < 150_000  # 1,000 identical findings do not make the page huge


def test_check_ids_in_tier_reasons_become_labels():
    reasons = findings_summary.reasons_in_words(
        ["rule “x” (Standard): finding `pii` (warning)"], {"pii": "Personal data"}
    )
    assert reasons == ["rule “x” (Standard): a “Personal data” warning"]
    assert findings_summary.check_label("links.could_not_run", {"links": "Links"}) == (
        "Links: the check could not run"
    )


def test_provenance_per_field_and_the_tier_reasons(demo, case, client):
    html = _html(client, demo["users"]["senior"], case)
    table = re.search(r"<table data-ecm-provenance-table>.*?</table>", html, re.S).group(0)
    assert re.search(r"<td>Intro</td><td>(AI|Mixed)</td><td>\d+%</td><td>10</td>", table)
    assert "Health &amp; Money requires Elevated minimum" in html
    assert "AI-written share" in html


def test_progress_names_the_eligible_reviewers_and_leaves_out_the_conflicted(
    demo, case, client, capture
):
    users = demo["users"]
    carol = make_user("carol")
    grant(carol, health_tiers(demo)["Elevated"])
    _draft_by(case.page, carol)  # she generated a draft: conflicted
    html = _html(client, users["senior"], case)
    line = re.search(r"<p class=\"ecm-ws__progress\" data-ecm-progress>(.*?)</p>", html).group(1)
    assert line == (
        "0 of 2 approvals — waiting for Legal reviewers and 1 more approval; "
        "eligible: Legal, Senior"
    )
    assert "carol" in html.split("Not eligible (conflict of interest")[1][:200]

    with capture(execute=True):
        client.post(reverse("ecm_ops:review_case", args=[case.pk]), {"action": "approve"})
    html = _html(client, users["senior"], case)
    assert "1 of 2 approvals — waiting for Legal reviewers; eligible: Legal" in html
    # The approver who has approved is not offered Approve again.
    assert 'value="approve"' not in html
    assert "You approved this content on" in html
    assert 'value="approve"' in _html(client, users["legal"], case)


def test_after_the_last_approval_it_says_approved_and_published(demo, case, client, capture):
    users = demo["users"]
    for who in ("senior", "legal"):
        client.force_login(users[who])
        with capture(execute=True):
            response = client.post(
                reverse("ecm_ops:review_case", args=[case.pk]), {"action": "approve"}
            )
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "approved"
    html = _html(client, users["legal"], case)
    assert '<p class="ecm-ws__outcome" data-ecm-outcome>Approved and published.</p>' in html
    assert 'value="approve"' not in html


def test_scheduled_content_says_when_it_publishes(demo, capture):
    editor = demo["users"]["editor"]
    page = health_page(demo, slug="scheduled")
    page.go_live_at = timezone.now() + timedelta(days=3)
    page.save_revision(user=editor)
    case = submit(page, editor, capture)
    case.state = "approved"  # what the outcome line reads; the decision path is tested above
    obj = case.revision.as_object()
    assert case_workspace.outcome(case, page, obj).startswith("Approved; publishes at ")


def test_earlier_rounds_are_listed_with_their_outcome_and_comments(demo, case, client, capture):
    from ecm_ops.services import review as review_service

    users = demo["users"]
    with capture(execute=True):
        review_service.request_changes(case.pk, users["senior"], comment="Cite the NHS source.")
    page = case.page.specific
    page.intro = "Adults need about two litres of fluid a day (NHS)."
    page.save_revision(user=users["editor"])
    page.refresh_from_db()
    with capture(execute=True):
        page.current_workflow_state.resume(users["editor"])
    new = ReviewCase.objects.filter(page=page).latest("pk")
    assert new.pk != case.pk
    html = _html(client, users["senior"], new)
    rounds = re.search(r"<ol data-ecm-rounds>.*?</ol>", html, re.S).group(0)
    assert "Changes requested" in rounds and "Cite the NHS source." in rounds
    assert reverse("ecm_ops:review_case", args=[case.pk]) in rounds


def test_unreachable_quorum_says_so_and_escalation_works_and_is_audited(demo, case, client):
    users = demo["users"]
    _draft_by(case.page, users["legal"])  # the only Legal member is now conflicted
    html = _html(client, users["senior"], case)
    assert "This review can no longer reach its quorum." in html
    assert "no member who may approve this case is left" in html
    assert "data-ecm-escalate" in html
    url = reverse("ecm_ops:review_case", args=[case.pk])

    # The requester may not escalate (no authority): refused, nothing changes.
    client.force_login(users["editor"])
    response = client.post(url, {"action": "escalate", "reason": "Please"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "awaiting_review"
    assert "data-ecm-escalate" not in _html(client, users["editor"], case)

    client.force_login(users["senior"])
    assert client.post(url, {"action": "escalate", "reason": " "}).status_code == 400
    response = client.post(url, {"action": "escalate", "reason": "Legal is conflicted."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "escalated" and case.escalation_level == 1
    assert "ecm_ops.review.escalated" in log_actions(case.page)
    from wagtail.models import PageLogEntry

    entry = PageLogEntry.objects.filter(page=case.page, action="ecm_ops.review.escalated").get()
    assert entry.user_id == users["senior"].pk
    assert entry.data["cause"] == "manual" and entry.data["reason"] == "Legal is conflicted."


def test_too_few_eligible_reviewers_is_unreachable(demo, case):
    _draft_by(case.page, demo["users"]["senior"])  # senior conflicted: only Legal is left
    approvals = list(Approval.objects.filter(case=case))
    progress = case_workspace.progress(case, approvals)
    assert not progress.reachable
    assert "1 more approval" not in progress.why_unreachable
    assert "2 more approvals are needed, but only 1 eligible reviewer" in progress.why_unreachable


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def _add(demo, case, n: int, offset: int) -> None:
    """``n`` more findings (a hundred each, over several checks), approvals (on older
    content, so the case stays open) and earlier rounds with their approvals."""
    users = demo["users"]
    Finding.objects.bulk_create(
        Finding(
            run_id=case.screening_run_id,
            check_id=f"c{i % 7}",
            severity=("info", "warning")[i % 2],
            message=f"message {i % 11}",
        )
        for i in range(100 * n)
    )
    tier = health_tiers(demo)["Elevated"]
    for i in range(offset, offset + n):
        reviewer = make_user(f"r{i}")
        grant(reviewer, tier)
        Approval.objects.create(
            case=case, revision=case.revision, content_digest="older", user=reviewer
        )
        old = ReviewCase.objects.create(
            page=case.page,
            revision=case.revision,
            requester=users["editor"],
            state="withdrawn",
            outcome_reason=f"round {i}",
        )
        Approval.objects.create(case=old, revision=case.revision, user=reviewer, comment="ok")


def test_the_screen_costs_the_same_queries_whatever_the_findings_approvals_and_rounds(
    demo, case, client
):
    client.force_login(demo["users"]["senior"])
    url = reverse("ecm_ops:review_case", args=[case.pk])
    _add(demo, case, 1, 0)
    _queries(client, url)  # warm caches (content types, checks)
    before = _queries(client, url)
    _add(demo, case, 9, 1)
    after = _queries(client, url)
    assert len(after) == len(before), "\n".join(after)
