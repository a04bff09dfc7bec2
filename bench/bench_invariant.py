"""Publication invariant numbers (issue 8).

* ``adversarial_sequences`` / ``invariant_violations``: the stateful adversarial test
  (tests/test_adversarial_invariant.py) run as a subprocess with ``ECM_OPS_ADVERSARIAL_EXAMPLES``
  (default here 50; CI 1000) sequences of up to 20 random actions; violations must be 0.
* ``race_unreviewed_publications``: the approve-vs-save/cancel/approve races
  (tests/test_publication_races.py, PostgreSQL only; counts from its env variables):
  publications the verifier finds unreviewed, of all publications the races made (goal 0).
* ``verify_publications_per_s``: ``verify()`` over 10,000 real publications (a mix of human and
  AI-written News pages; AI ones with their screening, case and approval of the exact content,
  Wagtail publish log entries) (goal >= 1,000/s; meant for PostgreSQL).
* ``publish_guard_extra_queries``: queries the guard adds to ``Revision.publish()`` of a human
  page and of an approved AI page, against the same publish with its ``pre_save`` receiver
  disconnected (goal <= 5; the larger of the two is printed).

Database: the throwaway database of ``benchdb`` (SQLite in memory unless ``DATABASE_URL``).
Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_invariant.py``
(``--skip-tests`` leaves out the two pytest runs).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PUBLICATIONS = int(os.environ.get("ECM_OPS_BENCH_PUBLICATIONS", "10000"))
PER_PAGE = 20
GOAL_PER_S, GOAL_QUERIES = 1000, 5
AI_TEXTS = [
    f"Our guide {n} explains how the new recycling rules change collections for every "
    f"household in the borough from the first week of spring."
    for n in range(40)
]


def run_tests() -> None:
    """The adversarial and race tests, in one pytest run (one set of migrations)."""
    with tempfile.TemporaryDirectory() as tmp:
        adv, races = Path(tmp, "adv.json"), Path(tmp, "races.json")
        env = {
            **os.environ,
            "ECM_OPS_ADVERSARIAL_EXAMPLES": os.environ.get("ECM_OPS_ADVERSARIAL_EXAMPLES", "50"),
            "ECM_OPS_ADVERSARIAL_REPORT": str(adv),
            "ECM_OPS_RACE_REPORT": str(races),
        }
        started = time.perf_counter()
        proc = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_adversarial_invariant.py::"
                "test_no_sequence_of_actions_breaks_the_publication_invariant",
                "tests/test_publication_races.py",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        print(f"# pytest: {proc.stdout.strip().splitlines()[-1]} ({elapsed:.0f} s)")
        a = json.loads(adv.read_text()) if adv.exists() else {"sequences": 0, "violations": -1}
        print(f"bench: adversarial_sequences = {a['sequences']} sequences (goal >= 1)")
        print(f"bench: invariant_violations = {a['violations']} violations (goal = 0)")
        if races.exists():
            r = json.loads(races.read_text())
            n = sum(sum(v.values()) for v in r["races"].values())
            print(f"# {n} races: {r['races']}")
            print(
                f"bench: race_unreviewed_publications = {r['unreviewed_publications']} of "
                f"{r['publications']} publications (goal = 0)"
            )
        else:
            print("# races skipped (they need PostgreSQL: set DATABASE_URL)")


def build_publications(total: int) -> int:
    """``total`` real publications over ``total / PER_PAGE`` News pages, half of them with
    AI-written text reviewed the way the service leaves it. Pages through Wagtail (for the
    tree), everything per publication bulk-created."""
    from django.utils import timezone
    from wagtail.models import PageLogEntry, Revision

    from ecm_ops.content_checks.identity import content_digest
    from ecm_ops.drafting.provenance import index_ai_text
    from ecm_ops.models import Approval, Publication, ReviewCase, ReviewTier, ScreeningRun
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import NewsArticle

    demo = seed()
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    standard = ReviewTier.objects.get(policy__section=demo["news"], label="Standard")
    index_ai_text(AI_TEXTS)
    start = timezone.now() - timedelta(days=30)
    made = 0
    for p in range(total // PER_PAGE):
        ai = p % 2 == 0
        page = NewsArticle(slug=f"bench-{p}", title=f"Bench page {p}", live=False)
        demo["news"].add_child(instance=page)
        base = page.save_revision(user=editor)
        revisions = []
        for k in range(PER_PAGE):
            intro = (
                f"{AI_TEXTS[(p + k) % len(AI_TEXTS)]} Edition {k}."
                if ai
                else f"The parish notice {p} for week {k} lists the hall bookings."
            )
            content = {**base.content, "intro": intro, "body": "<p>Notes follow.</p>"}
            revisions.append(
                Revision(
                    content_type=base.content_type,
                    base_content_type=base.base_content_type,
                    object_id=base.object_id,
                    object_str=base.object_str,
                    content=content,
                    user=editor,
                    created_at=start,
                )
            )
        revisions = Revision.objects.bulk_create(revisions)
        objs = [r.as_object() for r in revisions]
        digests = [content_digest(o) for o in objs]
        times = [start + timedelta(minutes=p * PER_PAGE + k) for k in range(PER_PAGE)]
        pubs = []
        if ai:
            runs = ScreeningRun.objects.bulk_create(
                ScreeningRun(
                    page=page,
                    revision=r,
                    trigger="submit",
                    status="succeeded",
                    finished_at=t - timedelta(seconds=30),
                    score=0,
                    word_count=30,
                    content_digest=d,
                )
                for r, d, t in zip(revisions, digests, times, strict=True)
            )
            cases = ReviewCase.objects.bulk_create(
                ReviewCase(
                    page=page,
                    revision=r,
                    tier=standard,
                    policy=standard.policy,
                    content_digest=d,
                    screening_run=run,
                    state="approved",
                    requester=editor,
                )
                for r, d, run in zip(revisions, digests, runs, strict=True)
            )
            Approval.objects.bulk_create(
                Approval(case=c, revision=r, content_digest=d, user=senior)
                for c, r, d in zip(cases, revisions, digests, strict=True)
            )
        for k, (r, d) in enumerate(zip(revisions, digests, strict=True)):
            pubs.append(
                Publication(
                    page=page,
                    revision=r,
                    content_digest=d,
                    user=senior,
                    ai_share=1.0 if ai else 0.0,
                    basis="review" if ai else "human",
                    case=cases[k] if ai else None,
                    screening_run=runs[k] if ai else None,
                    tier=standard if ai else None,
                    tier_level=standard.level if ai else None,
                )
            )
        pubs = Publication.objects.bulk_create(pubs)
        # Chronological, as published: screened and approved just before each publication.
        for pub, t in zip(pubs, times, strict=True):
            Publication.objects.filter(pk=pub.pk).update(published_at=t)
        if ai:
            Approval.objects.filter(case__in=cases).update(created_at=start + timedelta(minutes=1))
            ReviewCase.objects.filter(pk__in=[c.pk for c in cases]).update(created_at=start)
        PageLogEntry.objects.bulk_create(
            PageLogEntry(
                page=page,
                revision=r,
                action="wagtail.publish",
                content_type=base.content_type,
                label=page.title,
                user=senior,
                timestamp=t,
            )
            for r, t in zip(revisions, times, strict=True)
        )
        last = objs[-1]
        NewsArticle.objects.filter(pk=page.pk).update(
            live=True, live_revision=revisions[-1], intro=last.intro, body=last.body
        )
        made += PER_PAGE
    return made


def verify_rate(total: int) -> None:
    from ecm_ops.governance.verify import verify

    started = time.perf_counter()
    made = build_publications(total)
    print(f"# built {made} publications in {time.perf_counter() - started:.0f} s")
    verify()  # warm caches (content types, policies)
    runs = []
    for _ in range(3):  # the median of three: build machines are shared and noisy
        started = time.perf_counter()
        report = verify()
        runs.append(time.perf_counter() - started)
    elapsed = statistics.median(runs)
    print(f"# verify() runs: {', '.join(f'{r:.2f} s' for r in runs)}")
    print(
        f"# verify(): {report.publications} publications, {report.log_entries} log entries, "
        f"{len(report.violations)} violations in {elapsed:.2f} s"
    )
    if report.violations:
        print(f"# first violation: {report.violations[0].as_dict()}")
    print(
        f"bench: verify_publications_per_s = {report.publications / elapsed:.0f} publications/s "
        f"(goal >= {GOAL_PER_S})"
    )


def guard_queries() -> None:
    """Queries of one ``Revision.publish()`` with and without the guard's receiver."""
    from django.db.models.signals import pre_save

    from ecm_ops.drafting.provenance import index_ai_text
    from ecm_ops.models import Approval, ReviewCase
    from ecm_ops.services.screening import screen_now
    from ecm_ops.signal_handlers import _before_save
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import NewsArticle

    demo = seed()
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]

    def page(slug, intro):
        p = NewsArticle(slug=slug, title=f"Guard {slug}", intro=intro, live=False)
        demo["news"].add_child(instance=p)
        return p, p.save_revision(user=editor)

    human, human_rev = page("guard-human", "The hall is closed on Monday for repairs.")
    ai_text = "Residents can now book bulky waste collections online up to three weeks ahead."
    index_ai_text([ai_text])
    ai, ai_rev = page("guard-ai", ai_text)
    demo["news"].get_workflow().start(ai, editor)  # screening, classification (jobs inline)
    case = ReviewCase.objects.filter(page=ai).latest("pk")
    screen_now(ai, ai_rev, editor)
    Approval.objects.create(
        case=case, revision=ai_rev, content_digest=case.content_digest, user=senior
    )

    def count(revision) -> int:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                revision.publish(user=senior, skip_permission_checks=True)
            transaction.set_rollback(True)
        return len(queries)

    extra = {}
    for name, revision in (("human", human_rev), ("approved AI", ai_rev)):
        with_guard = count(revision)
        pre_save.disconnect(dispatch_uid="ecm_ops.publication_guard")
        try:
            without = count(revision)
        finally:
            pre_save.connect(_before_save, dispatch_uid="ecm_ops.publication_guard")
        extra[name] = with_guard - without
        print(f"# publish of a {name} page: {with_guard} queries, {without} without the guard")
    print(
        f"bench: publish_guard_extra_queries = {max(extra.values())} queries "
        f"(goal <= {GOAL_QUERIES}; human {extra['human']}, approved AI {extra['approved AI']})"
    )


def main() -> int:
    if "--skip-tests" not in sys.argv:
        run_tests()
    with throwaway_database("test_ecm_ops_bench_invariant") as where:
        print(f"# bench_invariant on {where}")
        guard_queries()
        verify_rate(PUBLICATIONS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
