"""RQ entry points. They take ids only and call services; no logic lives here."""

from __future__ import annotations


def run_draft_request(pk: int) -> None:
    from ..drafting.service import process_draft_request

    process_draft_request(pk)


def run_screening(pk: int) -> None:
    from ..services.screening import process_screening_run

    process_screening_run(pk)


def run_evaluation(pk: int) -> None:
    from ..evaluation.runner import process_evaluation_run

    process_evaluation_run(pk)


def run_monitoring_check(pk: int) -> None:
    from ..monitoring.service import process_monitoring_check

    process_monitoring_check(pk)


def run_escalation_timer(pk: int) -> None:
    from ..services.escalation import process_timer

    process_timer(pk)


def reap() -> None:
    from .outbox import backend
    from .reaper import reap as _reap
    from .reaper import run_due_monitoring

    _reap()
    if backend() == "inline":
        run_due_monitoring()
        from ..services.certification import send_expiry_reminders
        from .reaper import run_due_escalations

        run_due_escalations()
        send_expiry_reminders()


def run_sweep(pk: int) -> None:
    from ..monitoring.sweep import plan_sweep

    plan_sweep(pk)


def run_sweep_chunk(pk: int) -> None:
    from ..monitoring.sweep import process_chunk

    process_chunk(pk)


def nightly_sweep() -> None:
    """Cron entry point (``ecm_ops.cron``): start tonight's sweep of every live page."""
    from ..monitoring.sweep import start_sweep

    start_sweep("nightly")


def run_rollup(pk: int) -> None:
    from ..services.rollups import process_rollup_run

    process_rollup_run(pk)


def nightly_rollup() -> None:
    """Cron entry point (``ecm_ops.cron``): queue yesterday's and today's rollups (then drift
    and screening retention run in the job)."""
    from ..services.rollups import nightly

    nightly()


def nightly_verify() -> None:
    """Cron entry point (``ecm_ops.cron``): re-derive the publication invariant."""
    from ..services.verification import run_nightly

    run_nightly()


def certification_reminders() -> None:
    """Cron entry point (``ecm_ops.cron``): e-mail reviewers whose certification expires
    soon (each certification once; the row's ``reminded_at`` fences a second run)."""
    from ..services.certification import send_expiry_reminders

    send_expiry_reminders()
