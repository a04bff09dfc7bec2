"""The nightly sweep: a row per sweep and per chunk (enqueued on commit, recoverable by the
reaper), a constant number of queries per chunk whatever its size, incidents for new
blockers, and the cron registration."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rq import cron

from ecm_ops.jobs.reaper import WORK_MODELS, reap
from ecm_ops.models import Incident, ScreeningRun, SweepChunk, SweepRun
from ecm_ops.monitoring import sweep
from sandbox_site.content.models import NewsArticle

from .test_screening_service import BLOCKER_BODY, make_article, stable_checks

__all__ = ["stable_checks"]


WORDS = (
    "council residents bus tram ticket library park bridge school market station river harbour "
    "budget plan route evening weekend museum garden festival housing street lighting crossing "
    "survey report minister funding season service timetable platform cycle walking village"
).split()


def live_pages(demo, n, prefix):
    """``n`` live pages; each links to a live page, an unpublished page and a document, so the
    link checks have targets to resolve (warnings, never blockers: a blocker opens an incident,
    and incidents are per page by design)."""
    import random

    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    section = demo["news"]
    first = make_article(section, f"{prefix}-0", live=True)
    draft = NewsArticle.objects.get(slug="draft-transport-plan")  # the demo's unpublished page
    assert not draft.live
    document = get_document_model().objects.create(
        title="Timetable", file=ContentFile(b"pdf", name="timetable.pdf")
    )
    rng = random.Random(prefix)
    pages = [first]
    for i in range(1, n):
        # Different words on every page, so no page is a near-duplicate of another.
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        text = (
            f'<p>Story {i}: {words}. See <a linktype="page" id="{first.pk}">this</a>, '
            f'<a linktype="page" id="{draft.pk}">that</a> and '
            f'<a linktype="document" id="{document.pk}">the timetable</a>.</p>'
        )
        pages.append(make_article(section, f"{prefix}-{i}", body=text, live=True))
    return pages


def queries_for(page_ids):
    """(queries other than INSERTs, INSERTs, counts). The runs and findings are inserted in
    batches (a few hundred rows each, fewer on SQLite): those grow with the findings by design;
    a per-page query shows in the rest."""
    with CaptureQueriesContext(connection) as ctx:
        counts = sweep.screen_pages(page_ids)
    inserts = sum(1 for q in ctx.captured_queries if q["sql"].lstrip().startswith("INSERT"))
    return len(ctx) - inserts, inserts, counts


def test_query_count_per_chunk_is_constant_with_all_default_checks(demo, settings):
    from ecm_ops.conf import DEFAULT_CHECKS

    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": list(DEFAULT_CHECKS)}
    pages = live_pages(demo, 50, "sweep")
    ids = [p.pk for p in pages]
    queries_for(ids[1:2])  # warm per-process caches (site root paths, rule packs), as a worker is
    small, _inserts, small_counts = queries_for(ids[1:11])
    large, inserts, large_counts = queries_for(ids[1:])
    assert small_counts["pages"] == 10 and large_counts["pages"] == 49
    assert small == large, (small, large)
    assert inserts <= 4, inserts  # batched: runs, then findings
    runs = ScreeningRun.objects.filter(trigger="monitor", page_id__in=ids)
    assert runs.count() == 60 and not runs.exclude(status="succeeded").exists()
    checks = set(runs.filter(page=pages[1]).first().findings.values_list("check_id", flat=True))
    # The links were resolved: the unpublished page was found out by both link checks.
    assert {"links.page", "monitoring.link_rot"} <= checks, checks
    assert not any(c.endswith("could_not_run") for c in checks), checks


def test_sweep_plans_chunks_and_processes_them(demo, settings, django_capture_on_commit_callbacks):
    settings.ECM_OPS = {**settings.ECM_OPS, "SWEEP_CHUNK_SIZE": 3}
    live_pages(demo, 5, "planned")
    blocked = make_article(demo["news"], "sweep-blocker", body=BLOCKER_BODY, live=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep.start_sweep("nightly")
    assert sweep.start_sweep("nightly") is None  # a doubled cron trigger does nothing
    first.refresh_from_db()
    live = first.page_count
    assert first.status == "succeeded" and live >= 6  # + the demo's live pages
    chunks = SweepChunk.objects.filter(sweep=first)
    assert chunks.count() == first.chunk_count == -(-live // 3)
    assert set(chunks.values_list("status", flat=True)) == {"succeeded"}
    assert sum(c.pages_screened for c in chunks) == live
    assert len({c.query_count for c in chunks if len(c.page_ids) == 3}) <= 2
    incident = Incident.objects.get(page=blocked)
    assert incident.state == "open"
    assert sum(c.incidents_opened for c in chunks) == 1

    # A second sweep finds the same blocker: still one incident.
    with django_capture_on_commit_callbacks(execute=True):
        sweep.start_sweep("manual")
    assert Incident.objects.filter(page=blocked).count() == 1


def test_reaper_re_enqueues_a_lost_chunk(demo):
    assert SweepChunk in WORK_MODELS and SweepRun in WORK_MODELS
    page = make_article(demo["news"], "lost-chunk", live=True)
    sweep_row = SweepRun.objects.create(reason="manual", status="succeeded")
    # The chunk was enqueued long ago, but Redis lost the job (it is still queued).
    old = timezone.now() - timedelta(hours=1)
    chunk = SweepChunk.objects.create(sweep=sweep_row, page_ids=[page.pk], enqueued_at=old)
    SweepChunk.objects.filter(pk=chunk.pk).update(created_at=old)
    counts = reap()
    assert counts["sweepchunk"] == 1
    chunk.refresh_from_db()
    assert chunk.status == "succeeded" and chunk.pages_screened == 1
    assert ScreeningRun.objects.filter(page=page, trigger="monitor").count() == 1


def test_chunk_of_pages_that_are_no_longer_live_is_harmless(demo):
    page = make_article(demo["news"], "gone-live", live=True)
    page.unpublish()
    sweep_row = SweepRun.objects.create(reason="manual", status="succeeded")
    chunk = SweepChunk.objects.create(sweep=sweep_row, page_ids=[page.pk, 987654])
    chunk = sweep.process_chunk(chunk.pk)
    assert chunk.status == "succeeded" and chunk.pages_screened == 0


def test_nightly_sweep_is_registered_with_rq_cron():
    import ecm_ops.cron

    importlib.reload(ecm_ops.cron)
    entries = {entry["name"]: entry for entry in cron._job_data_registry}
    assert entries["ecm_ops.nightly_sweep"]["cron"] == "30 2 * * *"
    assert entries["ecm_ops.reaper"]["interval"] == 60
