"""Rubber-stamp detection (issue 10, section 3): flags, never blocks.

Three habits are flagged, each with the cases behind it so a site admin can look:

- **Approved faster than reading**: an approval given sooner after the case opened (or after
  the same reviewer's previous approval, whichever is later) than the content's length takes
  to read at ``RUBBER_STAMP["READING_WPM"]`` words a minute (never under
  ``MIN_READING_SECONDS``). The length is the screening's word count.
- **Never requests changes on AI text**: a reviewer approved at least ``MIN_CASES`` cases whose
  AI-written share is at least ``HIGH_AI_SHARE`` and requested changes on none of them.
- **Approval rate far from peers**: at the same tier, the share of a reviewer's decisions that
  were approvals differs from their peers' pooled rate by more than ``RATE_GAP``, with at least
  ``MIN_CASES`` decisions on each side.

Everything is read in a constant number of queries over the window
(``RUBBER_STAMP["WINDOW_DAYS"]``): approvals with their cases, and the audit log's
"changes requested" and "rejected" entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import PageLogEntry

from .. import conf
from ..models import Approval, ReviewCase

FAST, NO_CHANGES, RATE = "fast", "no_changes", "rate"
SENT_BACK = ("ecm_ops.review.changes_requested", "ecm_ops.review.rejected")


@dataclass
class Flag:
    kind: str
    user: object
    message: str
    case_ids: list[int] = field(default_factory=list)


def _settings() -> dict:
    return conf.get("RUBBER_STAMP")


def reading_floor_seconds(words: int) -> float:
    s = _settings()
    return max(words / s["READING_WPM"] * 60.0, float(s["MIN_READING_SECONDS"]))


def _approvals(since, users=None):
    rows = (
        Approval.objects.filter(created_at__gte=since)
        .select_related("case__screening_run", "case__tier")
        .order_by("user_id", "created_at", "pk")
    )
    if users is not None:
        rows = rows.filter(user_id__in=users)
    return list(rows)


def _sent_back(since, users=None) -> dict[int, set[int]]:
    """``{user pk: {case pk, ...}}`` they requested changes on or rejected (one query)."""
    rows = PageLogEntry.objects.filter(action__in=SENT_BACK, timestamp__gte=since)
    if users is not None:
        rows = rows.filter(user_id__in=users)
    out: dict[int, set[int]] = defaultdict(set)
    for user_id, data in rows.values_list("user_id", "data"):
        case = (data or {}).get("case")
        if user_id and case:
            out[user_id].add(int(case))
    return out


def fast_approvals(approvals) -> dict[int, list]:
    """``{approval pk: (seconds taken, seconds needed)}`` for approvals under the floor."""
    out = {}
    previous: dict[int, object] = {}
    for a in approvals:
        start = a.case.created_at
        if previous.get(a.user_id) and previous[a.user_id] > start:
            start = previous[a.user_id]
        previous[a.user_id] = a.created_at
        run = a.case.screening_run
        words = run.word_count if run else 0
        if not words:
            continue
        taken = (a.created_at - start).total_seconds()
        needed = reading_floor_seconds(words)
        if taken < needed:
            out[a.pk] = (taken, needed, words)
    return out


def flags(now=None, users=None) -> list[Flag]:
    """Every flag over the window (optionally only for ``users``' pks)."""
    s = _settings()
    now = now or timezone.now()
    since = now - timedelta(days=s["WINDOW_DAYS"])
    approvals = _approvals(since)  # peers are needed for rates, so everyone is read
    sent_back = _sent_back(since)
    names = {
        u.pk: u
        for u in get_user_model().objects.filter(
            pk__in={a.user_id for a in approvals} | set(sent_back)
        )
    }
    result: list[Flag] = []
    fast = fast_approvals(approvals)
    by_user_fast: dict[int, list] = defaultdict(list)
    for a in approvals:
        if a.pk in fast:
            by_user_fast[a.user_id].append(a)
    for user_id, rows in by_user_fast.items():
        worst = min(fast[a.pk][0] / fast[a.pk][1] for a in rows)
        result.append(
            Flag(
                FAST,
                names.get(user_id),
                f"{len(rows)} approval(s) given faster than the content can be read "
                f"(the fastest in {worst:.0%} of the reading time).",
                sorted({a.case_id for a in rows}),
            )
        )
    facts = {a.case_id: (a.case.tier_id, a.case.ai_share or 0) for a in approvals}
    back_cases = {c for cs in sent_back.values() for c in cs} - set(facts)
    for pk, tier_id, share in ReviewCase.objects.filter(pk__in=back_cases).values_list(
        "pk", "tier_id", "ai_share"
    ):
        facts[pk] = (tier_id, share or 0)
    high_ai = {pk for pk, (_t, share) in facts.items() if share >= s["HIGH_AI_SHARE"]}
    high: dict[int, set[int]] = defaultdict(set)
    for a in approvals:
        if a.case_id in high_ai:
            high[a.user_id].add(a.case_id)
    for user_id, cases in high.items():
        if len(cases) >= s["MIN_CASES"] and not (sent_back.get(user_id, set()) & high_ai):
            result.append(
                Flag(
                    NO_CHANGES,
                    names.get(user_id),
                    f"Approved {len(cases)} mostly AI-written cases and requested changes on "
                    "none in this period.",
                    sorted(cases),
                )
            )
    result.extend(_rate_flags(approvals, sent_back, facts, names, s))
    if users is not None:
        wanted = set(users)
        result = [f for f in result if f.user is not None and f.user.pk in wanted]
    return result


def _rate_flags(approvals, sent_back, facts, names, s) -> list[Flag]:
    approved: dict[tuple[int, int], set[int]] = defaultdict(set)  # (tier, user) -> cases
    for a in approvals:
        if a.case.tier_id:
            approved[(a.case.tier_id, a.user_id)].add(a.case_id)
    tier_of = {pk: t for pk, (t, _share) in facts.items() if t}
    decided: dict[tuple[int, int], set[int]] = defaultdict(set)
    for key, cases in approved.items():
        decided[key] |= cases
    for user_id, cases in sent_back.items():
        for case_id in cases:
            if case_id in tier_of:
                decided[(tier_of[case_id], user_id)].add(case_id)
    out = []
    tiers = {t for t, _u in decided}
    for tier in tiers:
        users = [u for t, u in decided if t == tier]
        for user_id in users:
            mine = decided[(tier, user_id)]
            peers = [decided[(tier, u)] for u in users if u != user_id]
            peer_total = sum(len(p) for p in peers)
            if len(mine) < s["MIN_CASES"] or peer_total < s["MIN_CASES"]:
                continue
            rate = len(approved[(tier, user_id)]) / len(mine)
            peer_rate = sum(len(approved[(tier, u)]) for u in users if u != user_id) / peer_total
            if abs(rate - peer_rate) > s["RATE_GAP"]:
                out.append(
                    Flag(
                        RATE,
                        names.get(user_id),
                        f"Approves {rate:.0%} of decisions at this tier; peers approve "
                        f"{peer_rate:.0%}.",
                        sorted(mine),
                    )
                )
    return out


def case_flags(case, approvals=None) -> list[str]:
    """What the case screen says about its approvals: each approval given faster than the
    content can be read (two queries; none without approvals). ``approvals``: the case's
    approvals with ``.user``, when the caller has them."""
    if approvals is None:
        approvals = list(Approval.objects.filter(case=case).select_related("user"))
    if not approvals:
        return []
    out = []
    since = min(a.created_at for a in approvals) - timedelta(days=1)
    previous = {
        a.user_id: a.created_at
        for a in Approval.objects.filter(
            user_id__in={a.user_id for a in approvals}, created_at__gte=since
        )
        .exclude(case=case)
        .order_by("created_at")
    }
    words = case.screening_run.word_count if case.screening_run_id else 0
    for a in approvals:
        start = case.created_at
        prev = previous.get(a.user_id)
        if prev and start < prev < a.created_at:
            start = prev
        taken = (a.created_at - start).total_seconds()
        needed = reading_floor_seconds(words) if words else 0
        if words and taken < needed:
            name = a.user.get_full_name() or a.user.get_username()
            out.append(
                f"{name} approved after {taken:.0f} s; reading {words} words takes about "
                f"{needed:.0f} s."
            )
    return out
