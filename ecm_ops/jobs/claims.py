"""Claiming a row for processing, so that two workers never process the same row."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from ..models.base import BackgroundWork
from ..states import JobStatus


def claim(model: type[BackgroundWork], pk: int) -> BackgroundWork | None:
    """Atomically move a queued row to running. Returns the row, or None if it was not queued
    (already done, cancelled, or claimed by another worker)."""
    updated = model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not updated:
        return None
    return model.objects.get(pk=pk)


def finish(row: BackgroundWork, status: str, error: str = "", **fields) -> bool:
    """Record the outcome of a claimed row (only if it is still running: a cancel wins).
    Returns whether the row was updated."""
    updated = row.__class__.objects.filter(pk=row.pk, status=JobStatus.RUNNING).update(
        status=status, error=error, finished_at=timezone.now(), **fields
    )
    return bool(updated)
