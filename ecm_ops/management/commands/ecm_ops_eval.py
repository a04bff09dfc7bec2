"""Run a prompt template's evaluation suite, for CI pipelines that gate prompt changes.

    manage.py ecm_ops_eval news-explainer [--version 3] [--model claude-haiku-4-5]
                                          [--format text|json|junit]

Defaults to the newest version (the candidate, if there is one). Exits 0 when every required
case passed, 1 when the suite failed, 2 on a usage error (unknown template or version, no
cases). The run is recorded like one started in the admin (so it counts for promotion).
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from django.core.management.base import BaseCommand, CommandError

from ...evaluation.runner import process_evaluation_run
from ...models import PromptTemplate
from ...services import ServiceError
from ...services.evaluation import request_run


class Command(BaseCommand):
    help = "Run a prompt template's evaluation suite; exit 1 if a required case fails."

    def add_base_argument(self, parser, *args, **kwargs):
        # ``--version`` means the template version here (as the CLI promises), not
        # Django's "show the program's version".
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("template", help="The template's slug.")
        parser.add_argument("--version", type=int, dest="number", help="Version number.")
        parser.add_argument("--model", default="", help="Model (default: the version's).")
        parser.add_argument("--format", choices=["text", "json", "junit"], default="text")

    def handle(self, *args, **options):
        template = PromptTemplate.objects.filter(slug=options["template"]).first()
        if template is None:
            raise CommandError(
                f"No prompt template with the slug “{options['template']}”.", returncode=2
            )
        versions = template.versions.all()
        version = (
            versions.filter(number=options["number"]).first()
            if options["number"]
            else template.latest_version
        )
        if version is None:
            raise CommandError(
                f"“{template}” has no version {options['number'] or ''}.".replace(" .", "."),
                returncode=2,
            )
        try:
            run = request_run(
                version.pk, None, model=options["model"], trigger="cli", enqueue=False
            )
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        run = process_evaluation_run(run.pk) or run
        run.refresh_from_db()
        results = list(run.results.all())
        render = {"json": _json, "junit": _junit}.get(options["format"], _text)
        self.stdout.write(render(run, results))
        if not run.passed:
            raise SystemExit(1)


def _text(run, results) -> str:
    lines = [f"{run.version} with {run.model_name}: {'PASSED' if run.passed else 'FAILED'}"]
    if run.error:
        lines.append(run.error)
    for r in results:
        mark = "ok  " if r.passed else ("FAIL" if r.required else "fail")
        lines.append(f"  {mark} {r.case_name}" + "".join(f"\n       {x}" for x in r.reasons))
    summary = run.summary or {}
    lines.append(
        f"{summary.get('passed', 0)}/{summary.get('total', 0)} passed, "
        f"cost ${run.cost}, {run.input_tokens + run.output_tokens} tokens"
    )
    return "\n".join(lines)


def _json(run, results) -> str:
    return json.dumps(
        {
            "template": run.version.template.slug,
            "version": run.version.number,
            "model": run.model_name,
            "run": run.pk,
            "passed": bool(run.passed),
            "error": run.error,
            "summary": run.summary,
            "cases": [
                {
                    "name": r.case_name,
                    "required": r.required,
                    "passed": r.passed,
                    "reasons": r.reasons,
                    "score": r.score,
                    "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens,
                    "cost": str(r.cost),
                    "latency_ms": r.latency_ms,
                }
                for r in results
            ],
        },
        indent=2,
    )


def _junit(run, results) -> str:
    failures = sum(1 for r in results if not r.passed)
    suite = ET.Element(
        "testsuite",
        name=f"{run.version.template.slug} v{run.version.number} ({run.model_name})",
        tests=str(len(results)),
        failures=str(failures),
        errors="1" if run.error else "0",
        time=f"{sum(r.latency_ms for r in results) / 1000:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=run.version.template.slug,
            name=r.case_name,
            time=f"{r.latency_ms / 1000:.3f}",
        )
        if not r.passed:
            kind = "failure" if r.required else "skipped"
            ET.SubElement(case, kind, message="; ".join(r.reasons)[:1000]).text = "\n".join(
                r.reasons
            )
    if run.error:
        ET.SubElement(suite, "system-err").text = run.error
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
