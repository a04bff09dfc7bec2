"""The outbox and the reaper: every job is a row first, enqueued on commit; the reaper recovers
what Redis or a dead worker lost; job ids are per row, so re-enqueueing is idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ecm_ops.drafting.service import request_draft
from ecm_ops.jobs import claims, outbox
from ecm_ops.jobs.entrypoints import run_draft_request
from ecm_ops.jobs.reaper import WORK_MODELS, reap
from ecm_ops.models import (
    DraftRequest,
    MonitoringCheck,
    PromptTemplate,
    ScreeningRun,
)
from sandbox_site.content.models import NewsArticle

from .conftest import run_worker
from .helpers import log_actions

DEAD_REDIS = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}
BRIEF = {"topic": "night buses", "audience": "commuters", "key_points": ["More buses"]}


@pytest.fixture
def page(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


@pytest.fixture
def editor(demo):
    return demo["users"]["editor"]


def make_draft(page, user, **fields) -> DraftRequest:
    """A draft row written straight to the table (no job), then aged as the test needs."""
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    draft = DraftRequest.objects.create(
        page=page, template_version=version, requester=user, brief=BRIEF
    )
    if fields:
        DraftRequest.objects.filter(pk=draft.pk).update(**fields)
        draft.refresh_from_db()
    return draft


def ago(seconds: int):
    return timezone.now() - timedelta(seconds=seconds)


# -- the outbox ---------------------------------------------------------------------------------


def test_the_row_is_written_first_and_enqueued_only_on_commit(
    page, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        draft = request_draft(page, "news-explainer", BRIEF, editor)
        row = DraftRequest.objects.get(pk=draft.pk)
        # Inside the transaction: the row exists, nothing is enqueued or run yet.
        assert row.status == "queued" and row.enqueued_at is None and row.attempts == 0
    assert callbacks[0].func is outbox.enqueue_now
    assert callbacks[0].args == (DraftRequest, draft.pk)
    row.refresh_from_db()
    # After commit the (inline) backend ran it.
    assert row.enqueued_at is not None
    assert row.status == "succeeded", row.error
    assert row.attempts == 1


def test_a_rolled_back_transaction_enqueues_nothing(
    page, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                request_draft(page, "news-explainer", BRIEF, editor)
                raise RuntimeError("the web action failed after writing the row")
    assert callbacks == []
    assert not DraftRequest.objects.exists()
    assert "ecm_ops.draft.requested" not in log_actions(page)


def test_redis_down_at_enqueue_time_the_web_action_still_succeeds(
    page, editor, client, settings, caplog, django_capture_on_commit_callbacks
):
    settings.RQ_QUEUES = DEAD_REDIS
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    client.force_login(editor)
    with caplog.at_level(logging.ERROR, logger="ecm_ops.jobs"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("ecm_ops:generate", args=[page.pk]),
                {"template": "news-explainer", "topic": "night buses"},
            )
    draft = DraftRequest.objects.get(page=page)
    assert response.status_code == 302
    assert response.url == reverse("ecm_ops:draft_status", args=[draft.pk])
    assert draft.status == "queued" and draft.attempts == 0 and draft.error == ""
    assert "Could not enqueue DraftRequest" in caplog.text
    assert client.get(response.url).status_code == 200

    # While Redis stays down the reaper keeps the row queued (and pushes its deadline on).
    DraftRequest.objects.filter(pk=draft.pk).update(enqueued_at=ago(3600))
    assert reap()["draftrequest"] == 1
    draft.refresh_from_db()
    assert draft.status == "queued" and draft.enqueued_at > ago(60)


# -- the reaper ---------------------------------------------------------------------------------


def test_reaper_re_enqueues_rows_stuck_queued_past_the_deadline(page, editor, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "REAPER_STALE_AFTER": 300}
    stuck = make_draft(page, editor, enqueued_at=ago(301))
    never_enqueued = make_draft(page, editor, created_at=ago(400))
    fresh = make_draft(page, editor, enqueued_at=ago(100))
    counts = reap()
    assert counts["draftrequest"] == 2
    for draft in (stuck, never_enqueued, fresh):
        draft.refresh_from_db()
    # The inline backend ran the re-enqueued rows; the fresh one is left to its queue.
    assert stuck.status == "succeeded" and never_enqueued.status == "succeeded"
    assert fresh.status == "queued" and fresh.attempts == 0


def test_reaper_resets_rows_stuck_running_whose_worker_died(page, editor, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    settings.RQ_QUEUES = DEAD_REDIS  # observe the reset alone: the re-enqueue goes nowhere
    dead = make_draft(page, editor, status="running", attempts=1, started_at=ago(900))
    dead.enqueued_at = ago(900)
    dead.save(update_fields=["enqueued_at"])
    alive = make_draft(
        page, editor, status="running", attempts=1, started_at=ago(10), enqueued_at=ago(10)
    )
    assert reap()["draftrequest"] == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "queued" and dead.attempts == 1
    assert alive.status == "running"


def test_a_reset_row_is_processed_again(page, editor):
    dead = make_draft(
        page, editor, status="running", attempts=1, started_at=ago(900), enqueued_at=ago(900)
    )
    reap()
    dead.refresh_from_db()
    assert dead.status == "succeeded", dead.error
    assert dead.attempts == 2


def test_rows_past_max_attempts_fail_with_a_readable_reason(page, editor, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "MAX_ATTEMPTS": 3}
    exhausted = make_draft(page, editor, attempts=3, enqueued_at=ago(900))
    crashed_last_try = make_draft(
        page, editor, status="running", attempts=3, started_at=ago(900), enqueued_at=ago(900)
    )
    one_more_try = make_draft(page, editor, attempts=2, enqueued_at=ago(900))
    assert reap()["draftrequest"] == 1
    for draft in (exhausted, crashed_last_try, one_more_try):
        draft.refresh_from_db()
    for draft in (exhausted, crashed_last_try):
        assert draft.status == "failed"
        assert draft.finished_at is not None
        assert draft.error.startswith("Gave up after 3 attempts")
        assert "Check the worker logs" in draft.error
    assert one_more_try.status == "succeeded"


def test_reaper_leaves_finished_and_not_yet_due_work_alone(page, editor, demo):
    done = make_draft(page, editor, status="succeeded", attempts=1, enqueued_at=ago(900))
    cancelled = make_draft(page, editor, status="cancelled", enqueued_at=ago(900))
    live = NewsArticle.objects.get(slug="city-opens-new-library")
    later = MonitoringCheck.objects.create(
        page=live, due_at=timezone.now() + timedelta(hours=1), enqueued_at=ago(900)
    )
    counts = reap()
    assert counts == {m._meta.model_name: 0 for m in WORK_MODELS}
    done.refresh_from_db()
    cancelled.refresh_from_db()
    later.refresh_from_db()
    assert (done.status, cancelled.status, later.status) == ("succeeded", "cancelled", "queued")


def test_every_work_model_names_an_importable_entry_point():
    from django.utils.module_loading import import_string

    assert {DraftRequest, ScreeningRun, MonitoringCheck} <= set(WORK_MODELS)
    for model in WORK_MODELS:
        assert callable(import_string(model.job_entrypoint)), model


# -- idempotency --------------------------------------------------------------------------------


def test_job_ids_are_one_per_row():
    assert outbox.job_id(DraftRequest, 7) == outbox.job_id(DraftRequest, 7)
    assert outbox.job_id(DraftRequest, 7) != outbox.job_id(DraftRequest, 8)
    assert outbox.job_id(DraftRequest, 7) != outbox.job_id(ScreeningRun, 7)


def test_a_row_is_claimed_once(page, editor):
    draft = make_draft(page, editor)
    assert claims.claim(DraftRequest, draft.pk) is not None
    assert claims.claim(DraftRequest, draft.pk) is None  # a second worker gets nothing
    draft.refresh_from_db()
    assert draft.status == "running" and draft.attempts == 1


def test_a_job_for_a_missing_or_finished_row_does_nothing(page, editor):
    run_draft_request(987654)  # deleted row: no crash
    done = make_draft(page, editor, status="cancelled")
    run_draft_request(done.pk)
    done.refresh_from_db()
    assert done.status == "cancelled" and done.attempts == 0


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_lost_by_redis_is_recovered_by_the_reaper_and_run_by_a_worker(
    demo, rq_queue, settings
):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    draft = request_draft(page, "news-explainer", BRIEF, demo["users"]["editor"])
    job_id = outbox.job_id(DraftRequest, draft.pk)
    assert rq_queue.job_ids == [job_id]

    rq_queue.connection.flushdb()  # Redis loses everything
    assert rq_queue.count == 0
    # The reaper's clock just past the threshold (job timeouts must stay below it, so the
    # threshold itself cannot be set to 0).
    assert reap(now=timezone.now() + timedelta(seconds=301))["draftrequest"] == 1
    assert rq_queue.job_ids == [job_id]
    # Re-enqueueing the same row again keeps one job (same id), and it runs once.
    outbox.enqueue_now(DraftRequest, draft.pk)
    assert rq_queue.fetch_job(job_id) is not None

    run_worker(rq_queue)
    draft.refresh_from_db()
    assert draft.status == "succeeded", draft.error
    assert draft.attempts == 1
    assert draft.revision_id == NewsArticle.objects.get(pk=page.pk).latest_revision_id


def test_the_reap_command_recovers_stuck_rows(page, editor):
    from io import StringIO

    from django.core.management import call_command

    stuck = make_draft(page, editor, enqueued_at=ago(3600))
    out = StringIO()
    call_command("ecm_ops_reap", stdout=out)
    stuck.refresh_from_db()
    assert stuck.status == "succeeded", stuck.error
    assert "Reaper pass done (job backend: inline)" in out.getvalue()
