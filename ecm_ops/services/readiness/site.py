"""The installation as a whole: the setup checklist's first block (governed sections,
background jobs, e-mail)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ... import conf
from .card import MISSING, OK, Item
from .items import _listed

#: E-mail backends that deliver nothing to anyone.
NON_DELIVERING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints e-mails to the console",
    "django.core.mail.backends.dummy.EmailBackend": "discards e-mails",
    "django.core.mail.backends.filebased.EmailBackend": "writes e-mails to files",
    "django.core.mail.backends.locmem.EmailBackend": "keeps e-mails in memory",
}
#: A worker or cron process counts as running when its last heartbeat is this recent.
HEARTBEAT_WITHIN = timedelta(minutes=3)


def item_sections(policies) -> Item:
    item = Item(
        "site",
        "sections",
        _("At least one governed section (a risk policy on a section root)"),
        OK,
        fix_url=reverse("ecm_ops_risk_policies:add"),
        fix_label=_("Add a risk policy"),
    )
    if not policies:
        item.status = MISSING
        item.problems.append("no risk policy exists yet, so no section is governed.")
    else:
        item.detail = _listed([p.section.title for p in policies])
    return item


def item_jobs(now=None) -> Item:
    """Background jobs: inline mode stated, or Redis reachable with a worker, the scheduler
    and the ecm_ops cron (``rqcron ecm_ops.cron``) seen recently."""
    from ...jobs import outbox

    item = Item("site", "jobs", _("Background jobs run"), OK)
    if outbox.backend() == "inline":
        item.detail = _(
            "Inline mode: jobs run in the web process after each request (no Redis). Fine for "
            "a demo; in production set RQ_QUEUES and run workers (see the README)."
        )
        return item
    now = now or timezone.now()
    try:
        from rq import Worker
        from rq.cron import CronScheduler
        from rq.scheduler import RQScheduler

        queue = outbox.get_queue()
        connection = queue.connection
        connection.ping()
        workers = [
            w
            for w in Worker.all(queue=queue)
            if w.last_heartbeat and now - _aware(w.last_heartbeat) < HEARTBEAT_WITHIN
        ]
        scheduler = connection.exists(RQScheduler.get_locking_key(queue.name))
        crons = [
            c
            for c in CronScheduler.all(connection)
            if c.last_heartbeat and now - _aware(c.last_heartbeat) < HEARTBEAT_WITHIN
        ]
    except Exception as exc:  # noqa: BLE001 - any Redis failure is the finding itself
        item.status = MISSING
        item.problems.append(f"Redis for the queue “{conf.get('QUEUE')}” is unreachable ({exc}).")
        return item
    if not workers:
        item.problems.append(
            "no worker has been seen in the last 3 minutes: run `manage.py rqworker "
            f"{queue.name} --with-scheduler`."
        )
    if not scheduler:
        item.problems.append(
            "no RQ scheduler is running, so monitoring re-checks and SLA timers never fire: "
            "start a worker with `--with-scheduler`."
        )
    if not crons:
        item.problems.append(
            "the ecm_ops cron (reaper and nightly sweep) is not running: run `manage.py rqcron "
            "ecm_ops.cron` once per deployment."
        )
    if item.problems:
        item.status = MISSING
    else:
        item.detail = f"{len(workers)} worker(s), the scheduler and the ecm_ops cron are running."
    return item


def _aware(dt):
    return dt if timezone.is_aware(dt) else timezone.make_aware(dt, timezone.utc)


def item_email() -> Item:
    item = Item("site", "email", _("E-mail is configured"), OK)
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend in NON_DELIVERING_BACKENDS:
        item.problems.append(
            f"EMAIL_BACKEND {NON_DELIVERING_BACKENDS[backend]}, so reviewers are not told about "
            "review requests, escalations and incidents."
        )
    if getattr(settings, "DEFAULT_FROM_EMAIL", "") == "webmaster@localhost":
        item.problems.append(
            "DEFAULT_FROM_EMAIL is Django's placeholder webmaster@localhost; set the address "
            "notifications come from."
        )
    if item.problems:
        item.status = MISSING
    else:
        item.detail = f"Sent from {settings.DEFAULT_FROM_EMAIL}."
    return item
