"""``manage.py ecm_ops_reap``: one pass of the reaper, for sites without ``rqcron``.

With RQ, ``manage.py rqcron ecm_ops.cron`` runs the reaper every minute. Sites that prefer the
system cron (or run jobs inline, where nothing schedules monitoring) run this command instead,
e.g. every minute. Safe to run concurrently with workers: re-enqueueing is idempotent.
"""

from django.core.management.base import BaseCommand

from ecm_ops.jobs import outbox
from ecm_ops.jobs.entrypoints import reap


class Command(BaseCommand):
    help = (
        "Re-enqueue background work that Redis or a dead worker lost; in inline mode also run "
        "due monitoring checks."
    )

    def handle(self, *args, **options):
        reap()
        self.stdout.write(f"Reaper pass done (job backend: {outbox.backend()}).")
