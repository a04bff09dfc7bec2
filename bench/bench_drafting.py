"""Drafting numbers (issue 3):

* ``draft_job_overhead``: the generation job's own time per draft, excluding the provider call
  (median over 30 drafts with a zero-cost provider; the follow-on screening job is a separate
  job and is not counted).
* ``style_guide_block_identical``: two drafts from the same template, through the real
  Anthropic SDK on a recording transport, send a byte-identical cache-marked style guide block.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_drafting.py``
(``make bench``). SQLite in memory, or PostgreSQL in a throwaway test database when
DATABASE_URL is set.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

import httpx2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

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


def _setup_database() -> tuple[str, str | None]:
    """Migrate a fresh database: SQLite in memory, or a throwaway PostgreSQL test database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        test = db.setdefault("TEST", {})
        test["NAME"] = (test.get("NAME") or f"test_{db['NAME']}") + "_bench_drafting"
        old_name = db["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        return "PostgreSQL", old_name
    call_command("migrate", verbosity=0)
    return "SQLite", None


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
    with override_settings(ECM_OPS={**settings.ECM_OPS, "PROVIDER": path}):
        for i in range(WARMUP + DRAFTS):
            draft = _queued_draft(page, user, {"topic": f"night buses {i}"})
            ZeroCostProvider.spent = 0.0
            # One outer transaction so that the follow-on screening job (enqueued on commit;
            # a separate job) runs after the clock stops.
            with transaction.atomic():
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
    with override_settings(ECM_OPS={**settings.ECM_OPS, "PROVIDER": path}):
        for page, topic in zip(pages, ("night buses", "cheaper season tickets"), strict=True):
            draft = _queued_draft(page, user, {"topic": topic})
            with transaction.atomic():
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


def main() -> None:
    logging.disable(logging.WARNING)
    backend, old_name = _setup_database()
    try:
        from sandbox_site.content.demo_data import seed
        from sandbox_site.content.models import NewsArticle

        data = seed()
        editor = data["users"]["editor"]
        page = NewsArticle.objects.get(slug="draft-transport-plan")
        overhead, cpu = bench_overhead(page, editor)
        pages = [page, NewsArticle.objects.get(slug="city-opens-new-library")]
        identical = bench_style_guide(pages, editor)
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"bench_drafting: ran on {backend}")
    print(f"bench_drafting: load average {os.getloadavg()[0]:.1f}; job CPU time {cpu:.1f} ms")
    print(f"bench: draft_job_overhead = {overhead:.1f} ms (goal <= 50)")
    print(f"bench: style_guide_block_identical = {identical} bool (goal == 1)")


if __name__ == "__main__":
    main()
