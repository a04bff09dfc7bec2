"""Races around the last approval, on PostgreSQL, with real threads (one database connection
each, closed at the thread's end) released together by a barrier (issue 8, mechanism 4):

* approve vs save: a reviewer's final approval against an editor's new revision, the
  author's autosave rewriting the submitted revision in place, or another reviewer's save;
* approve vs cancel: the final approval against "Cancel workflow";
* approve vs approve: two reviewers giving the last approval (1-of-M on News, the second of
  2-of-M on Health after a first approval).

After every race the outcome must be one consistent state — the case, Wagtail's task and
workflow state, ``page.live`` and the live content agree — and each thread may only have been
refused (``ServiceError``, ``PublicationRefused``, Django's ``PermissionDenied``), never
failed otherwise. After all races the verifier finds no unreviewed publication.

Counts: ``ECM_OPS_RACE_APPROVE_SAVE`` / ``_APPROVE_CANCEL`` / ``_APPROVE_APPROVE``; default
200 / 100 / 100 in CI (``ECM_OPS_REQUIRE_SERVICES=1``), 20 / 10 / 10 locally (each race builds
and submits its own page: about a second each on a loaded two-core machine).
With ``ECM_OPS_RACE_REPORT=path`` the test writes its tallies there as JSON (for the bench).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import traceback
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connections
from wagtail.models import Page, TaskState, WorkflowState

from ecm_ops.content_checks.canonical import canonical_text
from ecm_ops.content_checks.identity import content_digest
from ecm_ops.drafting.provenance import index_ai_text
from ecm_ops.governance.verify import verify
from ecm_ops.models import Publication, ReviewCase
from ecm_ops.services import ServiceError, review
from ecm_ops.services.publication import PublicationRefused
from ecm_ops.states import OPEN_REVIEW_STATES

from .review_support import (
    grant,
    health_page,
    health_tiers,
    make_user,
    news_page,
    news_tiers,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pinned_checks"),
]

CI = os.environ.get("ECM_OPS_REQUIRE_SERVICES") == "1"
APPROVE_SAVE = int(os.environ.get("ECM_OPS_RACE_APPROVE_SAVE", 200 if CI else 20))
APPROVE_CANCEL = int(os.environ.get("ECM_OPS_RACE_APPROVE_CANCEL", 100 if CI else 10))
APPROVE_APPROVE = int(os.environ.get("ECM_OPS_RACE_APPROVE_APPROVE", 100 if CI else 10))
JITTER = float(os.environ.get("ECM_OPS_RACE_JITTER", "0.05"))
REFUSALS = (ServiceError, DjangoPermissionDenied, PublicationRefused)


@pytest.fixture(autouse=True)
def wagtail_baseline(transactional_db):
    """Put back Wagtail's migration data a flush removed (see test_review_concurrency)."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale

    if not Page.objects.exists():
        code = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        locale, _ = Locale.objects.get_or_create(language_code=code)
        Page.add_root(instance=Page(title="Root", slug="root", locale=locale))


@pytest.fixture
def people(demo):
    users = dict(demo["users"])
    users["senior2"] = make_user("senior2")
    for tier in (*news_tiers(demo).values(), *health_tiers(demo).values()):
        grant(users["senior2"], tier)
    from django.contrib.auth.models import Group

    users["legal2"] = make_user("legal2", Group.objects.get(name="Legal reviewers"))
    return users


def race(*actions) -> list[str]:
    """Run the actions in threads released together; each returns "ok", "refused: ..." or
    "ERROR: traceback" (anything that is not a refusal)."""
    barrier = threading.Barrier(len(actions))
    results: list[str] = [""] * len(actions)

    def run(i, action):
        try:
            barrier.wait(timeout=60)
            # Jitter, so both orders (and the overlaps in between) happen.
            time.sleep(random.uniform(0, JITTER))
            action()
            results[i] = "ok"
        except REFUSALS as exc:
            results[i] = f"refused: {type(exc).__name__}"
        except Exception:  # noqa: BLE001 — recorded and asserted on below
            results[i] = "ERROR: " + traceback.format_exc()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def mark_ai(page) -> None:
    """The page's text is model-written: index it as AI output (AI-ness is judged from the
    content, whoever saved it)."""
    doc = canonical_text(page.get_latest_revision_as_object())
    index_ai_text([doc.field_text(name) for name in ("title", "intro", "body")])


def ai_news(demo, slug, capture, users):
    page = news_page(demo, slug=slug)
    mark_ai(page)  # mostly AI-written: Standard tier, one approval
    case = submit(page, users["editor"], capture)
    assert case.state == "awaiting_review", case.outcome_reason
    return page, case


def consistency_problems(page_id: int) -> list[str]:
    """Everything that disagrees between the case(s), Wagtail's workflow and the page."""
    problems = []
    page = Page.objects.get(pk=page_id).specific
    cases = list(ReviewCase.objects.filter(page_id=page_id).select_related("task_state"))
    open_cases = [c for c in cases if c.state in OPEN_REVIEW_STATES]
    if len(open_cases) > 1:
        problems.append(f"{len(open_cases)} open cases")
    for case in cases:
        ts = case.task_state
        if case.state == "approved":
            if ts is None or ts.status != TaskState.STATUS_APPROVED:
                problems.append(f"case {case.pk} approved, task {ts and ts.status}")
            ws = ts.workflow_state if ts else None
            if ws is not None and ws.status not in (WorkflowState.STATUS_APPROVED,):
                problems.append(f"case {case.pk} approved, workflow {ws.status}")
        if case.state in OPEN_REVIEW_STATES:
            if ts is None or ts.status != TaskState.STATUS_IN_PROGRESS:
                problems.append(f"open case {case.pk}, task {ts and ts.status}")
            elif ts.workflow_state.status != WorkflowState.STATUS_IN_PROGRESS:
                problems.append(f"open case {case.pk}, workflow {ts.workflow_state.status}")
        if case.state == "withdrawn" and ts is not None and ts.status == "in_progress":
            problems.append(f"withdrawn case {case.pk} with its task in progress")
    approved = [c for c in cases if c.state == "approved"]
    if page.live:
        last = Publication.objects.filter(page_id=page_id).order_by("-published_at", "-pk").first()
        if last is None or last.content_digest != content_digest(page):
            problems.append("live content is not its last publication")
        if not any(c.content_digest == content_digest(page) for c in approved):
            problems.append("live AI content without an approved case of that content")
        if page.live_revision is None or content_digest(page.live_revision.as_object()) not in {
            c.content_digest for c in approved
        }:
            # the live revision may have been autosaved over after publication: tolerated
            # only when the live page row still holds the approved content (checked above)
            pass
    elif approved:
        problems.append(f"case {approved[-1].pk} approved but the page is not live")
    return problems


def _tally(kind, results, outcome, tallies, errors, problems, page_id):
    tallies[kind][outcome.split("ERROR")[0] + ("ERROR" if "ERROR" in outcome else "")] += 1
    for r in results:
        if r.startswith("ERROR"):
            errors.append(f"{kind} page {page_id}: {r}")
    for p in consistency_problems(page_id):
        problems.append(f"{kind} page {page_id}: {p} ({results})")


def _report(tallies, report):
    """Add this test's tallies to the report file (the three kinds run as separate tests)."""
    path = os.environ.get("ECM_OPS_RACE_REPORT")
    if not path:
        return
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        data = {"races": {}, "publications": 0, "unreviewed_publications": 0}
    for kind, counts in tallies.items():
        merged = Counter(data["races"].get(kind, {})) + counts
        data["races"][kind] = dict(merged)
    data["publications"] += report.publications
    data["unreviewed_publications"] += len(report.violations)
    with open(path, "w") as fh:
        json.dump(data, fh)


def _approve_save(demo, capture, users, tallies, errors, problems):
    for i in range(APPROVE_SAVE):
        page, case = ai_news(demo, f"race-save-{i}", capture, users)
        mode = ("new revision", "autosave", "reviewer edit")[i % 3]

        def save(page=page, mode=mode, i=i):
            fresh = Page.objects.get(pk=page.pk).specific
            latest = fresh.get_latest_revision()
            obj = latest.as_object()
            obj.intro = f"Changed after submission ({i}): the figures were wrong."
            if mode == "autosave":
                obj.save_revision(user=latest.user, overwrite_revision=latest, clean=False)
            else:
                who = users["editor"] if mode == "new revision" else users["senior2"]
                obj.save_revision(user=who, clean=False)

        results = race(lambda case=case: review.approve(case.pk, users["senior"]), save)
        page.refresh_from_db()
        _tally(
            "approve_save",
            results,
            f"{mode}: live={page.live} {results}",
            tallies,
            errors,
            problems,
            page.pk,
        )


def _approve_cancel(demo, capture, users, tallies, errors, problems):
    for i in range(APPROVE_CANCEL):
        page, case = ai_news(demo, f"race-cancel-{i}", capture, users)

        def cancel(page=page):
            state = Page.objects.get(pk=page.pk).current_workflow_state
            if state is None:
                raise ServiceError("no workflow in progress any more")
            state.cancel(user=users["editor"])

        results = race(lambda case=case: review.approve(case.pk, users["senior"]), cancel)
        page.refresh_from_db()
        _tally(
            "approve_cancel",
            results,
            f"live={page.live} {results}",
            tallies,
            errors,
            problems,
            page.pk,
        )


def _approve_approve(demo, capture, users, tallies, errors, problems):
    for i in range(APPROVE_APPROVE):
        if i % 2 == 0:
            page, case = ai_news(demo, f"race-approve-{i}", capture, users)
            a, b = users["senior"], users["senior2"]
        else:
            page = health_page(demo, slug=f"race-approve-{i}")
            mark_ai(page)
            case = submit(page, users["editor"], capture)
            assert case.state == "awaiting_review", case.outcome_reason
            review.approve(case.pk, users["senior"])
            a, b = users["legal"], users["legal2"]
        results = race(
            lambda case=case, a=a: review.approve(case.pk, a),
            lambda case=case, b=b: review.approve(case.pk, b),
        )
        page.refresh_from_db()
        case.refresh_from_db()
        _tally(
            "approve_approve",
            results,
            f"live={page.live} {sorted(results)}",
            tallies,
            errors,
            problems,
            page.pk,
        )
        if case.state != "approved" or sorted(results) != ["ok", "refused: Conflict"]:
            problems.append(f"approve_approve page {page.pk}: {case.state} {results}")


KINDS = {
    "approve_save": _approve_save,
    "approve_cancel": _approve_cancel,
    "approve_approve": _approve_approve,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_races_around_the_last_approval_end_consistent_with_no_unreviewed_publication(
    demo, people, django_capture_on_commit_callbacks, kind
):
    """One kind of race per test (so ``pytest -n 2`` spreads them over both cores)."""
    tallies = {kind: Counter()}
    errors: list[str] = []
    problems: list[str] = []
    KINDS[kind](demo, django_capture_on_commit_callbacks, people, tallies, errors, problems)
    report = verify()
    _report(tallies, report)
    print({k: dict(v) for k, v in tallies.items()})
    assert errors == [], "\n".join(errors[:5])
    assert problems == [], "\n".join(problems[:20])
    assert report.violations == [], [v.as_dict() for v in report.violations[:10]]
