"""Section readiness numbers (issue 11): the scorecards of every governed section.

* ``readiness_queries_10`` / ``readiness_queries_50``: queries to compute the scorecards of 10
  and of 50 sections (``ecm_ops.services.readiness.readiness_for``, everything a screen reads;
  goal <= 20, and the same at both sizes: constant in sections).

Each section is what a newsroom configures: a risk policy with three tiers (one requiring a
role group), approval authority held by users and by groups, an escalation group, 20 pages of
two types (half live, a quarter of those with AI text, some without a monitoring re-check), a
check that could not run on some of them, and active and retired prompt templates. The
Setup screen's GET is printed beside (``#`` lines, not judged).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_readiness.py``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import load_average, throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

GOAL = 20
PAGES_PER_SECTION = 20


def add_sections(world, start: int, n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from ecm_ops.models import (
        Finding,
        MonitoringCheck,
        Publication,
        ReviewTier,
        RiskPolicy,
        ScreeningRun,
    )
    from ecm_ops.states import JobStatus
    from sandbox_site.content.models import AdviceArticle, NewsArticle, SectionPage

    User = get_user_model()
    home = world["home"]
    for k in range(start, start + n):
        section = SectionPage(title=f"Section {k}", slug=f"section-{k}")
        home.add_child(instance=section)
        role = Group.objects.create(name=f"Role {k}")
        escalation = Group.objects.create(name=f"Escalation {k}")
        people = [User.objects.create_user(f"u{k}-{i}") for i in range(3)]
        people[0].groups.add(role)
        people[1].groups.add(escalation)
        policy = RiskPolicy.objects.create(
            name=f"Policy {k}", section=section, escalation_group=escalation
        )
        for level in (1, 2, 3):
            tier = ReviewTier.objects.create(
                policy=policy,
                level=level,
                label=f"T{level}",
                approvals_required=min(level, 2),
                required_group=role if level == 3 else None,
            )
            assign_perm("ecm_ops.approve_tier", people[2], tier)
            assign_perm("ecm_ops.approve_tier", role, tier)
        for i in range(PAGES_PER_SECTION):
            model = NewsArticle if i % 2 else AdviceArticle
            page = model(title=f"Page {k}-{i}", slug=f"p{i}", intro="x", live=i % 2 == 0)
            section.add_child(instance=page)
            revision = page.save_revision()
            if i % 2 == 0:
                revision.publish()
                page.refresh_from_db()
            if i % 8 == 0:
                Publication.objects.filter(page=page).update(ai_share=0.5)
                if i % 16:
                    MonitoringCheck.objects.create(page=page, due_at=page.last_published_at)
            if i % 10 == 3:
                run = ScreeningRun.objects.create(
                    page=page, revision=revision, trigger="save", status=JobStatus.SUCCEEDED
                )
                Finding.objects.create(
                    run=run, check_id="links.could_not_run", severity="blocker", message="x"
                )


def measure() -> tuple[int, int]:
    from ecm_ops.services.readiness import readiness_for

    with CaptureQueriesContext(connection) as queries:
        cards = readiness_for()
        for card in cards:
            card.missing  # noqa: B018 - everything a screen reads
            card.areas()
    return len(queries), len(cards)


def main() -> int:
    from django.test import Client
    from django.urls import reverse

    from sandbox_site.content.demo_data import seed

    with throwaway_database("test_ecm_ops_bench_readiness") as where:
        print(f"# bench_readiness on {where}; {load_average()}")
        world = seed()
        client = Client()
        client.force_login(world["users"]["admin"])
        made, counts = 2, {}  # the demo's News and Health & Money
        for total in (10, 50):
            add_sections(world, made, total - made)
            made = total
            measure()  # warm the content type cache
            queries, cards = measure()
            assert cards == total, cards
            counts[total] = queries
            with CaptureQueriesContext(connection) as page_queries:
                response = client.get(reverse("ecm_ops:setup"))
            assert response.status_code == 200
            print(f"# {total} sections: Setup screen GET {len(page_queries)} queries")
            print(
                f"bench: readiness_queries_{total} = {queries} queries "
                f"(goal <= {GOAL}, equal at 10 and 50)"
            )
        growth = counts[50] - counts[10]
        print(
            f"bench: readiness_queries_growth = {growth} queries (goal == 0, 50 minus 10 sections)"
        )
    return 0 if counts[10] == counts[50] else 1


if __name__ == "__main__":
    sys.exit(main())
