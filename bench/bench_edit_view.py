"""Benchmark: opening Wagtail's page editor, as an editor, on the site with ecm_ops against the
same site without it.

What is compared
    "Without" is the sandbox site WITHOUT the app (``sandbox_site.settings.bench_without``: no
    ecm_ops, no django-guardian, no django-fsm), running in a separate process with its own
    throwaway database, driven by this process over a pipe so the two are measured in
    interleaved rounds (with, without, without, with, ...) and machine noise hits both alike.

    "With" is everything opening the editor costs on the site with the app: the GET of the edit
    view plus the request the editor page makes at once for the findings panel (its JSON
    endpoint; later polls are cheaper, see ``bench_save_to_findings.py``).

    Both sides log in as the same kind of user: a non-superuser in Wagtail's "Editors" group,
    so the permission and authority queries editors pay are counted. Both edit the same two
    NewsArticle pages (about 800 words of real prose from ``bench/corpus.py``): one with 1
    revision and one with 100. On the side with the app the 100-revision page also carries its
    history: an AI draft, per-field AI/mixed provenance rows on every revision, a finished
    screening with findings per revision and five decided review cases with approvals.

Output
    ``bench: <name> = <value> <unit> (goal <op> <value>)`` lines: the median time ratio (with /
    without) and the extra queries (with - without), for 1 and 100 revisions.

Run: ``make bench`` (or ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test python
bench/bench_edit_view.py``). ``BENCH_ROUNDS`` sets the rounds per variant (default 25).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WITHOUT_MODE = "--without" in sys.argv
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

import without_site  # noqa: E402
from benchdb import load_average, throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
WARMUP = 3
GOAL_RATIO = 1.10
GOAL_QUERIES = 3
LABELS = ("1rev", "100rev")


def timed_get(client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} returned {response.status_code}")
    return elapsed, len(ctx.captured_queries)


def plain_pages(section, editor) -> dict:
    """The two pages both sites edit (Wagtail only: no ecm_ops anywhere in here)."""
    from corpus import article_html

    from sandbox_site.content.models import NewsArticle

    body = article_html(800, seed=1100)

    def article(slug: str) -> NewsArticle:
        page = NewsArticle(title=f"Bench {slug}", slug=slug, live=False,
                           intro="A page for the edit view benchmark.", body=body)  # fmt: skip
        section.add_child(instance=page)
        page.save_revision(user=editor)
        return page

    one = article("bench-one-revision")
    many = article("bench-hundred-revisions")
    for i in range(99):
        many.intro = f"Revision {i + 2} of the intro."
        many.save_revision(user=editor)
    assert many.revisions.count() == 100
    return {"1rev": one, "100rev": many}


def without_main() -> None:
    """Child process: build the site without the app, then answer one GET per stdin line."""
    from django.test import Client
    from django.urls import reverse

    with throwaway_database("test_ecm_ops_bench_edit_without") as where:
        news, editor = without_site.build()
        pages = plain_pages(news, editor)
        urls = {
            label: reverse("wagtailadmin_pages:edit", args=[p.pk]) for label, p in pages.items()
        }
        client = Client()
        client.force_login(editor)
        print("READY " + json.dumps({"where": where}), flush=True)
        for line in sys.stdin:
            label = line.strip()
            if not label:
                break
            ms, queries = timed_get(client, urls[label])
            print(f"{ms} {queries}", flush=True)


def with_history(page, demo) -> None:
    """The 100-revision page's history on the site with the app (see the module docstring)."""
    from django.utils import timezone

    from ecm_ops.models import (
        Approval,
        DraftRequest,
        FieldProvenance,
        Finding,
        PromptTemplate,
        ReviewCase,
        ReviewTier,
        ScreeningRun,
    )

    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    draft = DraftRequest.objects.create(page=page, template_version=version, requester=editor,
                                        brief={"topic": "bench"}, status="succeeded")  # fmt: skip
    revisions = list(page.revisions.order_by("pk"))
    FieldProvenance.objects.bulk_create(
        FieldProvenance(revision=rev, page=page, field_name=name, draft=draft,
                        origin="ai" if i < 50 else "mixed", ai_text="AI text " * 50, words=400,
                        similarity=1.0 if i < 50 else 0.6)
        for i, rev in enumerate(revisions)
        for name in ("intro", "body")
    )  # fmt: skip
    now = timezone.now()
    runs = ScreeningRun.objects.bulk_create(
        ScreeningRun(page=page, revision=rev, trigger="save", status="succeeded", attempts=1,
                     started_at=now, finished_at=now, score=3.0, word_count=800,
                     warning_count=2, blocker_count=0)
        for rev in revisions
    )  # fmt: skip
    Finding.objects.bulk_create(
        Finding(run=run, check_id=check, severity=severity, field="body", start=10, end=20,
                excerpt="some words", message="A finding.")
        for run in runs
        for check, severity in (("claims.absolute", "warning"), ("style.default.Wordy", "warning"),
                                ("readability.grade", "info"))
    )  # fmt: skip
    tier = ReviewTier.objects.filter(policy__section=demo["news"]).order_by("-level").first()
    for i, rev in enumerate(revisions[9::20]):
        case = ReviewCase.objects.create(
            page=page, revision=rev, policy=tier.policy, tier=tier, tier_reasons=["bench"],
            screening_run=runs[revisions.index(rev)], requester=editor, decided_at=now,
            state="approved" if i % 2 else "changes_requested",
        )  # fmt: skip
        if case.state == "approved":
            Approval.objects.create(case=case, revision=rev, user=senior)


def main() -> int:
    from django.test import Client
    from django.urls import reverse

    from sandbox_site.content.demo_data import seed

    child = without_site.start(__file__, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with throwaway_database("test_ecm_ops_bench_edit") as where:
        demo = seed()
        editor = demo["users"]["editor"]
        assert not editor.is_superuser
        pages = plain_pages(demo["news"], editor)
        with_history(pages["100rev"], demo)
        ready = child.stdout.readline()
        if not ready.startswith("READY"):
            raise SystemExit(f"the site without ecm_ops did not start: {ready!r}")
        without_where = json.loads(ready.split(" ", 1)[1])["where"]
        print(f"# bench_edit_view: with ecm_ops on {where}; without it (separate process, "
              f"settings {without_site.SETTINGS}) on {without_where}; {ROUNDS} interleaved rounds; "
              "as a non-superuser editor")  # fmt: skip
        client = Client()
        client.force_login(editor)

        def with_once(label: str) -> tuple[float, int, float, int]:
            page = pages[label]
            ms, queries = timed_get(client, reverse("wagtailadmin_pages:edit", args=[page.pk]))
            # The panel's first request (the URL it polls on the sandbox: ecm_ops.urls).
            findings = reverse("ecm_ops_public:page_findings_poll", args=[page.pk])
            f_ms, f_q = timed_get(client, findings)
            return ms + f_ms, queries + f_q, f_ms, f_q

        def without_once(label: str) -> tuple[float, int]:
            child.stdin.write(label + "\n")
            child.stdin.flush()
            ms, queries = child.stdout.readline().split()
            return float(ms), int(queries)

        try:
            for label in LABELS:
                with_runs, without_runs = [], []
                for i in range(WARMUP + ROUNDS):
                    order = ("with", "without") if i % 2 == 0 else ("without", "with")
                    for variant in order:
                        if variant == "with":
                            result = with_once(label)
                            if i >= WARMUP:
                                with_runs.append(result)
                        else:
                            result = without_once(label)
                            if i >= WARMUP:
                                without_runs.append(result)
                w_ms = statistics.median(r[0] for r in with_runs)
                w_q = statistics.median(r[1] for r in with_runs)
                f_ms = statistics.median(r[2] for r in with_runs)
                f_q = statistics.median(r[3] for r in with_runs)
                o_ms = statistics.median(r[0] for r in without_runs)
                o_q = statistics.median(r[1] for r in without_runs)
                print(f"# {label}: with ecm_ops {w_ms:.1f} ms / {w_q:g} queries (of which the "
                      f"findings request {f_ms:.1f} ms / {f_q:g}); without {o_ms:.1f} ms / "
                      f"{o_q:g} queries; {load_average()}")  # fmt: skip
                print(f"bench: edit_view_time_ratio_{label} = {w_ms / o_ms:.2f} x "
                      f"(goal <= {GOAL_RATIO:.2f})")  # fmt: skip
                print(f"bench: edit_view_extra_queries_{label} = {w_q - o_q:g} queries "
                      f"(goal <= {GOAL_QUERIES})")  # fmt: skip
        finally:
            child.stdin.close()
            child.wait(timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(without_main() if WITHOUT_MODE else main())
