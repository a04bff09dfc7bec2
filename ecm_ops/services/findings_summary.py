"""Findings of a screening run summarised for people: grouped by check, with each check's
plain-language label, counts per severity and the most frequent distinct messages, in two
queries whatever the number of findings (1,000 identical findings are one line, "×1000").
Read-only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, F, Min, Window
from django.db.models.functions import RowNumber
from django.utils.module_loading import import_string

from .. import conf
from ..models import Finding
from ..states import Severity

#: Distinct messages shown per check before "and N more"; a group this long starts collapsed.
SAMPLES_PER_CHECK = 5
SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}


def check_label(check_id: str, labels: dict[str, str] | None = None) -> str:
    """The plain-language name of a check (``pii.email`` → "Personal data (email)";
    ``links.could_not_run`` → "Links: the check could not run")."""
    labels = labels if labels is not None else check_labels()
    if check_id in labels:
        return labels[check_id]
    base, _dot, rest = check_id.partition(".")
    name = labels.get(base, base.replace("_", " ").capitalize())
    if rest == "could_not_run":
        return f"{name}: the check could not run"
    return f"{name} ({rest.replace('_', ' ')})" if rest else name


#: Built-in checks a site may have turned off: their old findings still need their names.
BUILT_IN_CHECKS = (*conf.DEFAULT_CHECKS, "ecm_ops.content_checks.llm_rubric.LLMRubricCheck")


def check_labels() -> dict[str, str]:
    """``{check_id: label}`` of the configured and the built-in checks (class attributes; no
    check is instantiated)."""
    out = {}
    for path in dict.fromkeys([*BUILT_IN_CHECKS, *conf.get("CHECKS")]):
        try:
            cls = import_string(path)
        except ImportError:
            continue
        if getattr(cls, "check_id", ""):
            out[cls.check_id] = str(getattr(cls, "label", "") or cls.check_id)
    return out


@dataclass
class FindingGroup:
    check_id: str
    label: str
    severity: str
    count: int
    by_severity: dict[str, int] = field(default_factory=dict)
    #: ``[{"message", "severity", "field", "excerpt", "suggestion", "count"}]``, most frequent first.
    samples: list[dict] = field(default_factory=list)
    distinct: int = 0

    @property
    def more(self) -> int:
        return max(self.distinct - len(self.samples), 0)

    @property
    def collapsed(self) -> bool:
        return self.count > SAMPLES_PER_CHECK


def finding_groups(run_id: int | None, labels: dict[str, str] | None = None) -> list[FindingGroup]:
    """Findings of a screening run grouped by check, most severe first: counts per severity
    and the most frequent distinct messages (two queries, whatever the number of findings)."""
    if not run_id:
        return []
    findings = Finding.objects.filter(run_id=run_id)
    groups: dict[str, FindingGroup] = {}
    labels = labels if labels is not None else check_labels()
    for check_id, severity, n in findings.values_list("check_id", "severity").annotate(
        n=Count("pk")
    ):
        group = groups.get(check_id) or groups.setdefault(
            check_id, FindingGroup(check_id, check_label(check_id, labels), severity, 0)
        )
        group.count += n
        group.by_severity[severity] = n
        if SEVERITY_ORDER.get(severity, 9) < SEVERITY_ORDER.get(group.severity, 9):
            group.severity = severity
    if not groups:
        return []
    ranked = (
        findings.values("check_id", "message", "severity")
        .annotate(
            n=Count("pk"),
            example=Min("excerpt"),
            field_name=Min("field"),
            suggestion=Min("suggestion"),
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("check_id")], order_by=Count("pk").desc()),
            distinct_n=Window(Count("check_id"), partition_by=[F("check_id")]),
        )
        .filter(rank__lte=SAMPLES_PER_CHECK)
        .order_by("check_id", "rank")
    )
    for row in ranked:
        group = groups[row["check_id"]]
        group.distinct = row["distinct_n"]
        group.samples.append(
            {
                "message": row["message"],
                "severity": row["severity"],
                "count": row["n"],
                "excerpt": row["example"],
                "field": row["field_name"],
                "suggestion": row["suggestion"],
            }
        )
    return sorted(groups.values(), key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), g.label))


_CHECK_REF = re.compile(r"finding `([^`]+)` \((\w+)\)")


def reasons_in_words(reasons, labels: dict[str, str] | None = None) -> list[str]:
    """Tier reasons with check ids replaced by their labels (``finding `pii` (warning)`` →
    "a Personal data warning")."""
    labels = labels if labels is not None else check_labels()

    def repl(m):
        return f"a “{check_label(m.group(1), labels)}” {m.group(2)}"

    return [_CHECK_REF.sub(repl, str(r)) for r in reasons or ()]
