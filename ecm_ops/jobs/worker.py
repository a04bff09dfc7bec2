"""An RQ worker that loads ecm_ops's checks once, before it forks.

RQ's default ``Worker`` forks a work horse per job; whatever the horse imports or compiles
(check modules, regular expressions, rule packs) dies with it, so every screening job would
pay for it again (seconds on a busy machine). This worker warms the checks in the parent
process, so each horse inherits them. Use it with django-rq::

    python manage.py rqworker default --with-scheduler --worker-class ecm_ops.jobs.worker.Worker
"""

from __future__ import annotations

from django.db import connections
from rq import Worker as RQWorker


class Worker(RQWorker):
    def work(self, *args, **kwargs):
        from ..services.screening import warm_up

        warm_up()
        # Warming may have opened a database connection (rule packs); a forked horse must not
        # share its socket with this process, so close it (as django-rq does before forking).
        connections.close_all()
        return super().work(*args, **kwargs)
