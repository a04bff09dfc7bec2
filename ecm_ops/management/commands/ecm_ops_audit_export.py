"""Export the audit trail of a section's published pages as CSV or JSON."""

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Page

from ecm_ops.services import audit_export


class Command(BaseCommand):
    help = "Export who generated, edited, reviewed and approved every page published in a section."

    def add_arguments(self, parser):
        parser.add_argument("--section", type=int, required=True, help="Section root page id")
        parser.add_argument("--since", required=True, help="YYYY-MM-DD")
        parser.add_argument("--until", required=True, help="YYYY-MM-DD (inclusive)")
        parser.add_argument("--format", choices=["csv", "json"], default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output")

    def handle(self, *args, section, since, until, format, output=None, **options):
        page = Page.objects.filter(pk=section).first()
        if page is None:
            raise CommandError(f"There is no section with id {section}.")
        try:
            start, end = audit_export.parse_range(since, until)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        text = audit_export.export(audit_export.audit_records(page, start, end), format)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
