"""Fenced jobs (issue 8, part 7): an attempt the reaper re-queued while it still ran writes
nothing; every provider call is recorded; a killed worker or a lost Redis ends in exactly one
result; a submit screening the reaper gives up on sends its review case back to the editor.

The stalled-job tests interleave two attempts in one process: attempt 1 is paused at a hook
(the provider call, or the checks); there the real reaper runs with a clock past
``REAPER_STALE_AFTER``, re-queues the row and (inline backend) runs attempt 2 to the end;
then attempt 1 resumes and tries to finish.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from wagtail.models import Revision

from ecm_ops import conf
from ecm_ops.drafting.service import process_draft_request, request_draft
from ecm_ops.jobs import claims, outbox
from ecm_ops.jobs.reaper import reap
from ecm_ops.models import DraftRequest, FieldProvenance, Finding, ScreeningRun
from ecm_ops.models.drafts import ProviderCall
from ecm_ops.providers.offline import OfflineProvider
from ecm_ops.services import screening
from ecm_ops.services.screening import process_screening_run, request_screening

from .conftest import run_worker
from .helpers import log_actions
from .review_support import news_page, submit

pytestmark = pytest.mark.django_db

BRIEF = {"topic": "night buses", "audience": "commuters", "key_points": ["More buses"]}
DEAD_REDIS = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}
CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]
#: Text the two checks above find things in (so duplicate findings would show).
FLAGGED_BODY = (
    "<p>As an AI language model, I cannot confirm this. Write to jane.doe@example.com "
    "or call 020 7946 0958.</p>"
)


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the job: nothing after it runs, no handler."""


class CountingProvider(OfflineProvider):
    """The offline provider, counting its invocations (in a file when ``ledger`` is set, so a
    forked worker's calls count too) and running ``hook(n)`` before answering call ``n``."""

    name = "counting"
    invocations = 0
    hook = None
    ledger: Path | None = None

    def generate(self, request):
        cls = type(self)
        cls.invocations += 1
        n = cls.invocations
        if cls.ledger is not None:  # across processes: the n-th line written is call n
            n = tally(cls.ledger)
        if cls.hook is not None:
            cls.hook(n)
        return super().generate(request)


class RubricCountingProvider(CountingProvider):
    rubric_calls = 0

    def rubric(self, request):
        type(self).rubric_calls += 1
        return super().rubric(request)


def tally(ledger: Path) -> int:
    """Append a line to ``ledger`` (atomically) and return how many lines it has now."""
    with ledger.open("a") as f:
        f.write("call\n")
    return len(ledger.read_text().splitlines())


@pytest.fixture
def counting(settings):
    CountingProvider.invocations, CountingProvider.hook, CountingProvider.ledger = 0, None, None
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "PROVIDER": "tests.test_job_fencing.CountingProvider",
        "CHECKS": CHECKS,
    }
    yield CountingProvider
    CountingProvider.hook = None


def later() -> timezone.datetime:
    """A reaper clock well past the stale threshold of everything running now."""
    return timezone.now() + timedelta(seconds=conf.get("REAPER_STALE_AFTER") + 60)


def page_revisions(page) -> int:
    return Revision.page_revisions.filter(object_id=str(page.pk)).count()


@pytest.fixture
def finish_results(monkeypatch):
    """Every ``claims.finish`` call's (model, attempt, returned)."""
    seen: list[tuple[str, int, bool]] = []
    real = claims.finish

    def spy(row, *args, **kwargs):
        result = real(row, *args, **kwargs)
        seen.append((row._meta.model_name, row.attempts, result))
        return result

    monkeypatch.setattr(claims, "finish", spy)
    return seen


def queued_draft(page, user, capture) -> DraftRequest:
    with capture(execute=False):
        return request_draft(page, "news-explainer", BRIEF, user)


def assert_one_draft_result(draft, page, revisions_before, provider):
    draft.refresh_from_db()
    assert draft.status == "succeeded", draft.error
    assert page_revisions(page) == revisions_before + 1, "a second draft revision was written"
    rows = FieldProvenance.objects.filter(draft=draft)
    assert rows.values("revision").distinct().count() == 1
    assert list(rows.values_list("revision_id", flat=True).distinct()) == [draft.revision_id]
    calls = ProviderCall.objects.filter(draft=draft)
    assert calls.count() == provider.invocations, "a provider call went unrecorded"
    assert draft.input_tokens == sum(c.input_tokens for c in calls) > 0
    assert draft.output_tokens == sum(c.output_tokens for c in calls) > 0
    assert log_actions(page).count("ecm_ops.draft.succeeded") == 1
    assert ScreeningRun.objects.filter(revision=draft.revision, trigger="draft").count() == 1


# -- the fence itself ---------------------------------------------------------------------


def test_finish_by_a_stale_attempt_changes_nothing(demo):
    page = news_page(demo)
    run = ScreeningRun.objects.create(page=page, trigger="cli")
    first = claims.claim(ScreeningRun, run.pk)
    assert first.attempts == 1
    reap(now=later())  # the reaper thinks attempt 1's worker died and re-queues the row...
    # ... (inline backend) and attempt 2 ran it to the end already.
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("succeeded", 2)
    finished_at, score = run.finished_at, run.score
    assert claims.finish(first, "failed", error="stale", score=99.0) is False
    assert claims.hold(first) is False
    run.refresh_from_db()
    assert (run.status, run.error, run.finished_at, run.score) == (
        "succeeded",
        "",
        finished_at,
        score,
    )


def test_two_claims_of_a_re_queued_row_get_different_tokens(demo):
    page = news_page(demo)
    run = ScreeningRun.objects.create(page=page, trigger="cli")
    first = claims.claim(ScreeningRun, run.pk)
    ScreeningRun.objects.filter(pk=run.pk).update(status="queued")  # the reaper's reset
    second = claims.claim(ScreeningRun, run.pk)
    assert (first.attempts, second.attempts) == (1, 2)
    assert claims.finish(first, "succeeded") is False
    assert claims.finish(second, "succeeded") is True
    assert claims.finish(second, "failed") is False  # finished once


# -- a stalled job: reaper re-queues it while it still runs --------------------------------


def test_stalled_screening_attempt_writes_no_duplicate_findings(
    demo, counting, monkeypatch, django_capture_on_commit_callbacks, finish_results
):
    page = news_page(demo, body=FLAGGED_BODY)
    with django_capture_on_commit_callbacks(execute=False):
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    real_screen = screening.screen_object
    calls = []

    def stall_first_attempt(*args, **kwargs):
        result = real_screen(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # attempt 1 has screened; it stalls here past the threshold
            reap(now=later())  # re-queues the run; (inline) attempt 2 runs it to the end
        return result

    monkeypatch.setattr(screening, "screen_object", stall_first_attempt)
    assert process_screening_run(run.pk) is None  # attempt 1, resumed: stale, no result
    run.refresh_from_db()
    assert (run.status, run.attempts, len(calls)) == ("succeeded", 2, 2)
    findings = list(Finding.objects.filter(run=run).values_list("check_id", "field", "start"))
    _, once = real_screen(run.revision.as_object(), page=page)
    assert findings, "the text must produce findings, or duplicates could not show"
    assert len(findings) == len(set(findings)) == len(once)
    assert log_actions(page).count("ecm_ops.screening.finished") == 1
    assert ("screeningrun", 2, True) in finish_results
    assert not [r for r in finish_results if r[0] == "screeningrun" and r[1] == 1 and r[2]]


def test_llm_rubric_calls_of_a_stalled_screening_attempt_are_recorded(
    demo, counting, settings, monkeypatch, django_capture_on_commit_callbacks
):
    RubricCountingProvider.rubric_calls = 0
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "PROVIDER": "tests.test_job_fencing.RubricCountingProvider",
        "CHECKS": [*CHECKS, "ecm_ops.content_checks.llm_rubric.LLMRubricCheck"],
    }
    page = news_page(demo, body=FLAGGED_BODY)
    with django_capture_on_commit_callbacks(execute=False):
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    real_screen = screening.screen_object
    calls = []

    def stall_first_attempt(*args, **kwargs):
        result = real_screen(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            reap(now=later())
        return result

    monkeypatch.setattr(screening, "screen_object", stall_first_attempt)
    assert process_screening_run(run.pk) is None  # the stalled attempt: its meta is discarded
    run.refresh_from_db()
    assert run.status == "succeeded" and run.meta["llm_rubric"]["input_tokens"] > 0
    recorded = ProviderCall.objects.filter(screening_run=run)
    assert RubricCountingProvider.rubric_calls == 2
    assert sorted(recorded.values_list("attempt", flat=True)) == [1, 2]
    assert all(c.input_tokens == run.meta["llm_rubric"]["input_tokens"] for c in recorded)


def test_stale_screening_attempt_past_the_lock_is_rolled_back_by_the_fenced_finish(
    demo, counting, monkeypatch, django_capture_on_commit_callbacks, finish_results
):
    """Belt and braces: even if the stale attempt got past ``hold`` (a database without row
    locks, a race), its findings are written in the transaction that its failed finish rolls
    back."""
    page = news_page(demo, body=FLAGGED_BODY)
    with django_capture_on_commit_callbacks(execute=False):
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    first = claims.claim(ScreeningRun, run.pk)
    ScreeningRun.objects.filter(pk=run.pk).update(status="queued")  # reaper's reset
    process_screening_run(run.pk)  # attempt 2 finishes first
    run.refresh_from_db()
    winners = Finding.objects.filter(run=run).count()
    assert run.status == "succeeded" and winners > 0
    monkeypatch.setattr(claims, "hold", lambda row: True)
    # Attempt 1 resumes from its claim: run its tail (screen, write, finish) as the job does.
    monkeypatch.setattr(claims, "claim", lambda model, pk: first)
    assert process_screening_run(run.pk) is None
    assert Finding.objects.filter(run=run).count() == winners
    assert ("screeningrun", 1, False) in finish_results
    assert log_actions(page).count("ecm_ops.screening.finished") == 1


def test_stalled_draft_attempt_writes_no_second_revision(
    demo, counting, django_capture_on_commit_callbacks, finish_results
):
    page = news_page(demo)
    draft = queued_draft(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    before = page_revisions(page)

    def stall(n):
        if n == 1:  # attempt 1 waits on the provider past the threshold
            assert reap(now=later())["draftrequest"] == 1  # attempt 2 runs meanwhile

    counting.hook = stall
    process_draft_request(draft.pk)  # attempt 1 resumes after attempt 2 finished
    assert counting.invocations == 2
    assert_one_draft_result(draft, page, before, counting)
    assert draft.attempts == 2
    assert sorted(ProviderCall.objects.filter(draft=draft).values_list("attempt", flat=True)) == [
        1,
        2,
    ]
    assert [r for r in finish_results if r[0] == "draftrequest"] == [("draftrequest", 2, True)]


def test_stale_draft_attempt_past_the_lock_is_rolled_back_by_the_fenced_finish(
    demo, counting, monkeypatch, django_capture_on_commit_callbacks, finish_results
):
    page = news_page(demo)
    draft = queued_draft(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    before = page_revisions(page)
    first = claims.claim(DraftRequest, draft.pk)
    DraftRequest.objects.filter(pk=draft.pk).update(status="queued")  # reaper's reset
    process_draft_request(draft.pk)  # attempt 2
    monkeypatch.setattr(claims, "hold", lambda row: True)
    monkeypatch.setattr(claims, "claim", lambda model, pk: first)
    process_draft_request(draft.pk)  # attempt 1's tail
    assert counting.invocations == 2
    assert_one_draft_result(draft, page, before, counting)
    assert ("draftrequest", 1, False) in finish_results


def reset_by_the_reaper_without_running(settings, model, pk):
    """The real reaper re-queues the row; its re-enqueue goes nowhere (Redis down), so the
    test decides when attempt 2 runs."""
    ecm_ops, queues = settings.ECM_OPS, getattr(settings, "RQ_QUEUES", {})
    settings.RQ_QUEUES = DEAD_REDIS
    settings.ECM_OPS = {**ecm_ops, "JOB_BACKEND": "rq"}
    reap(now=later())
    assert model.objects.get(pk=pk).status == "queued"
    settings.ECM_OPS, settings.RQ_QUEUES = ecm_ops, queues


def resume_stale_attempt(monkeypatch, first, job, pk):
    """Run the rest of attempt ``first`` (the job body after its claim)."""
    with monkeypatch.context() as m:
        m.setattr(claims, "claim", lambda model, key: first)
        return job(pk)


def test_stale_draft_attempt_resuming_while_the_new_attempt_runs_is_refused(
    demo, counting, settings, monkeypatch, django_capture_on_commit_callbacks, finish_results
):
    page = news_page(demo)
    draft = queued_draft(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    before = page_revisions(page)
    first = claims.claim(DraftRequest, draft.pk)  # attempt 1 stalls right after its claim
    reset_by_the_reaper_without_running(settings, DraftRequest, draft.pk)

    def attempt_1_resumes(n):
        if n == 1:  # attempt 2 is waiting on the provider: attempt 1 runs to its end now
            resume_stale_attempt(monkeypatch, first, process_draft_request, draft.pk)

    counting.hook = attempt_1_resumes
    process_draft_request(draft.pk)  # attempt 2
    assert counting.invocations == 2
    assert_one_draft_result(draft, page, before, counting)
    assert [r for r in finish_results if r[0] == "draftrequest"] == [("draftrequest", 2, True)]
    assert FieldProvenance.objects.filter(draft=draft).exists()


def test_stale_screening_attempt_resuming_while_the_new_attempt_runs_is_refused(
    demo, counting, settings, monkeypatch, django_capture_on_commit_callbacks, finish_results
):
    page = news_page(demo, body=FLAGGED_BODY)
    with django_capture_on_commit_callbacks(execute=False):
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    first = claims.claim(ScreeningRun, run.pk)
    reset_by_the_reaper_without_running(settings, ScreeningRun, run.pk)
    real_screen = screening.screen_object
    calls = []

    def attempt_1_resumes(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # attempt 2 is screening: attempt 1 runs to its end now
            assert resume_stale_attempt(monkeypatch, first, process_screening_run, run.pk) is None
        return real_screen(*args, **kwargs)

    monkeypatch.setattr(screening, "screen_object", attempt_1_resumes)
    assert process_screening_run(run.pk).status == "succeeded"  # attempt 2
    findings = list(Finding.objects.filter(run=run).values_list("check_id", "field", "start"))
    assert findings and len(findings) == len(set(findings))
    assert [r for r in finish_results if r[0] == "screeningrun"] == [("screeningrun", 2, True)]
    assert log_actions(page).count("ecm_ops.screening.finished") == 1


# -- a killed worker, a lost Redis ---------------------------------------------------------


def test_killed_draft_worker_is_recovered_once_and_its_call_is_recorded(
    demo, counting, monkeypatch, django_capture_on_commit_callbacks
):
    page = news_page(demo)
    draft = queued_draft(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    before = page_revisions(page)
    from ecm_ops.drafting import service

    real_apply = service.apply_fields
    killed = []

    def die_once(*args, **kwargs):  # the provider has answered (and been billed)
        if not killed:
            killed.append(1)
            raise WorkerKilled
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(service, "apply_fields", die_once)
    with pytest.raises(WorkerKilled):
        process_draft_request(draft.pk)
    draft.refresh_from_db()
    assert draft.status == "running" and draft.revision_id is None
    assert ProviderCall.objects.filter(draft=draft, attempt=1).count() == 1
    assert reap()["draftrequest"] == 0  # not stale yet: left alone
    assert reap(now=later())["draftrequest"] == 1
    assert reap(now=later())["draftrequest"] == 0  # nothing left to recover
    assert counting.invocations == 2
    assert_one_draft_result(draft, page, before, counting)


def test_killed_screening_worker_is_recovered_with_one_set_of_findings(
    demo, counting, monkeypatch, django_capture_on_commit_callbacks
):
    page = news_page(demo, body=FLAGGED_BODY)
    with django_capture_on_commit_callbacks(execute=False):
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    real_bulk = Finding.objects.bulk_create
    killed = []

    def die_while_writing(rows, *args, **kwargs):
        real_bulk(rows, *args, **kwargs)  # half-way through the result transaction
        if not killed:
            killed.append(1)
            raise WorkerKilled
        return rows

    monkeypatch.setattr(Finding.objects, "bulk_create", die_while_writing)
    with pytest.raises(WorkerKilled):
        process_screening_run(run.pk)
    run.refresh_from_db()
    assert run.status == "running" and not Finding.objects.filter(run=run).exists()
    assert reap(now=later())["screeningrun"] == 1
    run.refresh_from_db()
    findings = list(Finding.objects.filter(run=run).values_list("check_id", "field", "start"))
    assert run.status == "succeeded" and run.attempts == 2
    assert findings and len(findings) == len(set(findings))
    assert log_actions(page).count("ecm_ops.screening.finished") == 1


def test_redis_down_at_enqueue_the_row_waits_and_the_reaper_runs_it_once(
    demo, counting, settings, django_capture_on_commit_callbacks
):
    page = news_page(demo)
    before = page_revisions(page)
    settings.RQ_QUEUES = DEAD_REDIS
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    with django_capture_on_commit_callbacks(execute=True):
        draft = request_draft(page, "news-explainer", BRIEF, demo["users"]["editor"])
    draft.refresh_from_db()
    assert (draft.status, draft.attempts, counting.invocations) == ("queued", 0, 0)
    assert reap(now=later())["draftrequest"] == 1  # Redis still down: still queued
    draft.refresh_from_db()
    assert draft.status == "queued" and counting.invocations == 0
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "inline"}  # Redis is back
    assert reap(now=later())["draftrequest"] == 1
    assert reap(now=later())["draftrequest"] == 0
    assert counting.invocations == 1
    assert_one_draft_result(draft, page, before, counting)


def test_a_failed_provider_call_is_recorded_and_counted(demo, counting, settings):
    from ecm_ops.drafting.budgets import tokens_used
    from ecm_ops.providers import ProviderError, Usage

    def refuse(n):
        raise ProviderError("refused", usage=Usage(input_tokens=70, output_tokens=5))

    counting.hook = refuse
    page = news_page(demo)
    since = timezone.now() - timedelta(hours=1)
    used_before = tokens_used(since)
    draft = request_draft(page, "news-explainer", BRIEF, demo["users"]["editor"])
    process_draft_request(draft.pk)
    draft.refresh_from_db()
    call = ProviderCall.objects.get(draft=draft)
    assert draft.status == "failed" and not call.ok and call.error
    assert (
        (draft.input_tokens, draft.output_tokens)
        == (70, 5)
        == (
            call.input_tokens,
            call.output_tokens,
        )
    )
    assert tokens_used(since) == used_before + 75


# -- the reaper's give-up on a submit screening ----------------------------------------------


def test_reaper_give_up_sends_the_submit_case_back_with_a_message(
    demo, settings, django_capture_on_commit_callbacks
):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": CHECKS, "MAX_ATTEMPTS": 2}
    page = news_page(demo)
    settings.RQ_QUEUES = DEAD_REDIS  # the submit screening's job is lost
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    case = submit(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    assert case.state == "screening"
    run = case.screening_run
    ScreeningRun.objects.filter(pk=run.pk).update(
        status="running", attempts=2, started_at=timezone.now() - timedelta(hours=1)
    )  # its last attempt's worker died
    reap(now=later())
    run.refresh_from_db()
    case.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("Gave up after 2 attempts")
    assert case.state == "changes_requested"
    assert "The mandatory pre-screen could not run: Gave up after 2" in case.outcome_reason
    assert case.task_state.status == "rejected"
    assert "ecm_ops.review.changes_requested" in log_actions(page)


# -- job timeouts --------------------------------------------------------------------------


def test_job_timeouts_shorter_than_the_stale_threshold_are_refused_otherwise():
    timeouts = conf.get("JOB_TIMEOUTS")
    stale = conf.get("REAPER_STALE_AFTER")
    assert set(timeouts) == {
        "draftrequest",
        "screeningrun",
        "monitoringcheck",
        "escalationtimer",
        "sweeprun",
        "sweepchunk",
        "evaluationrun",
        "rolluprun",
    }
    assert all(0 < t < stale for t in timeouts.values())
    with override_settings(ECM_OPS={"REAPER_STALE_AFTER": 240}):
        with pytest.raises(ImproperlyConfigured, match="draftrequest.*REAPER_STALE_AFTER"):
            conf.get("QUEUE")
    with override_settings(ECM_OPS={"JOB_TIMEOUTS": {"screeningrun": 300}}):
        with pytest.raises(ImproperlyConfigured, match="screeningrun"):
            conf.get("QUEUE")
    with override_settings(
        ECM_OPS={"REAPER_STALE_AFTER": 900, "JOB_TIMEOUTS": {"draftrequest": 600}}
    ):
        assert outbox.job_timeout(DraftRequest) == 600


def test_jobs_are_enqueued_with_their_models_timeout(demo, settings, monkeypatch):
    enqueued = []

    class Queue:
        def enqueue(self, func, pk, **kwargs):
            enqueued.append(kwargs)

    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    monkeypatch.setattr(outbox, "get_queue", lambda: Queue())
    page = news_page(demo)
    run = ScreeningRun.objects.create(page=page, trigger="cli")
    outbox.enqueue_now(ScreeningRun, run.pk)
    assert enqueued[0]["job_timeout"] == 120 < conf.get("REAPER_STALE_AFTER")


# -- real processes: a forked RQ worker stalls, the reaper re-queues, another worker wins -----


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stall_until(go: Path):
    """A hook that stalls the first call (the forked worker's attempt) until ``go`` exists."""

    def hook(n: int) -> None:
        if n == 1:
            wait_for(go.exists, "the test to release the stalled attempt")

    return hook


def start_forked_worker(queue):
    """ecm_ops's RQ worker (which forks a work horse per job) in a process of its own."""
    from django.db import connections

    from ecm_ops.jobs.worker import Worker

    connections.close_all()  # the children must not share this process's socket

    def work():
        Worker([queue], connection=queue.connection).work(burst=True)

    process = multiprocessing.get_context("fork").Process(target=work, daemon=True)
    process.start()
    return process


def stalled_in_a_real_worker(queue, tmp_path, model, pk):
    """Start a forked worker on ``model`` ``pk`` whose attempt stalls, re-queue the row with the
    reaper past the threshold, run attempt 2 in another worker to the end, release attempt 1
    and wait for its process. Returns (attempt 1's process exit code, the row)."""
    go = tmp_path / "go"
    worker = start_forked_worker(queue)
    try:
        wait_for(lambda: model.objects.get(pk=pk).status == "running", "attempt 1 to start")
        wait_for(lambda: len((tmp_path / "ledger").read_text().splitlines()) >= 1, "stall")
        assert reap(now=later())[model._meta.model_name] == 1
        assert model.objects.get(pk=pk).status == "queued"
        run_worker(queue)  # attempt 2, in this process, finishes first
        assert model.objects.get(pk=pk).status == "succeeded"
        go.touch()
        worker.join(90)
    finally:
        go.touch()
        if worker.is_alive():
            worker.kill()
    return worker.exitcode, model.objects.get(pk=pk)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_stalled_draft_writes_no_second_revision(demo, counting, rq_queue, tmp_path):
    counting.ledger = tmp_path / "ledger"
    counting.ledger.touch()
    counting.hook = stall_until(tmp_path / "go")
    page = news_page(demo)
    before = page_revisions(page)
    draft = request_draft(page, "news-explainer", BRIEF, demo["users"]["editor"])
    exitcode, draft = stalled_in_a_real_worker(rq_queue, tmp_path, DraftRequest, draft.pk)
    assert exitcode == 0
    calls = len(counting.ledger.read_text().splitlines())
    assert calls == 2
    counting.invocations = calls  # for the shared assertion: calls made in both processes
    assert draft.attempts == 2
    assert_one_draft_result(draft, page, before, counting)
    assert sorted(ProviderCall.objects.filter(draft=draft).values_list("attempt", flat=True)) == [
        1,
        2,
    ]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_stalled_screening_writes_no_duplicate_findings(
    demo, counting, rq_queue, tmp_path, monkeypatch
):
    ledger, go = tmp_path / "ledger", tmp_path / "go"
    ledger.touch()
    real_screen = screening.screen_object
    hook = stall_until(go)

    def stalling_screen(*args, **kwargs):
        result = real_screen(*args, **kwargs)
        hook(tally(ledger))
        return result

    monkeypatch.setattr(screening, "screen_object", stalling_screen)
    page = news_page(demo, body=FLAGGED_BODY)
    with transaction.atomic():
        run = request_screening(page, trigger="cli", revision=page.get_latest_revision())
    exitcode, run = stalled_in_a_real_worker(rq_queue, tmp_path, ScreeningRun, run.pk)
    assert exitcode == 0
    assert len(ledger.read_text().splitlines()) == 2  # both attempts screened
    findings = list(Finding.objects.filter(run=run).values_list("check_id", "field", "start"))
    _, once = real_screen(run.revision.as_object(), page=page)
    assert findings and len(findings) == len(set(findings)) == len(once)
    assert run.attempts == 2
    assert log_actions(page).count("ecm_ops.screening.finished") == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_killed_after_the_provider_call_is_recovered_once_and_billed(
    demo, counting, rq_queue, tmp_path, monkeypatch
):
    from ecm_ops.drafting import service

    counting.ledger = tmp_path / "ledger"
    counting.ledger.touch()
    pid_file = tmp_path / "horse.pid"
    real_apply = service.apply_fields

    def stall_first(*args, **kwargs):  # after the provider answered: kill me here
        if not pid_file.exists():
            pid_file.write_text(str(os.getpid()))
            wait_for(lambda: False, "the SIGKILL", timeout=60)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(service, "apply_fields", stall_first)
    page = news_page(demo)
    before = page_revisions(page)
    draft = request_draft(page, "news-explainer", BRIEF, demo["users"]["editor"])
    worker = start_forked_worker(rq_queue)
    try:
        wait_for(pid_file.exists, "the work horse to reach the stall")
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        worker.join(60)
    finally:
        if worker.is_alive():
            worker.kill()
    draft.refresh_from_db()
    assert draft.status == "running" and draft.revision_id is None  # left by the dead horse
    assert ProviderCall.objects.filter(draft=draft, attempt=1).count() == 1  # billed anyway
    assert reap(now=later())["draftrequest"] == 1
    run_worker(rq_queue)
    counting.invocations = len(counting.ledger.read_text().splitlines())
    assert counting.invocations == 2
    assert_one_draft_result(draft, page, before, counting)
