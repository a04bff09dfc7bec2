"""The screening score: per check and overall, and the tier it asks for.

Formula (lower is better; 0 is a clean screen)::

    weight(f)  = 10 for a blocker, 3 for a warning, 1 for an info finding
    words      = max(word count of the canonical text, 100)
    score      = sum(weight(f) for every finding) * 100 / words
    score[c]   = the same sum over the findings of check family c * 100 / words

A check family is the check id up to its first dot (``pii.email`` -> ``pii``), so the
per-check scores add up to the overall score. Counting at least 100 words means a short
text is not punished for its length: one warning in a 40-word title-and-summary is 3.0, as
it would be in a 100-word text.

Thresholds per tier: ``ECM_OPS["SCORE_TIER_THRESHOLDS"]`` is a list of ``[score, level]``
pairs; a text whose score is at or above ``score`` needs a review tier of at least ``level``
(default: below 2 -> 1, 2 -> 2, 5 -> 3, 10 or more -> 4). Any blocker also needs a human
decision whatever the score: submission stops until it is fixed or overridden.
:func:`minimum_level` is what ``manage.py ecm_ops_prescreen`` reports ("needs tier N"); the
governance engine does not call it: a policy's ``RiskRule.min_score`` decides what a score
does to the tier (rules can only raise a tier, never lower it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import conf
from ..states import Severity

WEIGHTS = {Severity.BLOCKER: 10.0, Severity.WARNING: 3.0, Severity.INFO: 1.0}
MIN_WORDS = 100


def _per_100(total: float, word_count: int) -> float:
    return round(total * 100.0 / max(word_count, MIN_WORDS), 2)


def score(findings: Iterable, word_count: int) -> float:
    total = sum(WEIGHTS.get(f.severity, 0.0) for f in findings)
    return _per_100(total, word_count)


def family(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def scores_by_check(findings: Iterable, word_count: int) -> dict[str, float]:
    """Score per check family, e.g. ``{"pii": 10.0, "claims": 3.0}`` (clean checks absent)."""
    totals: dict[str, float] = {}
    for f in findings:
        key = family(f.check_id)
        totals[key] = totals.get(key, 0.0) + WEIGHTS.get(f.severity, 0.0)
    return {key: _per_100(total, word_count) for key, total in sorted(totals.items())}


def count(findings: Iterable, severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)


def minimum_level(overall: float) -> int:
    """The lowest tier level a text with this score may be reviewed at."""
    level = 1
    for threshold, tier_level in sorted(conf.get("SCORE_TIER_THRESHOLDS")):
        if overall >= threshold:
            level = max(level, int(tier_level))
    return level


@dataclass
class ScoreCard:
    overall: float
    per_check: dict[str, float] = field(default_factory=dict)
    blockers: int = 0
    warnings: int = 0
    infos: int = 0
    minimum_level: int = 1

    @property
    def blocked(self) -> bool:
        return self.blockers > 0


def score_card(findings: Iterable, word_count: int) -> ScoreCard:
    findings = list(findings)
    overall = score(findings, word_count)
    return ScoreCard(
        overall=overall,
        per_check=scores_by_check(findings, word_count),
        blockers=count(findings, Severity.BLOCKER),
        warnings=count(findings, Severity.WARNING),
        infos=count(findings, Severity.INFO),
        minimum_level=minimum_level(overall),
    )
