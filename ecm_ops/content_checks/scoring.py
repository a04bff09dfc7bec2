"""The screening score.

score = (10 x blockers + 3 x warnings + 1 x infos) per 100 words (minimum 100 words counted,
so a short text is not punished for its length). Lower is better; 0 is a clean screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..states import Severity

WEIGHTS = {Severity.BLOCKER: 10.0, Severity.WARNING: 3.0, Severity.INFO: 1.0}


def score(findings: Iterable, word_count: int) -> float:
    total = sum(WEIGHTS.get(f.severity, 0.0) for f in findings)
    return round(total * 100.0 / max(word_count, 100), 2)


def count(findings: Iterable, severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)
