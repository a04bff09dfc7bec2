"""Pre-screen a text file or a page with the registered checks.

    manage.py ecm_ops_prescreen --text-file F [--page-type app_label.Model] [--format json|text]
    manage.py ecm_ops_prescreen --page ID [--live] [--format json|text]

Text files: plain text is one ``body`` field; a file whose first line is ``== name ==``
is split into fields at each such line (``== title ==``, ``== body ==`` ...); a ``.html``
file's body is read as rich text (tags removed, links checked). ``--page`` screens the page's
latest revision (``--live``: the live version) with the page's own policy and drafting
context, exactly as the editor and the submit gate do.

JSON output is a list of objects with exactly ``check``, ``severity``, ``field``, ``start``,
``end``, ``message``, ``excerpt`` (offsets into the canonical text). Exit status: 1 when any
finding is a blocker, 0 otherwise; 2 for bad input (missing file, unknown page type or page).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from ...content_checks.canonical import CanonicalText
from ...content_checks.registry import CheckContext, run_checks
from ...content_checks.scoring import score_card
from ...states import Severity

FIELD_HEADER = re.compile(r"^== *([A-Za-z_][\w.]*) *==[ \t]*$", re.M)
JSON_KEYS = ("check", "severity", "field", "start", "end", "message", "excerpt")


def parse_text_file(path: Path) -> CanonicalText:
    """Raises CommandError (exit 2) when the file cannot be read."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"No such file: {path}", returncode=2) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path} as UTF-8 text: {exc}", returncode=2) from exc
    is_html = path.suffix.lower() in (".html", ".htm")
    if FIELD_HEADER.match(raw):
        pieces = FIELD_HEADER.split(raw)[1:]
        fields = list(zip(pieces[0::2], pieces[1::2], strict=True))
    else:
        fields = [("body", raw)]
    html_fields = tuple(name for name, _v in fields if name != "title") if is_html else ()
    return CanonicalText.from_fields(fields, html_fields=html_fields)


def as_json(finding) -> dict:
    return {
        "check": finding.check_id,
        "severity": str(finding.severity),
        "field": finding.field,
        "start": finding.start,
        "end": finding.end,
        "message": finding.message,
        "excerpt": finding.excerpt,
    }


class Command(BaseCommand):
    help = "Pre-screen a text file or a page; exit 1 when there is a blocker."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--text-file", help="A UTF-8 text (or .html) file to screen.")
        source.add_argument("--page", type=int, help="The id of a page to screen.")
        parser.add_argument(
            "--page-type", help="Screen the text as this page type (app_label.Model)."
        )
        parser.add_argument(
            "--live", action="store_true", help="With --page: the live version, not the latest."
        )
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        if options["text_file"]:
            doc = parse_text_file(Path(options["text_file"]))
            context = CheckContext(page_type=self._page_type(options["page_type"]))
        else:
            doc, context = self._page(options["page"], options["live"])
        findings = run_checks(doc, context)
        if options["format"] == "json":
            self.stdout.write(json.dumps([as_json(f) for f in findings], ensure_ascii=False))
        else:
            self._text(doc, findings)
        if any(f.severity == Severity.BLOCKER for f in findings):
            sys.exit(1)

    def _page_type(self, label: str | None) -> str:
        if not label:
            return ""
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError) as exc:
            raise CommandError(
                f"Unknown page type {label!r}: use app_label.Model, e.g. content.NewsArticle.",
                returncode=2,
            ) from exc
        from wagtail.models import Page

        if not issubclass(model, Page):
            raise CommandError(f"{label!r} is not a Wagtail page type.", returncode=2)
        return f"{model._meta.app_label}.{model._meta.model_name}"

    def _page(self, pk: int, live: bool):
        from wagtail.models import Page

        from ...content_checks.canonical import canonical_text, page_type_label
        from ...governance.classification import policy_for

        try:
            page = Page.objects.get(pk=pk).specific
        except Page.DoesNotExist as exc:
            raise CommandError(f"No page with id {pk}.", returncode=2) from exc
        obj = page if live else page.get_latest_revision_as_object()
        context = CheckContext(page=page, page_type=page_type_label(page), policy=policy_for(page))
        return canonical_text(obj), context

    def _text(self, doc, findings):
        card = score_card(findings, doc.word_count)
        for f in findings:
            where = f"{f.field}[{f.start}:{f.end}]" if f.field else f"[{f.start}:{f.end}]"
            excerpt = " ".join(f.excerpt.split())
            excerpt = f' — "{excerpt[:80]}"' if excerpt else ""
            self.stdout.write(f"{f.severity:<8} {f.check_id:<32} {where:<20} {f.message}{excerpt}")
        self.stdout.write(
            f"{len(findings)} finding(s): {card.blockers} blocker(s), {card.warnings} "
            f"warning(s), {card.infos} info; score {card.overall:g} per 100 words "
            f"({doc.word_count} words); needs tier {card.minimum_level} or higher."
        )
