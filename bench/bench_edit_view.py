"""Benchmark: Wagtail's page edit view (GET, as a superuser) with and without ecm_ops.

What is compared
    The same process, the same database, the same page and the same logged-in client, measured
    side by side in interleaved rounds (with, without, without, with, ...) so that machine noise
    hits both variants alike. Two pages: a NewsArticle with 1 revision, and one with 100
    revisions and 100 AI draft requests (to show that nothing ecm_ops adds to the edit view
    grows with a page's history).

How "without ecm_ops" is made (the honest way we found)
    ecm_ops reaches Wagtail's edit view only through what it registers; "without" switches all
    of that off for the duration of one request and switches it back on afterwards:

    * every ``wagtail.hooks`` registration whose function lives in an ``ecm_ops`` module
      (header buttons, editor JS/CSS, ``before_edit_page``, menu, ...) is removed from
      ``wagtail.hooks._hooks`` (Wagtail reads that registry on each request);
    * every ecm_ops panel on the page's edit handler (e.g. ``AIProvenancePanel``) reports
      ``is_shown() == False``, so Wagtail neither queries for it nor renders it (binding a
      hidden panel is plain Python, no queries).

    What stays the same in both variants, on purpose: the database schema and rows, the
    installed apps and URLconf, and the site's workflow (a site without ecm_ops would still
    run a Wagtail workflow; the Task type does not change the GET of the edit view). Signal
    handlers only react to saves and publishes, never to this GET. The admin menu is built once
    per process by Wagtail, so the "Content ops" submenu (four plain links) stays in both
    variants; it costs no queries.

    The findings panel loads its data with a separate request after the page renders, so it
    is not part of the edit view's time.

Output
    ``bench: <name> = <value> <unit> (goal <op> <value>)`` lines: the median time ratio
    (with / without) and the extra queries, for 1 and 100 revisions.

Database
    ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test``: SQLite in memory, or PostgreSQL when
    ``DATABASE_URL`` is set. Either way the schema lives in a *test* database created and
    destroyed with Django's test-runner utilities (``setup_databases``/``teardown_databases``);
    on PostgreSQL it is named ``test_ecm_ops_bench`` (or ``$ECM_OPS_TEST_DB_NAME``), so the
    contents of the configured database are never touched.

Run: ``make bench`` (or ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test python
bench/bench_edit_view.py``). ``BENCH_ROUNDS`` sets the rounds per variant (default 25).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
WARMUP = 3
GOAL_RATIO = 1.10
GOAL_QUERIES = 3


@contextmanager
def without_ecm_ops(page_class):
    """Switch off everything ecm_ops registers on the edit view (see the module docstring)."""
    from wagtail import hooks

    hooks.search_for_hooks()
    saved = {name: list(entries) for name, entries in hooks._hooks.items()}
    panels = [
        cls
        for cls in _panel_classes(page_class.get_edit_handler())
        if cls.__module__.startswith("ecm_ops")
    ]
    saved_is_shown = {cls: cls.BoundPanel.__dict__.get("is_shown") for cls in panels}
    try:
        for name, entries in saved.items():
            hooks._hooks[name] = [
                (fn, order)
                for fn, order in entries
                if not getattr(fn, "__module__", "").startswith("ecm_ops")
            ]
        for cls in panels:
            cls.BoundPanel.is_shown = lambda self: False
        yield
    finally:
        hooks._hooks.clear()
        hooks._hooks.update(saved)
        for cls, original in saved_is_shown.items():
            if original is None:
                del cls.BoundPanel.is_shown
            else:
                cls.BoundPanel.is_shown = original


def _panel_classes(panel):
    yield type(panel)
    for child in getattr(panel, "children", ()):
        yield from _panel_classes(child)


def ecm_ops_hook_count() -> int:
    from wagtail import hooks

    hooks.search_for_hooks()
    return sum(
        1
        for entries in hooks._hooks.values()
        for fn, _order in entries
        if getattr(fn, "__module__", "").startswith("ecm_ops")
    )


def build_pages():
    from ecm_ops.models import DraftRequest, PromptTemplate
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import NewsArticle

    demo = seed()
    admin = demo["users"]["admin"]
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version

    def article(slug: str) -> NewsArticle:
        page = NewsArticle(
            title=f"Bench {slug}",
            slug=slug,
            live=False,
            intro="A page for the edit view benchmark.",
            body="<p>Some text for the editor to show.</p>",
        )
        demo["news"].add_child(instance=page)
        page.save_revision(user=admin)
        return page

    one = article("bench-one-revision")
    many = article("bench-hundred-revisions")
    for i in range(99):
        many.intro = f"Revision {i + 2} of the intro."
        many.save_revision(user=admin)
    DraftRequest.objects.bulk_create(
        DraftRequest(
            page=many,
            template_version=version,
            requester=admin,
            brief={"topic": f"Topic {i}"},
            status="succeeded",
        )
        for i in range(100)
    )
    assert many.revisions.count() == 100
    return admin, {"1rev": one, "100rev": many}


def measure(client, url: str, page_class) -> dict[str, dict[str, list]]:
    results = {"with": {"ms": [], "queries": []}, "without": {"ms": [], "queries": []}}

    def one(variant: str, record: bool = True):
        if variant == "without":
            with without_ecm_ops(page_class):
                ms, queries = _timed_get(client, url)
        else:
            ms, queries = _timed_get(client, url)
        if record:
            results[variant]["ms"].append(ms)
            results[variant]["queries"].append(queries)

    for _ in range(WARMUP):
        one("with", record=False)
        one("without", record=False)
    for i in range(ROUNDS):
        order = ("with", "without") if i % 2 == 0 else ("without", "with")
        for variant in order:
            one(variant)
    return results


def _timed_get(client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} returned {response.status_code}")
    return elapsed, len(ctx.captured_queries)


def main() -> int:
    from django.test import Client
    from django.urls import reverse

    from sandbox_site.content.models import NewsArticle

    with throwaway_database("test_ecm_ops_bench") as where:
        print(f"# bench_edit_view on {where}; {ROUNDS} interleaved rounds per variant")
        admin, pages = build_pages()
        print(f"# ecm_ops hook registrations switched off for 'without': {ecm_ops_hook_count()}")
        client = Client()
        client.force_login(admin)
        for label, page in pages.items():
            url = reverse("wagtailadmin_pages:edit", args=[page.pk])
            results = measure(client, url, NewsArticle)
            with_ms = statistics.median(results["with"]["ms"])
            without_ms = statistics.median(results["without"]["ms"])
            with_q = statistics.median(results["with"]["queries"])
            without_q = statistics.median(results["without"]["queries"])
            print(
                f"# {label}: median {with_ms:.1f} ms with ecm_ops, {without_ms:.1f} ms without;"
                f" {with_q:g} vs {without_q:g} queries"
            )
            print(
                f"bench: edit_view_time_ratio_{label} = {with_ms / without_ms:.2f} x "
                f"(goal <= {GOAL_RATIO:.2f})"
            )
            print(
                f"bench: edit_view_extra_queries_{label} = {with_q - without_q:g} queries "
                f"(goal <= {GOAL_QUERIES})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
