"""RQ cron configuration: ``python manage.py rqcron ecm_ops.cron``.

Run one cron process per deployment beside the workers. The reaper runs every minute; it is
safe to run more often or twice (re-enqueueing is idempotent: job ids are per row). The nightly
monitoring sweep runs on ``ECM_OPS["SWEEP_CRON"]`` (default ``30 2 * * *``, server time); a
second trigger within 12 hours is ignored, so two cron processes cannot double the sweep.
Certification expiry reminders go out daily at 07:00 (each certification is mailed once).
"""

from rq import cron

from ecm_ops import conf
from ecm_ops.jobs.entrypoints import (
    certification_reminders,
    nightly_rollup,
    nightly_sweep,
    nightly_verify,
    reap,
)

cron.register(reap, queue_name=conf.get("QUEUE"), interval=60, name="ecm_ops.reaper")
cron.register(
    nightly_sweep,
    queue_name=conf.get("QUEUE"),
    cron=conf.get("SWEEP_CRON"),
    name="ecm_ops.nightly_sweep",
)
cron.register(
    nightly_verify,
    queue_name=conf.get("QUEUE"),
    cron=conf.get("VERIFY_CRON"),
    name="ecm_ops.nightly_verify",
)
cron.register(
    nightly_rollup,
    queue_name=conf.get("QUEUE"),
    cron=conf.get("ROLLUP_CRON"),
    name="ecm_ops.nightly_rollup",
)
cron.register(
    certification_reminders,
    queue_name=conf.get("QUEUE"),
    cron="0 7 * * *",
    name="ecm_ops.certification_reminders",
)
