"""Demo operations history: a calm pilot, then production where AI volume rises about 5× in
Health & Money and its first-screen blocker rate climbs, so the operations dashboard shows a
drift alert. Idempotent: does nothing once a pilot baseline exists."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from ecm_ops.models import PilotBaseline, PromptTemplateVersion
from ecm_ops.services import drift, rollups
from ecm_ops.services.ops_history import make_day
from ecm_ops.services.ops_metrics import period_start

PILOT_WEEKS, PRODUCTION_WEEKS = 6, 6


def _pages(section):
    pages = [p.specific for p in section.get_descendants()]
    for page in pages:
        if page.latest_revision_id is None:
            page.save_revision()
    return pages


def seed_operations(demo: dict, today=None) -> PilotBaseline | None:
    if PilotBaseline.objects.exists():
        return None
    today = today or timezone.localdate()
    this_week = period_start(today, "week")
    pilot_start = this_week - timedelta(weeks=PILOT_WEEKS + PRODUCTION_WEEKS)
    production_start = pilot_start + timedelta(weeks=PILOT_WEEKS)
    users = demo["users"]
    rng = random.Random(11)  # noqa: S311 (synthetic data)
    plan = [
        (demo["health"], "health-advice", (2, 0.04), (10, 0.16)),
        (demo["news"], "news-explainer", (3, 0.05), (4, 0.05)),
    ]
    for section, slug, pilot, production in plan:
        pages = _pages(section)
        version = PromptTemplateVersion.objects.filter(template__slug=slug).order_by("-pk").first()
        day = pilot_start
        while day < this_week:
            drafts, blockers = pilot if day < production_start else production
            make_day(day, pages, version, users["editor"], users["senior"], drafts=drafts,
                     blocker_rate=blockers, rng=rng)  # fmt: skip
            day += timedelta(days=1)
    rollups.rebuild(pilot_start, today)
    baseline = drift.mark_baseline(
        users["admin"], "Pilot", pilot_start, production_start - timedelta(days=1)
    )
    drift.evaluate(today)
    return baseline
