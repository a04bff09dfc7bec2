"""The operations metrics: their definitions (one table, used by the dashboard, the JSON API
and the README), how they are computed from summed :class:`DailyRollup` rows, and the pilot
baseline's confidence intervals.

Everything here reads rollups only: a window of periods costs the same whatever the history.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..models import DailyRollup
from ..models.operations import HOUR_BUCKETS
from .rollups import HISTOGRAMS, SUMMED

Z95 = 1.959964


@dataclass(frozen=True)
class Metric:
    key: str
    group: str
    label: str
    definition: str
    unit: str = ""  # "%", "h", "$", "" (a count or a plain number)
    drill: str = ""  # the kind of raw rows behind the number (see admin.operations_rows)
    lower_is_better: bool | None = None  # quality metrics compared with the pilot
    rate: tuple[str, str] | None = None  # (numerator, denominator) fields: a Wilson interval


METRICS: tuple[Metric, ...] = (
    # volume
    Metric("drafts_requested", "volume", "Drafts requested",
           "AI draft requests created (any outcome).", drill="drafts"),
    Metric("ai_submitted", "volume", "AI pages submitted",
           "Review cases opened for pages that have at least one AI draft.", drill="cases"),
    Metric("ai_published", "volume", "AI pages published",
           "Publications whose live content contains AI-written or mixed text.",
           drill="publications"),
    Metric("ai_share", "volume", "AI share of published text",
           "Mean share of AI-written text over every publication (human-only ones count 0).",
           unit="%", drill="publications"),
    Metric("off_label", "volume", "Off-label uses",
           "Draft requests that used a template outside the page types it was designed for.",
           drill="drafts"),
    # quality
    Metric("first_screen_blocker_rate", "quality", "Blocker rate at first screening",
           "Share of AI drafts whose first screening (the one right after generation) found "
           "at least one blocker.", unit="%", drill="screenings", lower_is_better=True,
           rate=("first_screen_blocked", "first_screens")),
    Metric("mean_score", "quality", "Mean screening score",
           "Mean score of first screenings (weighted findings per 100 words; lower is better).",
           drill="screenings", lower_is_better=True),
    Metric("send_back_rate", "quality", "Send-back rate",
           "Share of decided review cases whose decision was 'changes requested'.", unit="%",
           drill="cases", lower_is_better=True, rate=("sent_back", "decided")),
    Metric("rejection_rate", "quality", "Rejection rate",
           "Share of decided review cases that were rejected.", unit="%", drill="cases",
           lower_is_better=True, rate=("rejected", "decided")),
    Metric("incidents_per_100", "quality", "Incidents per 100 published AI pages",
           "Incidents opened by monitoring, per 100 publications with AI text in the same "
           "period.", drill="incidents", lower_is_better=True,
           rate=("incidents", "ai_published")),
    Metric("edit_distance", "quality", "Edit distance, AI draft to published",
           "Mean share of the AI-written text that editors changed before publication "
           "(1 − similarity, per field, averaged per publication).", unit="%",
           drill="publications"),
    Metric("overrides", "quality", "Overrides",
           "Pre-screen blocker overrides plus publications made with the review override.",
           drill="overrides"),
    # review
    Metric("first_decision_p50", "review", "Time to first decision (p50)",
           "Median hours from submission to the case's decision (upper edge of the "
           "histogram bucket).", unit="h", drill="cases"),
    Metric("first_decision_p95", "review", "Time to first decision (p95)",
           "95th percentile of the same.", unit="h", drill="cases"),
    Metric("publish_p50", "review", "Time to publish (p50)",
           "Median hours from submission to publication of AI pages.", unit="h",
           drill="publications"),
    Metric("publish_p95", "review", "Time to publish (p95)",
           "95th percentile of the same.", unit="h", drill="publications"),
    Metric("sla_breaches", "review", "SLA breaches",
           "Cases decided after their tier's SLA deadline.", drill="cases"),
    Metric("escalations", "review", "Escalations",
           "Escalation entries in the audit log (SLA or send-back limit).", drill="cases"),
    Metric("approvals_per_reviewer", "review", "Approvals per reviewer",
           "Approvals recorded, divided by the number of distinct reviewers who approved.",
           drill="approvals"),
    # cost
    Metric("tokens", "cost", "Tokens",
           "Input, output and cache tokens of every provider call (drafts and screenings, "
           "failed calls included).", drill="calls"),
    Metric("cache_read_share", "cost", "Cache-read share",
           "Cache-read tokens as a share of all input tokens (input + cache read + cache "
           "write).", unit="%", drill="calls"),
    Metric("cost_per_draft", "cost", "Cost per draft",
           "All provider cost divided by the drafts requested.", unit="$", drill="calls"),
    Metric("cost_per_published", "cost", "Cost per published AI page",
           "All provider cost (every call, failed ones included) divided by the AI pages "
           "published.", unit="$", drill="calls"),
)  # fmt: skip
BY_KEY = {m.key: m for m in METRICS}
GROUPS = (("volume", "Volume"), ("quality", "Quality"), ("review", "Review"), ("cost", "Cost"))


@dataclass
class Totals:
    """Summed rollup rows (any set of them)."""

    sums: dict = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    hists: dict = field(default_factory=dict)
    reviewers: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, row: dict) -> None:
        for name in SUMMED:
            self.sums[name] += row[name]
        for name in HISTOGRAMS:
            current = self.hists.setdefault(name, [0] * (len(HOUR_BUCKETS) + 1))
            for i, count in enumerate(row[name]):
                current[i] += count
        for reviewer, count in row["approvals_by_reviewer"].items():
            self.reviewers[reviewer] += count


def _ratio(num, den, scale=1.0):
    return None if not den else float(num) / float(den) * scale


def _percentile(hist: list[int] | None, q: float):
    if not hist or not sum(hist):
        return None
    target, seen = q * sum(hist), 0
    for i, count in enumerate(hist):
        seen += count
        if seen >= target:
            return float(HOUR_BUCKETS[i]) if i < len(HOUR_BUCKETS) else None
    return None


def figures(t: Totals) -> dict[str, float | int | None]:
    """Every metric's value for summed rows (None where the denominator is empty)."""
    s = t.sums
    cost = Decimal(s["cost"])
    input_all = s["input_tokens"] + s["cache_read_tokens"] + s["cache_write_tokens"]
    return {
        "drafts_requested": s["drafts_requested"],
        "ai_submitted": s["ai_submitted"],
        "ai_published": s["ai_published"],
        "ai_share": _ratio(s["ai_share_sum"], s["published"], 100),
        "off_label": s["off_label"],
        "first_screen_blocker_rate": _ratio(s["first_screen_blocked"], s["first_screens"], 100),
        "mean_score": _ratio(s["score_sum"], s["score_count"]),
        "send_back_rate": _ratio(s["sent_back"], s["decided"], 100),
        "rejection_rate": _ratio(s["rejected"], s["decided"], 100),
        "incidents_per_100": _ratio(s["incidents"], s["ai_published"], 100),
        "edit_distance": _ratio(s["edit_sum"], s["edit_count"], 100),
        "overrides": s["overrides"],
        "first_decision_p50": _percentile(t.hists.get("first_decision_hours"), 0.5),
        "first_decision_p95": _percentile(t.hists.get("first_decision_hours"), 0.95),
        "publish_p50": _percentile(t.hists.get("publish_hours"), 0.5),
        "publish_p95": _percentile(t.hists.get("publish_hours"), 0.95),
        "sla_breaches": s["sla_breaches"],
        "escalations": s["escalations"],
        "approvals_per_reviewer": _ratio(s["approvals"], len(t.reviewers)),
        "tokens": input_all + s["output_tokens"],
        "cache_read_share": _ratio(s["cache_read_tokens"], input_all, 100),
        "cost_per_draft": _ratio(cost, s["drafts_requested"]),
        "cost_per_published": _ratio(cost, s["ai_published"]),
    }


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion, as fractions (None without observations)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(metric: Metric, t: Totals) -> tuple[float, float] | None:
    """The 95% confidence interval of a quality metric's pilot value, in the metric's unit:
    Wilson for rates, a normal interval of the mean for the mean score."""
    s = t.sums
    if metric.rate:
        num, den = s[metric.rate[0]], s[metric.rate[1]]
        if metric.key == "incidents_per_100":
            num = min(num, den)  # a page can have several incidents; the rate is capped at 1
        ci = wilson(num, den)
        return None if ci is None else (ci[0] * 100, ci[1] * 100)
    if metric.key == "mean_score":
        n = s["score_count"]
        if n < 2:
            return None
        mean = s["score_sum"] / n
        var = max(0.0, (s["score_sq_sum"] - n * mean * mean) / (n - 1))
        half = Z95 * math.sqrt(var / n)
        return max(0.0, mean - half), mean + half
    return None


def period_start(day: date, period: str) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else day


def window(end: date, periods: int, period: str) -> tuple[date, date]:
    """First and last day of the ``periods`` periods ending with the one containing ``end``."""
    last_start = period_start(end, period)
    step = 7 if period == "week" else 1
    first = last_start - timedelta(days=step * (periods - 1))
    return first, last_start + timedelta(days=step - 1)


VALUE_FIELDS = (*SUMMED, *HISTOGRAMS, "approvals_by_reviewer")


def rollup_rows(first: date, last: date, filters: dict):
    """Rollup rows of ``first``..``last`` matching ``filters`` (section, template, page_type,
    team ids, each optional), as dicts (one query)."""
    qs = DailyRollup.objects.filter(day__gte=first, day__lte=last)
    for name in ("section", "template", "page_type", "team"):
        if filters.get(name):
            qs = qs.filter(**{f"{name}_id": filters[name]})
    return qs.values("day", "section_id", *VALUE_FIELDS)


def series(first: date, last: date, period: str, filters: dict) -> list[tuple[date, Totals]]:
    """Totals per period from ``first`` to ``last`` (every period present, empty or not)."""
    buckets: dict[date, Totals] = {}
    step = 7 if period == "week" else 1
    start = period_start(first, period)
    while start <= last:
        buckets[start] = Totals()
        start += timedelta(days=step)
    for row in rollup_rows(first, last, filters):
        buckets[period_start(row["day"], period)].add(row)
    return sorted(buckets.items())


def totals(first: date, last: date, filters: dict, sections=(), templates=()) -> Totals:
    qs = rollup_rows(first, last, filters)
    if sections:
        qs = qs.filter(section_id__in=sections)
    if templates:
        qs = qs.filter(template_id__in=templates)
    t = Totals()
    for row in qs:
        t.add(row)
    return t


def format_value(metric: Metric, value) -> str:
    """A value as people read it (no Python reprs): "—" for none."""
    if value is None:
        return "—"
    if metric.unit == "%":
        return f"{value:.1f}%"
    if metric.unit == "h":
        return f"≤ {value:.0f} h"
    if metric.unit == "$":
        return f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.2f}"
