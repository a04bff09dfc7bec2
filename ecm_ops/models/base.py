"""The shared shape of every piece of background work: a row first, then a job.

A subclass names the RQ entry point that processes one row (``job_entrypoint``). The outbox
(:mod:`ecm_ops.jobs.outbox`) enqueues it after the transaction that created the row commits;
the reaper re-enqueues rows that stayed queued or running past the deadline.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..states import JobStatus


class BackgroundWork(models.Model):
    job_entrypoint: str = ""

    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
