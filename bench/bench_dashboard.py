"""Wagtail dashboard numbers: what ecm_ops adds to the admin home page, against the same site
WITHOUT the app (``sandbox_site.settings.bench_without``, a separate process with its own
throwaway database, ``bench/without_site.py``), all panels counted on both sides.

* ``dashboard_extra_queries_100`` / ``dashboard_extra_queries_1000``: queries of one GET of
  the dashboard for an editor without review authority on the site with the app and 100 or
  1,000 open review cases (each an in-progress Wagtail task state), minus the same editor's
  GET on the site without the app. Goal <= 5 at both sizes.
* ``dashboard_reviewer_extra_queries_100`` / ``..._1000``: the same for a reviewer with
  authority on 5 of the 20 sections (ecm_ops's own "awaiting your review" panel), against the
  editor of the site without the app (that site has no review authority to have).

The site without the app has no open moderation tasks (its pages were never submitted): the
queries Wagtail itself spends on in-progress workflow states are counted as ecm_ops's.

Database: SQLite in memory unless ``DATABASE_URL`` is set (then a throwaway test database).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_dashboard.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

import without_site  # noqa: E402
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


def without_main() -> None:
    """Child process: the editor's dashboard queries on the site without the app (JSON)."""
    from django.test import Client
    from django.urls import reverse

    with throwaway_database("test_ecm_ops_bench_dashboard_without") as where:
        _news, editor = without_site.build()
        client = Client()
        client.force_login(editor)
        queries = _queries(client, reverse("wagtailadmin_home"))
        print(json.dumps({"where": where, "queries": queries}), flush=True)


def main() -> int:
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse
    from review_bench_data import add_cases, build_world

    child = without_site.start(__file__, stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=900)
    if child.returncode:
        raise SystemExit("the site without ecm_ops failed")
    baseline = json.loads(out.strip().splitlines()[-1])
    without = baseline["queries"]
    with throwaway_database("test_ecm_ops_bench_dashboard") as where:
        print(f"# bench_dashboard on {where}; without the app: {without} queries for the editor "
              f"({without_site.SETTINGS} on {baseline['where']})")  # fmt: skip
        from django.contrib.auth import get_user_model

        world = build_world()
        plain = get_user_model().objects.create_user("bench_editor", "e@example.com", "x")
        plain.groups.add(Group.objects.get(name="Editors"))
        url = reverse("wagtailadmin_home")
        for total in (100, 1000):
            add_cases(world, total - world["made"])
            for label, user in (("", plain), ("reviewer_", world["reviewer"])):
                client = Client()
                client.force_login(user)
                with_task = _queries(client, url)
                print(f"# {total} cases, {user.username}: {with_task} queries with the app, "
                      f"{without} without")  # fmt: skip
                print(
                    f"bench: dashboard_{label}extra_queries_{total} = {with_task - without} "
                    f"queries (goal <= {GOAL_EXTRA}, constant in cases)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(without_main() if "--without" in sys.argv else main())
