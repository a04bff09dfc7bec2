"""A template's evaluation suite as YAML: export, and validated import.

Format::

    template: news-explainer          # optional; must match the template imported into
    cases:
      - name: Bus timetable change
        required: true                # default true
        brief: {topic: new bus timetable, audience: commuters, key_points: [...]}
        assert:
          - type: no_blocker
          - {type: contains, value: timetable}
          - {type: word_count, min: 80, max: 600}

Import reads with ``yaml.safe_load`` only (no Python objects), refuses a document larger than
``ECM_OPS["EVALUATION"]["YAML_MAX_BYTES"]``, validates every case before it writes any (a
:class:`SuiteError` names the case and the problem) and updates cases by name (others are kept).
"""

from __future__ import annotations

import yaml
from django.db import transaction

from .. import conf
from ..drafting.brief import BriefError, clean_brief
from . import assertions


class SuiteError(ValueError):
    """The YAML is unusable; the message says where and why."""


def export_yaml(template) -> str:
    cases = []
    for case in template.evaluation_cases.filter(active=True):
        brief = {k: v for k, v in case.brief.items() if v not in (None, "", [])}
        cases.append(
            {
                "name": case.name,
                "required": case.required,
                "brief": brief,
                "assert": case.assertions,
            }
        )
    return yaml.safe_dump(
        {"template": template.slug, "cases": cases}, sort_keys=False, allow_unicode=True
    )


def parse(text: str | bytes, template) -> list[dict]:
    """Validate a YAML suite for ``template``; returns the cleaned cases.

    Raises:
        SuiteError: too large, not YAML, not the expected shape, or a bad case.
    """
    limit = conf.get("EVALUATION")["YAML_MAX_BYTES"]
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > limit:
        raise SuiteError(f"The file is larger than {limit:,} bytes; split the suite.")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SuiteError("The file is not UTF-8 text.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "it could not be read"
        raise SuiteError(f"This is not valid YAML{where}: {problem}.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise SuiteError("The YAML must be a mapping with a list under “cases”.")
    if data.get("template") not in (None, template.slug):
        raise SuiteError(
            f"This suite is for the template “{str(data['template'])[:100]}”, "
            f"not “{template.slug}”."
        )
    cases = data["cases"]
    if len(cases) > conf.get("EVALUATION")["MAX_CASES"]:
        raise SuiteError(f"A suite can have at most {conf.get('EVALUATION')['MAX_CASES']} cases.")
    version = template.latest_version
    variables = version.variables if version is not None else None
    seen: set[str] = set()
    cleaned = []
    for position, case in enumerate(cases, start=1):
        cleaned.append(clean_case(case, variables, position, seen))
    return cleaned


def clean_case(case, variables, position: int, seen: set[str]) -> dict:
    where = f"Case {position}"
    if not isinstance(case, dict):
        raise SuiteError(f"{where} must be a mapping with a name, a brief and assertions.")
    unknown = set(case) - {"name", "required", "brief", "assert"}
    if unknown:
        raise SuiteError(f"{where} has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    name = str(case.get("name") or "").strip()
    if not name or len(name) > 200:
        raise SuiteError(f"{where} needs a name (at most 200 characters).")
    if name in seen:
        raise SuiteError(f"{where}: the name “{name}” is used twice.")
    seen.add(name)
    where = f"Case “{name}”"
    required = case.get("required", True)
    if not isinstance(required, bool):
        raise SuiteError(f"{where}: “required” must be true or false.")
    try:
        brief = clean_brief(case.get("brief"), variables or None)
    except BriefError as exc:
        raise SuiteError(f"{where}: {exc}") from exc
    try:
        checks = assertions.clean(case.get("assert"))
    except assertions.AssertionSpecError as exc:
        raise SuiteError(f"{where}: {exc}") from exc
    return {"name": name, "required": required, "brief": brief, "assertions": checks}


@transaction.atomic
def import_yaml(text, template, user) -> tuple[int, int]:
    """Import a suite into ``template``: returns ``(created, updated)``. All or nothing."""
    from ..models import EvaluationCase

    created = updated = 0
    for case in parse(text, template):
        _obj, was_created = EvaluationCase.objects.update_or_create(
            template=template,
            name=case["name"],
            defaults={
                "brief": case["brief"],
                "assertions": case["assertions"],
                "required": case["required"],
                "active": True,
            },
            create_defaults={
                "brief": case["brief"],
                "assertions": case["assertions"],
                "required": case["required"],
                "source": EvaluationCase.Source.IMPORT,
                "created_by": user,
            },
        )
        created += was_created
        updated += not was_created
    return created, updated
