"""RQ cron configuration: ``python manage.py rqcron ecm_ops.cron``.

Run one cron process per deployment beside the workers. The reaper runs every minute; it is
safe to run more often or twice (re-enqueueing is idempotent: job ids are per row).
"""

from rq import cron

from ecm_ops import conf
from ecm_ops.jobs.entrypoints import reap

cron.register(reap, queue_name=conf.get("QUEUE"), interval=60, name="ecm_ops.reaper")
