"""``manage.py ecm_ops_verify [--since DATE] [--until DATE] [--json]``: re-derive the
publication invariant for every publication in the period and print the violations.

Exit status 0 when there are none, 1 when there is at least one (for cron and CI), 2 for bad
arguments. See :mod:`ecm_ops.governance.verify` for what is checked.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from ecm_ops.governance.verify import verify


def _when(value: str, name: str):
    from datetime import datetime, time

    from django.utils import timezone

    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--{name}: '{value}' is not a date (YYYY-MM-DD) or date-time.")
        parsed = datetime.combine(day, time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = "Re-derive the publication invariant for past publications; exit 1 on violations."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only publications at or after this date/time")
        parser.add_argument("--until", help="only publications before this date/time")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        since = _when(options["since"], "since") if options["since"] else None
        until = _when(options["until"], "until") if options["until"] else None
        report = verify(since=since, until=until)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "publications": report.publications,
                        "log_entries": report.log_entries,
                        "violations": [v.as_dict() for v in report.violations],
                    },
                    indent=2,
                )
            )
        else:
            for v in report.violations:
                self.stdout.write(
                    f"VIOLATION page {v.page_id} at {v.at:%Y-%m-%d %H:%M} [{v.kind}]: {v.message}"
                )
            self.stdout.write(
                f"{report.publications} publication(s) and {report.log_entries} publish log "
                f"entries checked: {len(report.violations)} violation(s)."
            )
        if report.violations:
            raise SystemExit(1)
