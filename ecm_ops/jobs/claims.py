"""Claiming a row for processing, and finishing it, fenced by the attempt number.

The reaper re-queues a row that stayed running past ``REAPER_STALE_AFTER`` (its worker looks
dead), but a worker that was only slow may still be running it. So every claim hands out a
*fencing token*, the row's attempt number (``attempts`` after the claim), and everything an
attempt writes as its result goes through the fence:

* :func:`finish` updates the row only while it is still ``running`` under that same attempt;
  a stale attempt's finish changes nothing and returns ``False``.
* A job writes its results (findings, a draft revision and its provenance) inside one
  transaction that starts with :func:`hold` and ends with :func:`finish_or_raise`: a stale
  attempt raises :class:`StaleAttempt` there and the whole transaction, results included, is
  rolled back. On PostgreSQL :func:`hold` also locks the row, so the reaper cannot re-queue it
  half-way through the transaction (its ``UPDATE`` waits and then sees a finished row).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from ..models.base import BackgroundWork
from ..states import JobStatus


class StaleAttempt(Exception):
    """The row is no longer running under this attempt (the reaper re-queued it, another
    attempt finished it, or it was cancelled). Raised inside a result transaction so that
    nothing the stale attempt wrote is committed."""


def claim(model: type[BackgroundWork], pk: int) -> BackgroundWork | None:
    """Atomically move a queued row to running, as a new attempt.

    Returns:
        The row, its ``attempts`` being this attempt's fencing token; or None if the row was
        not queued (already done, cancelled, or claimed by another worker).
    """
    row = model.objects.filter(pk=pk, status=JobStatus.QUEUED).first()
    if row is None:
        return None
    attempt = row.attempts + 1
    now = timezone.now()
    # Compare-and-set on the attempt number: of two workers claiming the same row, one wins.
    updated = model.objects.filter(pk=pk, status=JobStatus.QUEUED, attempts=row.attempts).update(
        status=JobStatus.RUNNING, started_at=now, attempts=attempt
    )
    if not updated:
        return None
    row.status, row.started_at, row.attempts = JobStatus.RUNNING, now, attempt
    return row


def _ours(row: BackgroundWork) -> Q:
    return Q(pk=row.pk, status=JobStatus.RUNNING, attempts=row.attempts)


def hold(row: BackgroundWork) -> bool:
    """Inside a transaction: lock the row (PostgreSQL) and say whether it is still running
    under ``row.attempts``."""
    return row.__class__.objects.select_for_update().filter(_ours(row)).exists()


def hold_or_raise(row: BackgroundWork) -> None:
    """:func:`hold`, raising :class:`StaleAttempt` when the row is no longer this attempt's."""
    if not hold(row):
        raise StaleAttempt(f"{row.__class__.__name__} {row.pk} attempt {row.attempts}")


def finish(row: BackgroundWork, status: str, error: str = "", **fields) -> bool:
    """Record the outcome of the attempt that claimed ``row``: only if the row is still
    running under that attempt (a cancel, a re-queue by the reaper or a newer attempt wins).

    Returns:
        Whether the row was updated (False: a stale attempt; nothing changed).
    """
    updated = row.__class__.objects.filter(_ours(row)).update(
        status=status, error=error, finished_at=timezone.now(), **fields
    )
    return bool(updated)


def finish_or_raise(row: BackgroundWork, status: str, error: str = "", **fields) -> None:
    """:func:`finish`, raising :class:`StaleAttempt` (to roll back the results written in the
    same transaction) when the attempt is stale."""
    if not finish(row, status, error, **fields):
        raise StaleAttempt(f"{row.__class__.__name__} {row.pk} attempt {row.attempts}")
