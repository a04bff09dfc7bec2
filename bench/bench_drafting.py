"""Drafting numbers (issue 3):

* ``draft_job_overhead``: the generation job's own time per draft, excluding the provider call
  (median over 30 drafts with a zero-cost provider), run as a worker runs it: no outer
  transaction, so every commit the job makes is timed, and so is the enqueue of the follow-on
  screening job (to Redis with ``REDIS_URL`` on PostgreSQL). The screening job itself is a
  separate job and is not counted: without Redis its enqueue is replaced by the row update
  that marks it enqueued (inline mode would run the screening inside the timed call).
* ``style_guide_block_identical``: two drafts from the same template, through the real
  Anthropic SDK on a recording transport, send a byte-identical cache-marked style guide block.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_drafting.py``
(``make bench``). SQLite in memory, or PostgreSQL in a throwaway test database when
DATABASE_URL is set (``bench/benchdb.py``).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

import httpx2  # noqa: E402
from benchdb import load_average, throwaway_database, uses_rq  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from ecm_ops.providers import GenerationResult, Provider, Usage  # noqa: E402
from ecm_ops.providers.anthropic import AnthropicProvider  # noqa: E402

DRAFTS = 30
WARMUP = 3
FIELDS = {
    "title": "Night buses are coming",
    "search_description": "What the night bus plan means for you.",
    "intro": "More buses will run at night from May.",
    "body": "<p>The council will add night routes.</p><ul><li>More routes</li></ul>",
}


class ZeroCostProvider(Provider):
    """Answers at once and keeps the time it spent, so it can be subtracted."""

    name = "bench"
    default_model = "offline-bench"
    spent = 0.0

    def generate(self, request):
        started = time.perf_counter()
        result = GenerationResult(
            fields={k: FIELDS.get(k, k) for k in request.output_fields},
            usage=Usage(input_tokens=100, output_tokens=50),
            model=self.default_model,
        )
        type(self).spent += time.perf_counter() - started
        return result


class RecordingAnthropic(AnthropicProvider):
    """The real provider and SDK; the transport records each request and answers."""

    bodies: list[dict] = []

    def __init__(self):
        super().__init__(
            api_key="sk-ant-bench-not-a-key",
            max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(self._answer)),
        )

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        type(self).bodies.append(json.loads(request.content))
        return httpx2.Response(
            200,
            json={
                "id": "msg_bench",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-5-5",
                "content": [{"type": "text", "text": json.dumps(FIELDS)}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            },
        )


def _queued_draft(page, user, brief):
    from ecm_ops.models import DraftRequest, PromptTemplate

    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    return DraftRequest.objects.create(
        page=page, template_version=version, requester=user, brief=brief
    )


def bench_overhead(page, user) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds per draft, provider time subtracted."""
    from ecm_ops.drafting.service import process_draft_request

    samples, cpu_samples = [], []
    path = f"{__name__}.ZeroCostProvider"
    with override_settings(ECM_OPS={**settings.ECM_OPS, "PROVIDER": path}), follow_on_jobs():
        for i in range(WARMUP + DRAFTS):
            draft = _queued_draft(page, user, {"topic": f"night buses {i}"})
            ZeroCostProvider.spent = 0.0
            # No outer transaction: the job's own commits (and the enqueue after them) count.
            started, cpu_started = time.perf_counter(), time.process_time()
            done = process_draft_request(draft.pk)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            if done is None or done.status != "succeeded":
                raise SystemExit(f"bench: draft {draft.pk} did not succeed: {done and done.error}")
            if i >= WARMUP:
                samples.append((elapsed - ZeroCostProvider.spent) * 1000)
                cpu_samples.append((cpu - ZeroCostProvider.spent) * 1000)
    return statistics.median(samples), statistics.median(cpu_samples)


def bench_style_guide(pages, user) -> int:
    from ecm_ops.drafting.service import process_draft_request

    RecordingAnthropic.bodies = []
    path = f"{__name__}.RecordingAnthropic"
    with override_settings(ECM_OPS={**settings.ECM_OPS, "PROVIDER": path}), follow_on_jobs():
        for page, topic in zip(pages, ("night buses", "cheaper season tickets"), strict=True):
            draft = _queued_draft(page, user, {"topic": topic})
            done = process_draft_request(draft.pk)
            if done is None or done.status != "succeeded":
                raise SystemExit(f"bench: draft {draft.pk} did not succeed: {done and done.error}")
    first, second = RecordingAnthropic.bodies
    blocks = [
        json.dumps(body["system"][0], ensure_ascii=False).encode() for body in (first, second)
    ]
    marked = all(body["system"][0].get("cache_control") == {"type": "ephemeral"} for body in
                 (first, second))  # fmt: skip
    briefs_differ = first["messages"] != second["messages"]
    return int(marked and briefs_differ and blocks[0] == blocks[1])


@contextmanager
def follow_on_jobs():
    """Where the job's follow-on screening goes: a real RQ enqueue on Redis (emptied after), or,
    without Redis, only the row update ``enqueue_now`` makes before it hands the job over."""
    from ecm_ops.jobs import outbox

    if uses_rq():
        queues = {"default": {"URL": os.environ["REDIS_URL"], "DEFAULT_TIMEOUT": 600}}
        extra = {"JOB_BACKEND": "rq", "QUEUE": "default"}
        with override_settings(RQ_QUEUES=queues, ECM_OPS={**settings.ECM_OPS, **extra}):
            try:
                yield "enqueued on Redis (not run)"
            finally:
                outbox.get_queue().empty()
        return

    def mark_only(model, pk):
        model.objects.filter(pk=pk).update(enqueued_at=timezone.now())

    original = outbox.enqueue_now
    outbox.enqueue_now = mark_only
    try:
        yield "marked enqueued (not run)"
    finally:
        outbox.enqueue_now = original


def main() -> None:
    logging.disable(logging.WARNING)
    with throwaway_database("test_ecm_ops_bench_drafting") as where:
        from sandbox_site.content.demo_data import seed
        from sandbox_site.content.models import NewsArticle

        data = seed()
        editor = data["users"]["editor"]
        page = NewsArticle.objects.get(slug="draft-transport-plan")
        overhead, cpu = bench_overhead(page, editor)
        pages = [page, NewsArticle.objects.get(slug="city-opens-new-library")]
        identical = bench_style_guide(pages, editor)
    follow_on = "enqueued on Redis" if uses_rq() else "marked enqueued, not run (no Redis)"
    print(f"bench_drafting: ran on {where}; commits timed; follow-on screening {follow_on}")
    print(f"bench_drafting: {load_average()}; job CPU time {cpu:.1f} ms")
    print(f"bench: draft_job_overhead = {overhead:.1f} ms (goal <= 50)")
    print(f"bench: style_guide_block_identical = {identical} bool (goal == 1)")


if __name__ == "__main__":
    main()
