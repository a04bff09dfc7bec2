"""Rebuild the operations dashboard's daily rollups for a date range."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Rebuild the daily rollup rows of the operations dashboard from the raw tables for a "
        "date range (idempotent), then evaluate drift against the pilot baseline."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="first", help="First day (YYYY-MM-DD); default yesterday"
        )
        parser.add_argument("--to", dest="last", help="Last day (YYYY-MM-DD); default today")
        parser.add_argument(
            "--retention", action="store_true", help="Also enforce SCREENING_RETENTION_RUNS."
        )

    def handle(self, *args, first=None, last=None, retention=False, **options):
        from ecm_ops.services import drift, rollups

        today = timezone.localdate()
        first_day = _day(first) if first else today - timedelta(days=1)
        last_day = _day(last) if last else today
        if last_day < first_day:
            raise CommandError("--to is before --from.")
        if (last_day - first_day).days > 3660:
            raise CommandError("At most ten years at a time.")
        written = rollups.rebuild(first_day, last_day)
        alerts = drift.evaluate()
        self.stdout.write(
            f"Rebuilt {(last_day - first_day).days + 1} days ({written} rollup rows); "
            f"{len(alerts)} drift alert(s) open or updated."
        )
        if retention:
            self.stdout.write(f"Deleted {rollups.enforce_retention()} old screening runs.")
