"""Wagtail dashboard numbers (issue 5): the cost of the Risk-tiered review task on the admin
home page, with 100 and with 1,000 open cases (each an in-progress Wagtail task state).

* ``dashboard_extra_queries_100`` / ``dashboard_extra_queries_1000``: queries of one GET of
  the dashboard for an editor without review authority, with the task active minus with it
  deactivated (``Task.active = False``: Wagtail then skips its moderation query). Goal <= 5
  and the same at both sizes.
* ``dashboard_reviewer_extra_queries_100`` / ``..._1000``: the same for a reviewer with
  authority on 5 of the 20 sections. ecm_ops replaces Wagtail's per-row "Awaiting your
  review" rows for this task with its own two-query panel (``ecm_ops.admin.dashboard``), so
  this too must stay within the goal at both sizes.

Database: SQLite in memory unless ``DATABASE_URL`` is set (then a throwaway test database).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_dashboard.py``
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

from benchdb import throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
)

GOAL_EXTRA = 5


def _queries(client, url) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)


def main() -> int:
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse
    from review_bench_data import add_cases, build_world
    from wagtail.models import Task

    with throwaway_database("test_ecm_ops_bench_dashboard") as where:
        print(f"# bench_dashboard on {where}")
        from django.contrib.auth import get_user_model

        world = build_world()
        plain = get_user_model().objects.create_user("bench_editor", "e@example.com", "x")
        plain.groups.add(Group.objects.get(name="Editors"))
        url = reverse("wagtailadmin_home")
        task = Task.objects.get(pk=world["task"].pk)
        for total in (100, 1000):
            add_cases(world, total - world["made"])
            for label, user in (("", plain), ("reviewer_", world["reviewer"])):
                client = Client()
                client.force_login(user)
                Task.objects.filter(pk=task.pk).update(active=True)
                with_task = _queries(client, url)
                Task.objects.filter(pk=task.pk).update(active=False)
                without = _queries(client, url)
                Task.objects.filter(pk=task.pk).update(active=True)
                print(f"# {total} cases, {user.username}: {with_task} vs {without} queries")
                print(
                    f"bench: dashboard_{label}extra_queries_{total} = {with_task - without} "
                    f"queries (goal <= {GOAL_EXTRA}, constant in cases)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
