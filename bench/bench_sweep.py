"""Monitoring sweep numbers, on pages like a newsroom's:

* ``sweep_pages_per_s`` (goal >= 300): a sweep of 10,000 live pages with 2 forking RQ worker
  processes (``ecm_ops.jobs.worker.Worker``, as ``make worker`` runs them: warmed checks, a
  work horse forked per chunk), timed from the first chunk's start to the last chunk's finish.
* ``sweep_worker_peak_rss`` (goal <= 300 MB): the larger of each worker's parent process
  (its ``VmHWM``) and its work horses (``getrusage`` of its waited-for children: a horse's
  pages shared with the parent count too), printed per worker as parent / horse.
* ``sweep_queries_per_chunk_10`` / ``_100`` (info) and ``sweep_queries_per_chunk_growth``
  (goal == 0): queries of one chunk of 10 and of 100 pages with ALL default checks. The growth
  leaves out the batched INSERTs of runs and findings (one per 500 findings on PostgreSQL,
  smaller batches on SQLite): they grow with the findings, by design; an N+1 shows in the
  rest. The recorded query counts of the real sweep's full chunks are printed too.

The pages: 300-800 words each (seeded) of real prose (``bench/corpus.py``), 3-5 links each
to other live pages, the demo's unpublished page and documents; near-duplicate fingerprints
stored for every page; half of them AI-drafted (a succeeded DraftRequest, a revision and
per-field AI provenance rows). They are bulk-inserted with computed tree paths (Wagtail's
``add_child`` would take minutes); the creation time is reported separately.

PostgreSQL + Redis (``DATABASE_URL`` and ``REDIS_URL`` set): a throwaway test database
(``bench/benchdb.py``) the worker processes connect to. Otherwise (SQLite in memory): the
chunks run in this process, one after another, said so in the output.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_sweep.py``
(``BENCH_SWEEP_PAGES`` sets the page count, default 10,000).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")
PAGES = int(os.environ.get("BENCH_SWEEP_PAGES", "10000"))
WORKERS = 2
WORKER_MODE = "--worker" in sys.argv
SEED = 20261129

import django  # noqa: E402

django.setup()

from benchdb import load_average, throwaway_database, uses_rq, worker_env  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


def rq_settings():
    url = os.environ.get("REDIS_URL", "")
    queues = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    return override_settings(
        RQ_QUEUES=queues, ECM_OPS={**settings.ECM_OPS, "JOB_BACKEND": "rq", "QUEUE": "default"}
    )


def peak_rss_kb() -> int:
    """This process's peak RSS since it started (``VmHWM``). Not ``getrusage(RUSAGE_SELF)``:
    Linux carries the maximum across fork and exec, so a worker started by this (large) bench
    process would report the bench's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker_main() -> None:
    """One forking worker: drain the queue, then report the peak RSS of itself and of its
    work horses (the children it waited for)."""
    from ecm_ops.jobs.worker import Worker

    with rq_settings():
        from ecm_ops.jobs.outbox import get_queue

        queue = get_queue()
        Worker([queue], connection=queue.connection).work(burst=True)
    parent = peak_rss_kb()
    horse = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"RSS_KB {parent} {horse}", flush=True)


def _link_html(rng, kind: str, target: int) -> str:
    words = rng.choice(["the earlier report", "our guide", "this story", "the full text"])
    return f'<a linktype="{kind}" id="{target}">{words}</a>'


def page_body(rng, page_ids: list[int], draft_id: int, document_ids: list[int]) -> str:
    """300-800 words of real prose with 3-5 internal and document links in its paragraphs."""
    from corpus import article

    paragraphs = article(rng.randint(300, 800), seed=rng.randrange(1 << 30))
    links = [_link_html(rng, "page", rng.choice(page_ids)) for _ in range(rng.randint(2, 3))]
    links.append(_link_html(rng, "document", rng.choice(document_ids)))
    if rng.random() < 0.5:
        links.append(_link_html(rng, "page", draft_id))  # unpublished: a warning, as in life
    html_paragraphs = [f"<p>{p}</p>" for p in paragraphs]
    for link in links:
        at = rng.randrange(len(html_paragraphs))
        html_paragraphs[at] = html_paragraphs[at][:-4] + f" See {link}.</p>"
    return "".join(html_paragraphs)


def bulk_pages(demo, count: int) -> list[int]:
    """Insert ``count`` live NewsArticle pages under the news section (see the docstring)."""
    import html

    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from django.utils import timezone
    from wagtail.documents import get_document_model
    from wagtail.models import Page, Revision

    from ecm_ops.content_checks.canonical import canonical_text
    from ecm_ops.content_checks.minhash import band_keys, shingle_hashes, signature
    from ecm_ops.models import (
        DraftRequest,
        FieldProvenance,
        PageFingerprint,
        PageFingerprintBand,
        PromptTemplate,
    )
    from sandbox_site.content.models import NewsArticle

    rng = random.Random(SEED)
    parent = demo["news"]
    parent.refresh_from_db()
    ct = ContentType.objects.get_for_model(NewsArticle)
    page_ct = ContentType.objects.get_for_model(Page)
    now = timezone.now()
    documents = [
        get_document_model()
        .objects.create(title=f"Report {i}", file=ContentFile(b"%PDF-1.4", name=f"report-{i}.pdf"))
        .pk
        for i in range(20)
    ]
    draft_page = NewsArticle.objects.get(slug="draft-transport-plan")
    last = parent.get_last_child()
    start = Page._str2int(last.path[-Page.steplen :]) if last else 0
    rows = []
    for i in range(count):
        slug = f"bench-{start + i + 1}"
        title = f"Bench story {i}"
        rows.append(
            Page(
                path=Page._get_path(parent.path, parent.depth + 1, start + i + 1),
                depth=parent.depth + 1,
                numchild=0,
                title=title,
                draft_title=title,
                slug=slug,
                url_path=f"{parent.url_path}{slug}/",
                content_type=ct,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                locale_id=parent.locale_id,
            )  # fmt: skip
        )
    ids = [p.pk for p in Page.objects.bulk_create(rows, batch_size=1000)]
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + count)
    targets = ids + list(Page.objects.filter(live=True, depth__gt=2).values_list("pk", flat=True))
    articles, fingerprints, bands = [], [], []
    for pk in ids:
        body = page_body(rng, targets, draft_page.pk, documents)
        article = NewsArticle(page_ptr_id=pk, title=f"Bench story {pk}", intro="", body=body)
        articles.append((pk, "A short intro.", body))
        text = canonical_text(article).text
        sig = signature(text)
        if sig is not None:
            fingerprints.append(
                PageFingerprint(page_id=pk, signature=sig, shingle_count=len(shingle_hashes(text)))
            )
    with connection.cursor() as cursor:
        cursor.executemany(
            # The table name comes from the model's Meta, not from input.
            f"INSERT INTO {NewsArticle._meta.db_table} (page_ptr_id, intro, body) "  # noqa: S608
            "VALUES (%s, %s, %s)",
            articles,
        )
    for fp in PageFingerprint.objects.bulk_create(fingerprints, batch_size=1000):
        bands += [PageFingerprintBand(fingerprint=fp, key=key) for key in band_keys(fp.signature)]
    PageFingerprintBand.objects.bulk_create(bands, batch_size=5000)

    # AI provenance on half the pages: the draft, a revision and the body as AI text.
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    editor = demo["users"]["editor"]
    ai_ids = ids[::2]
    bodies = {pk: body for pk, _intro, body in articles}
    drafts = DraftRequest.objects.bulk_create(
        [DraftRequest(page_id=pk, template_version=version, requester=editor, status="succeeded",
                      brief={"topic": f"story {pk}"}, provider="offline") for pk in ai_ids],
        batch_size=1000,
    )  # fmt: skip
    revisions = Revision.objects.bulk_create(
        [Revision(content_type=ct, base_content_type=page_ct, object_id=str(pk), user=editor,
                  created_at=now,
                  object_str=f"Bench story {pk}", content={"pk": pk, "body": bodies[pk]})
         for pk in ai_ids],
        batch_size=1000,
    )  # fmt: skip
    FieldProvenance.objects.bulk_create(
        [FieldProvenance(revision=rev, page_id=pk, field_name="body", origin="ai", draft=draft,
                         ai_text=html.unescape(bodies[pk])[:20000], words=len(bodies[pk].split()))
         for pk, rev, draft in zip(ai_ids, revisions, drafts, strict=True)],
        batch_size=1000,
    )  # fmt: skip
    for pk, rev in zip(ai_ids, revisions, strict=True):
        Page.objects.filter(pk=pk).update(latest_revision_id=rev.pk, live_revision_id=rev.pk)
    return ids


class ReadWriteCounter:
    """Counts queries, telling batched INSERTs (one per up to 500 findings: they grow with the
    findings, not with the pages) from everything else (where an N+1 would show)."""

    def __init__(self) -> None:
        self.inserts = 0
        self.others = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            self.inserts += 1
        else:
            self.others += 1
        return execute(sql, params, many, context)


def queries_per_chunk(ids: list[int]) -> dict[int, ReadWriteCounter]:
    """Queries of one chunk of 10 and of 100 pages, all default checks (after a warm-up)."""
    from ecm_ops.conf import DEFAULT_CHECKS
    from ecm_ops.monitoring import sweep

    counts = {}
    with override_settings(ECM_OPS={**settings.ECM_OPS, "CHECKS": list(DEFAULT_CHECKS)}):
        sweep.screen_pages(ids[-11:-1])  # warm caches (content types, checks)
        for size in (10, 100):
            counter = ReadWriteCounter()
            with connection.execute_wrapper(counter):
                sweep.screen_pages(ids[200 : 200 + size])
            counts[size] = counter
    return counts


def run_sweep() -> tuple[object, list[tuple[int, int]]]:
    """The real sweep: 2 forking workers on Redis, or the chunks in this process."""
    from ecm_ops.models import SweepChunk
    from ecm_ops.monitoring import sweep

    rss = []
    if uses_rq():
        with rq_settings():
            from ecm_ops.jobs.outbox import get_queue

            get_queue().connection.flushdb()
            sweep_row = sweep.start_sweep("bench")
            sweep.plan_sweep(sweep_row.pk)  # plan here; the chunks go to Redis on commit
        connections.close_all()
        quiet = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
        procs = [
            subprocess.Popen([sys.executable, __file__, "--worker"], env=worker_env(),
                             stdout=subprocess.PIPE, stderr=quiet, text=True)
            for _ in range(WORKERS)
        ]  # fmt: skip
        for proc in procs:
            out, _ = proc.communicate(timeout=3600)
            for line in out.splitlines():
                if line.startswith("RSS_KB"):
                    _tag, parent, horse = line.split()
                    rss.append((int(parent), int(horse)))
    else:
        from ecm_ops.jobs.outbox import backend

        assert backend() == "inline"
        sweep_row = sweep.start_sweep("bench")
        sweep.plan_sweep(sweep_row.pk)
        for pk in SweepChunk.objects.filter(sweep=sweep_row, status="queued").values_list(
            "pk", flat=True
        ):
            sweep.process_chunk(pk)
        rss.append((peak_rss_kb(), 0))
    return sweep_row, rss


def main() -> None:
    from corpus import describe

    from ecm_ops.content_checks.registry import get_checks
    from ecm_ops.models import SweepChunk
    from sandbox_site.content.demo_data import seed

    workers = f"{WORKERS} forking RQ workers" if uses_rq() else "1 inline (no Redis)"
    with throwaway_database("test_ecm_ops_bench_sweep") as where:
        print(f"bench_sweep: {where}; workers: {workers}; corpus: {describe()}")
        demo = seed()
        names = [type(c).__name__ for c in get_checks()]
        print(f"bench_sweep: checks {', '.join(names)} + link rot + staleness")
        started = time.perf_counter()
        ids = bulk_pages(demo, PAGES)
        print(
            f"bench_sweep: created {len(ids)} live pages (300-800 words, 3-5 links, "
            f"fingerprints, AI provenance on half) in {time.perf_counter() - started:.0f} s"
        )
        counts = queries_per_chunk(ids)
        sweep_row, rss = run_sweep()
        size = settings.ECM_OPS.get("SWEEP_CHUNK_SIZE", 100)
        chunks = list(SweepChunk.objects.filter(sweep_id=sweep_row.pk))
        done = [c for c in chunks if c.status == "succeeded"]
        failed = [c for c in chunks if c.status != "succeeded"]
        screened = sum(c.pages_screened for c in done)
        seconds = (
            max(c.finished_at for c in done) - min(c.started_at for c in done)
        ).total_seconds()
        full = sorted({c.query_count for c in done if len(c.page_ids) == size})
    print(
        f"bench_sweep: {len(done)} chunks of {size} done, {len(failed)} not done; {screened} "
        f"pages screened in {seconds:.1f} s; queries per full chunk: {full}; {load_average()}"
    )
    for size_, count in counts.items():
        print(
            f"bench: sweep_queries_per_chunk_{size_} = {count.others + count.inserts} queries "
            f"(info: {count.inserts} of them batched INSERTs)"
        )
    print(
        f"bench: sweep_queries_per_chunk_growth = {counts[100].others - counts[10].others} "
        "queries (goal == 0, 100 pages vs 10, all default checks, batched INSERTs aside)"
    )
    print(f"bench: sweep_pages_per_s = {screened / seconds:.0f} pages/s (goal >= 300)")
    peak_mb = max(max(p, h) for p, h in rss) / 1024 if rss else float("nan")
    per_worker = ", ".join(f"{p / 1024:.0f} / {h / 1024:.0f}" for p, h in rss)
    print(
        f"bench: sweep_worker_peak_rss = {peak_mb:.0f} MB (goal <= 300) "
        f"[parent / horse MB per worker: {per_worker}]"
    )


if __name__ == "__main__":
    if WORKER_MODE:
        worker_main()
    else:
        main()
