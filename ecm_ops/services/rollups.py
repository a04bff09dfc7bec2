"""Daily rollups: the raw rows of one day (drafts, screenings, reviews, publications, incidents,
provider calls) summed per section, template, page type and team into :class:`DailyRollup` rows.

Building a day is idempotent: :func:`build_day` replaces the day's rows in one transaction, so
running it twice, or re-running it after late rows arrived, gives the same rows. The nightly job
(:func:`nightly`) queues yesterday and today as :class:`RollupRun` rows (the outbox enqueues
them after commit; the reaper re-enqueues lost ones); ``manage.py ecm_ops_rollup --from --to``
rebuilds any range. The cost of a day is a constant number of queries (about 16), whatever the
number of rows.

How each raw row is attributed:

* *section*: the root page of the nearest risk policy at or above the row's page (none: the
  page is in no governed section);
* *template*: a draft's own template; for anything else about a page, the template of the
  page's newest AI draft (none: the page was never drafted with AI);
* *page type*: the page's content type;
* *team*: the first group (by name) listed in ``ECM_OPS["OPS_TEAM_GROUPS"]`` that the acting
  user (requester, publisher) belongs to.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from .. import conf
from ..jobs import claims, outbox
from ..models import (
    Approval,
    DailyRollup,
    DraftRequest,
    FieldProvenance,
    Incident,
    Publication,
    ReviewCase,
    RiskPolicy,
    RollupRun,
    ScreeningOverride,
    ScreeningRun,
)
from ..models.drafts import ProviderCall
from ..models.operations import HOUR_BUCKETS, empty_histogram
from ..states import JobStatus, Origin, ReviewState, ScreeningTrigger

logger = logging.getLogger("ecm_ops.rollups")

SUMMED = (
    "drafts_requested off_label ai_submitted published ai_published ai_share_sum first_screens "
    "first_screen_blocked score_count score_sum score_sq_sum decided sent_back rejected "
    "incidents edit_count edit_sum overrides sla_breaches escalations approvals provider_calls "
    "input_tokens output_tokens cache_read_tokens cache_write_tokens cost"
).split()
HISTOGRAMS = ("first_decision_hours", "publish_hours")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def hour_bucket(hours: float) -> int:
    return bisect_left(HOUR_BUCKETS, hours)


class _Day:
    """Accumulates one day's rows by dimension key."""

    def __init__(self, day: date):
        self.day = day
        self.rows: dict[tuple, DailyRollup] = {}
        self.page_ids: set[int] = set()
        self.user_ids: set[int] = set()
        self.pending: list[tuple[int | None, int | None, int | None, dict]] = []

    def add(self, page_id, user_id, template_id=None, /, **values) -> None:
        """Record ``values`` for a row about ``page_id`` by ``user_id``; dimensions are
        resolved in :meth:`rows_for_save` (a few bulk queries, not one per row)."""
        self.page_ids.add(page_id)
        if user_id:
            self.user_ids.add(user_id)
        self.pending.append((page_id, user_id, template_id, values))

    def resolve(self) -> list[DailyRollup]:
        pages = {
            p["pk"]: p
            for p in Page.objects.filter(pk__in=self.page_ids).values(
                "pk", "path", "content_type_id"
            )
        }
        sections = dict(RiskPolicy.objects.values_list("section__path", "section_id"))
        page_template = _newest_templates(self.page_ids)
        teams = _teams(self.user_ids)
        section_of: dict[int, int | None] = {}
        for pk, page in pages.items():
            path = page["path"]
            section_of[pk] = next(
                (
                    sections[path[:end]]
                    for end in range(len(path), 0, -Page.steplen)
                    if path[:end] in sections
                ),
                None,
            )
        for page_id, user_id, template_id, values in self.pending:
            page = pages.get(page_id)
            key = (
                section_of.get(page_id),
                template_id if template_id is not None else page_template.get(page_id),
                page["content_type_id"] if page else None,
                teams.get(user_id),
            )
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = DailyRollup(
                    day=self.day,
                    section_id=key[0],
                    template_id=key[1],
                    page_type_id=key[2],
                    team_id=key[3],
                    first_decision_hours=empty_histogram(),
                    publish_hours=empty_histogram(),
                    approvals_by_reviewer={},
                )
            for field, value in values.items():
                if field in HISTOGRAMS:
                    getattr(row, field)[value] += 1
                elif field == "reviewer":
                    counts = row.approvals_by_reviewer
                    counts[str(value)] = counts.get(str(value), 0) + 1
                else:
                    setattr(row, field, getattr(row, field) + value)
        return list(self.rows.values())


def _newest_templates(page_ids) -> dict[int, int]:
    """page id -> the template of its newest AI draft (two small queries: a page may have
    thousands of drafts)."""
    newest = (
        DraftRequest.objects.filter(page_id__in=page_ids)
        .values("page_id")
        .annotate(newest=Max("pk"))
        .values_list("newest", flat=True)
    )
    return dict(
        DraftRequest.objects.filter(pk__in=list(newest)).values_list(
            "page_id", "template_version__template_id"
        )
    )


def _teams(user_ids) -> dict[int, int]:
    names = conf.get("OPS_TEAM_GROUPS")
    if not names or not user_ids:
        return {}
    through = get_user_model().groups.through
    result: dict[int, int] = {}
    for user_id, group_id in (
        through.objects.filter(user_id__in=user_ids, group__name__in=names)
        .order_by("user_id", "-group__name")
        .values_list("user_id", "group_id")
    ):
        result[user_id] = group_id  # the first by name wins (ordered last)
    return result


def collect_day(day: date) -> list[DailyRollup]:
    """Read the raw rows of ``day`` and return its (unsaved) rollup rows."""
    start, end = day_bounds(day)
    acc = _Day(day)
    for page_id, user_id, template_id, off_label in DraftRequest.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("page_id", "requester_id", "template_version__template_id", "off_label"):
        acc.add(page_id, user_id, template_id, drafts_requested=1, off_label=int(off_label))

    runs = list(
        ScreeningRun.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            trigger=ScreeningTrigger.DRAFT,
            status=JobStatus.SUCCEEDED,
        ).values_list("page_id", "requested_by_id", "revision_id", "blocker_count", "score")
    )
    draft_template = dict(
        DraftRequest.objects.filter(revision_id__in={r[2] for r in runs if r[2]}).values_list(
            "revision_id", "template_version__template_id"
        )
    )
    for page_id, user_id, revision_id, blockers, score in runs:
        values = {"first_screens": 1, "first_screen_blocked": int(blockers > 0)}
        if score is not None:
            values.update(score_count=1, score_sum=score, score_sq_sum=score * score)
        acc.add(page_id, user_id, draft_template.get(revision_id), **values)

    ai_page = DraftRequest.objects.filter(page_id=OuterRef("page_id"))
    for page_id, user_id in (
        ReviewCase.objects.filter(created_at__gte=start, created_at__lt=end)
        .filter(Exists(ai_page))
        .values_list("page_id", "requester_id")
    ):
        acc.add(page_id, user_id, ai_submitted=1)

    for page_id, user_id, state, created, decided, due in ReviewCase.objects.filter(
        decided_at__gte=start, decided_at__lt=end
    ).values_list("page_id", "requester_id", "state", "created_at", "decided_at", "due_at"):
        acc.add(
            page_id,
            user_id,
            decided=1,
            sent_back=int(state == ReviewState.CHANGES_REQUESTED),
            rejected=int(state == ReviewState.REJECTED),
            sla_breaches=int(due is not None and decided > due),
            first_decision_hours=hour_bucket((decided - created).total_seconds() / 3600),
        )

    pubs = list(
        Publication.objects.filter(published_at__gte=start, published_at__lt=end).values_list(
            "page_id", "user_id", "ai_share", "basis", "revision_id", "published_at",
            "case__created_at",
        )
    )  # fmt: skip
    edits: dict[int, list[float]] = defaultdict(list)
    for revision_id, similarity in FieldProvenance.objects.filter(
        revision_id__in={p[4] for p in pubs if p[4] and p[2] > 0},
        origin__in=(Origin.AI, Origin.MIXED),
    ).values_list("revision_id", "similarity"):
        edits[revision_id].append(1.0 - similarity)
    for page_id, user_id, share, basis, revision_id, published_at, case_created in pubs:
        values = {"published": 1}
        if share > 0:
            values.update(
                ai_published=1,
                ai_share_sum=share,
                overrides=int(basis == Publication.Basis.OVERRIDE),
            )
            if edits.get(revision_id):
                values.update(
                    edit_count=1, edit_sum=sum(edits[revision_id]) / len(edits[revision_id])
                )
            if case_created is not None:
                values["publish_hours"] = hour_bucket(
                    (published_at - case_created).total_seconds() / 3600
                )
        acc.add(page_id, user_id, **values)

    for page_id, user_id, requester_id in Approval.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("case__page_id", "user_id", "case__requester_id"):
        acc.add(page_id, requester_id, approvals=1, reviewer=user_id)
    for (page_id,) in Incident.objects.filter(opened_at__gte=start, opened_at__lt=end).values_list(
        "page_id"
    ):
        acc.add(page_id, None, incidents=1)
    for page_id, user_id in ScreeningOverride.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("page_id", "user_id"):
        acc.add(page_id, user_id, overrides=1)
    for page_id, user_id in PageLogEntry.objects.filter(
        timestamp__gte=start, timestamp__lt=end, action="ecm_ops.review.escalated"
    ).values_list("page_id", "user_id"):
        acc.add(page_id, user_id, escalations=1)

    for call in ProviderCall.objects.filter(created_at__gte=start, created_at__lt=end).values(
        "draft__page_id", "screening_run__page_id", "draft__template_version__template_id",
        "draft__requester_id", "screening_run__requested_by_id", "input_tokens",
        "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost",
    ):  # fmt: skip
        acc.add(
            call["draft__page_id"] or call["screening_run__page_id"],
            call["draft__requester_id"] or call["screening_run__requested_by_id"],
            call["draft__template_version__template_id"],
            provider_calls=1,
            input_tokens=call["input_tokens"],
            output_tokens=call["output_tokens"],
            cache_read_tokens=call["cache_read_tokens"],
            cache_write_tokens=call["cache_write_tokens"],
            cost=call["cost"] or Decimal(0),
        )
    return acc.resolve()


def build_day(day: date, run: RollupRun | None = None) -> int:
    """Replace the rollup rows of ``day``; returns how many rows it wrote.

    With ``run`` (a claimed :class:`RollupRun`), the write is fenced: a stale attempt's
    transaction is rolled back (:mod:`ecm_ops.jobs.claims`).
    """
    rows = collect_day(day)
    with transaction.atomic():
        if run is not None:
            claims.hold_or_raise(run)
        DailyRollup.objects.filter(day=day).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=500)
        if run is not None:
            claims.finish_or_raise(run, JobStatus.SUCCEEDED, rows_written=len(rows))
    return len(rows)


def rebuild(first: date, last: date) -> int:
    """Rebuild every day from ``first`` to ``last`` inclusive (the command's body)."""
    if last < first:
        raise ValueError("The last day is before the first day.")
    written, day = 0, first
    while day <= last:
        written += build_day(day)
        day += timedelta(days=1)
    return written


def request_rollup(day: date, reason: str = "nightly") -> RollupRun:
    """Queue a rebuild of ``day`` (an open run for the same day is reused)."""
    with transaction.atomic():
        run = RollupRun.objects.filter(
            day=day, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        ).first()
        if run is None:
            run = RollupRun.objects.create(day=day, reason=reason)
            outbox.enqueue_on_commit(run)
    return run


def process_rollup_run(pk: int) -> None:
    """The job: build the run's day, then evaluate drift; a nightly run also enforces the
    screening retention setting."""
    run = claims.claim(RollupRun, pk)
    if run is None:
        return
    try:
        build_day(run.day, run)
    except claims.StaleAttempt:
        return
    except Exception as exc:
        logger.exception("Rollup of %s failed", run.day)
        claims.finish(run, JobStatus.FAILED, error=f"The rollup of {run.day} failed: {exc}")
        return
    from .drift import evaluate

    evaluate()
    if run.reason == "nightly":
        enforce_retention()


def nightly(today: date | None = None) -> None:
    """Cron body: queue yesterday (now complete) and today (so far)."""
    today = today or timezone.localdate()
    request_rollup(today - timedelta(days=1))
    request_rollup(today, reason="today")


def enforce_retention(keep: int | None = None) -> int:
    """Delete screening runs beyond the newest ``keep`` per page (``SCREENING_RETENTION_RUNS``),
    never a run tied to a publication, a review case, an override, an incident, a monitoring
    check, an operations alert or a billed provider call (by foreign key, or by screening exactly the content a
    publication or a case is about: the verifier finds runs by content digest), nor a run
    that is still open or from the last two days (not rolled up yet). Returns the number of
    runs deleted."""
    keep = conf.get("SCREENING_RETENTION_RUNS") if keep is None else keep
    if keep is None:
        return 0
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from ..models import Incident as Inc
    from ..models import MonitoringCheck, OperationsAlert

    ranked = ScreeningRun.objects.annotate(
        rank=Window(RowNumber(), partition_by=[F("page_id")], order_by=[F("created_at").desc(),
                                                                       F("pk").desc()])
    ).filter(rank__gt=keep)  # fmt: skip
    cutoff = timezone.now() - timedelta(days=2)
    tied = (
        Q(pk__in=Publication.objects.filter(screening_run__isnull=False).values("screening_run"))
        | Q(pk__in=ReviewCase.objects.filter(screening_run__isnull=False).values("screening_run"))
        | Q(pk__in=ScreeningOverride.objects.values("run"))
        | Q(pk__in=Inc.objects.filter(screening_run__isnull=False).values("screening_run"))
        | Q(
            pk__in=MonitoringCheck.objects.filter(screening_run__isnull=False).values(
                "screening_run"
            )
        )
        | Q(
            pk__in=OperationsAlert.objects.filter(screening_run__isnull=False).values(
                "screening_run"
            )
        )
        | Exists(ProviderCall.objects.filter(screening_run=OuterRef("pk")))
        | Exists(
            Publication.objects.filter(
                page_id=OuterRef("page_id"), content_digest=OuterRef("content_digest")
            )
        )
        | Exists(
            ReviewCase.objects.filter(
                page_id=OuterRef("page_id"), content_digest=OuterRef("content_digest")
            )
        )
    )
    doomed = list(
        ScreeningRun.objects.filter(pk__in=[r.pk for r in ranked.only("pk")])
        .filter(created_at__lt=cutoff, status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED,
                                                     JobStatus.CANCELLED))
        .exclude(tied)
        .values_list("pk", flat=True)
    )  # fmt: skip
    deleted = 0
    for i in range(0, len(doomed), 1000):
        deleted += (
            ScreeningRun.objects.filter(pk__in=doomed[i : i + 1000])
            .delete()[1]
            .get("ecm_ops.ScreeningRun", 0)
        )
    if deleted:
        logger.info("Screening retention deleted %s runs", deleted)
    return deleted
