"""Synthetic operations history: drafts, first screenings, review cases, approvals,
publications, incidents and provider calls with back-dated timestamps, written in bulk.

For the sandbox demo (a pilot period, then a production period where volume rises and
quality falls), for tests and for the benchmarks. Never called by the app itself.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from ..models import (
    Approval,
    DraftRequest,
    Incident,
    Publication,
    ReviewCase,
    ScreeningRun,
)
from ..models.drafts import ProviderCall
from ..states import JobStatus, ReviewState, ScreeningTrigger, Severity

STAMPED = [
    (DraftRequest, "created_at"),
    (ScreeningRun, "created_at"),
    (ReviewCase, "created_at"),
    (Approval, "created_at"),
    (Publication, "published_at"),
    (Incident, "opened_at"),
    (ProviderCall, "created_at"),
]


@contextmanager
def own_timestamps():
    """Let bulk_create write the timestamps we give (``auto_now_add`` off meanwhile)."""
    fields = [model._meta.get_field(name) for model, name in STAMPED]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def make_day(
    day: date,
    pages: list,
    version,
    requester,
    reviewer,
    *,
    drafts: int,
    blocker_rate: float,
    send_back_rate: float = 0.1,
    incident_rate: float = 0.02,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """One day of activity on ``pages`` (each with a latest revision). Returns row counts."""
    rng = rng or random.Random(day.toordinal())  # noqa: S311 (synthetic data, not secrets)
    base = timezone.make_aware(datetime.combine(day, time(9)))
    revisions = {p.pk: p.latest_revision_id for p in pages}
    with own_timestamps():
        draft_rows, run_rows, case_rows = [], [], []
        for i in range(drafts):
            page = pages[i % len(pages)]
            at = base + timedelta(minutes=(i * 7) % 480)
            blocked = rng.random() < blocker_rate
            draft_rows.append(
                DraftRequest(
                    page=page, template_version=version, requester=requester, brief={},
                    status=JobStatus.SUCCEEDED, created_at=at, provider="offline",
                    model_name="claude-sonnet-5-5", input_tokens=1200, output_tokens=600,
                    cache_read_tokens=800, cost=Decimal("0.0120"), off_label=rng.random() < 0.03,
                )
            )  # fmt: skip
            score = rng.uniform(4, 9) if blocked else rng.uniform(0.5, 3)
            run_rows.append(
                ScreeningRun(
                    page=page, revision_id=revisions[page.pk], trigger=ScreeningTrigger.DRAFT,
                    status=JobStatus.SUCCEEDED, created_at=at + timedelta(seconds=30),
                    finished_at=at + timedelta(seconds=31), blocker_count=int(blocked),
                    warning_count=rng.randint(0, 3), score=score, word_count=400,
                )
            )  # fmt: skip
            sent_back = rng.random() < send_back_rate
            hours = rng.choice((2, 5, 10, 20, 30))
            case_rows.append(
                ReviewCase(
                    page=page, revision_id=revisions[page.pk], requester=requester,
                    state=ReviewState.CHANGES_REQUESTED if sent_back else ReviewState.APPROVED,
                    created_at=at + timedelta(minutes=5), due_at=at + timedelta(hours=24),
                    decided_at=at + timedelta(minutes=5, hours=hours),
                )
            )  # fmt: skip
        DraftRequest.objects.bulk_create(draft_rows, batch_size=2000)
        ScreeningRun.objects.bulk_create(run_rows, batch_size=2000)
        ReviewCase.objects.bulk_create(case_rows, batch_size=2000)
        calls, approvals, pubs, incidents = [], [], [], []
        for draft, case in zip(draft_rows, case_rows, strict=True):
            calls.append(
                ProviderCall(
                    draft=draft, attempt=1, created_at=draft.created_at, provider="offline",
                    model_name=draft.model_name, input_tokens=1200, output_tokens=600,
                    cache_read_tokens=800, cost=Decimal("0.0120"),
                )
            )  # fmt: skip
            if case.state == ReviewState.APPROVED:
                approvals.append(
                    Approval(case=case, revision_id=case.revision_id, user=reviewer,
                             created_at=case.decided_at)
                )  # fmt: skip
                pubs.append(
                    Publication(
                        page_id=case.page_id, revision_id=case.revision_id, content_digest="x",
                        published_at=case.decided_at + timedelta(minutes=10), user=reviewer,
                        ai_share=0.8, basis=Publication.Basis.REVIEW, case=case,
                    )
                )  # fmt: skip
                if rng.random() < incident_rate:
                    incidents.append(
                        Incident(page_id=case.page_id, severity=Severity.WARNING,
                                 summary="Monitoring found a new problem.",
                                 opened_at=case.decided_at + timedelta(hours=2))
                    )  # fmt: skip
        ProviderCall.objects.bulk_create(calls, batch_size=2000)
        Approval.objects.bulk_create(approvals, batch_size=2000)
        Publication.objects.bulk_create(pubs, batch_size=2000)
        Incident.objects.bulk_create(incidents, batch_size=2000)
    return {"drafts": len(draft_rows), "publications": len(pubs), "incidents": len(incidents)}
