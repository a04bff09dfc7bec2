"""AI artefacts: model self-talk, refusals and leftover placeholders."""

from __future__ import annotations

import re

from ..states import Severity
from .registry import BaseCheck

PATTERNS: list[tuple[str, str, re.Pattern, str]] = [
    (
        "ai_artefacts.self_reference",
        Severity.BLOCKER,
        re.compile(r"\bas an? (?:AI|artificial intelligence)(?: language)? model\b", re.I),
        "The text talks about itself as an AI model.",
    ),
    (
        "ai_artefacts.refusal",
        Severity.BLOCKER,
        re.compile(
            r"\bI(?:'m| am)? (?:sorry,? but I )?(?:cannot|can't|am unable to|'m unable to) "
            r"(?:help|assist|provide|write|create|comply)\b",
            re.I,
        ),
        "The text contains a model refusal.",
    ),
    (
        "ai_artefacts.knowledge_cutoff",
        Severity.BLOCKER,
        re.compile(
            r"\b(?:my|the model's) (?:knowledge|training data) (?:cut-?off|only goes)\b|"
            r"\bas of my (?:last )?(?:knowledge |training )?(?:update|cut-?off)\b",
            re.I,
        ),
        "The text mentions the model's knowledge cut-off.",
    ),
    (
        "ai_artefacts.placeholder",
        Severity.BLOCKER,
        re.compile(
            r"\[(?:INSERT|ADD|PLACEHOLDER|YOUR|TBD|CITATION)[^\]]*\]|\{\{[^}]*\}\}|"
            r"\bTODO\b|\bTBD\b|\blorem ipsum\b|\bXXX\b",
            re.I,
        ),
        "A placeholder was left in the text.",
    ),
]


class AIArtefactsCheck(BaseCheck):
    check_id = "ai_artefacts"
    label = "AI artefacts and placeholders"

    def run(self, doc, context):
        for check_id, severity, pattern, message in PATTERNS:
            for match in pattern.finditer(doc.text):
                yield self.finding(
                    doc,
                    severity,
                    match.start(),
                    match.end(),
                    message,
                    suggestion="Remove it or replace it with the real content.",
                    check_id=check_id,
                )
