"""Background work: the outbox, the reaper and the RQ entry points (ids only).

Every job is a database row first (:class:`ecm_ops.models.base.BackgroundWork`), enqueued with
:func:`outbox.enqueue_on_commit` after the transaction that wrote it commits. Redis only carries
the job: if it is lost, the reaper finds the row still queued and enqueues it again.
"""
