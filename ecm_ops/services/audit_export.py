"""The audit trail of published pages: evidence that AI text was reviewed by a person.

For every page of a section published in a date range: who generated it (AI draft requests),
who edited it (revisions up to the published one), who reviewed and approved it at which tier
and why (review cases, their tier reasons and approvals), what changed between the AI draft
and the published text (a diff of the canonical text of both revisions), and the overrides and
escalations on the way.

Queries are bounded: a fixed number per export (plus one per page *type* for loading revision
content), never one per page.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from wagtail.models import Page, PageLogEntry, Revision

from ..content_checks.canonical import canonical_text
from ..content_checks.identity import revision_object
from ..content_checks.pii import redact
from ..governance import authority
from ..governance.classification import policy_for
from ..models import Approval, DraftRequest, ReviewCase
from ..states import JobStatus

OVERRIDE_ACTIONS = ("ecm_ops.publish.override", "ecm_ops.screening.overridden")
ESCALATION_ACTIONS = ("ecm_ops.review.escalated", "ecm_ops.review.delegated")
CSV_COLUMNS = [
    "page_id",
    "page_title",
    "page_path",
    "published_at",
    "kind",
    "at",
    "user",
    "tier",
    "detail",
]


def can_view_audit(user, section: Page) -> bool:
    """Superusers, holders of ``ecm_ops.view_audit``, and reviewers with authority in the
    policy that covers ``section``."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.has_perm(authority.VIEW_AUDIT):
        return True
    policy = policy_for(section)
    return policy is not None and authority.has_authority_in_policy(user, policy)


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def _diff(ai_rev: Revision | None, pub_rev: Revision | None) -> dict | None:
    if ai_rev is None or pub_rev is None:
        return None
    ai_text = canonical_text(revision_object(ai_rev)).text
    pub_text = canonical_text(revision_object(pub_rev)).text
    lines = list(
        difflib.unified_diff(
            ai_text.splitlines(),
            pub_text.splitlines(),
            fromfile=f"AI draft (revision {ai_rev.pk})",
            tofile=f"published (revision {pub_rev.pk})",
            lineterm="",
        )
    )
    ratio = difflib.SequenceMatcher(None, ai_text.split(), pub_text.split(), autojunk=False)
    return {
        "ai_revision": ai_rev.pk,
        "published_revision": pub_rev.pk,
        "unchanged": not lines,
        "word_similarity": round(ratio.ratio(), 4),
        # Personal data in the text stays on the page: the export carries it masked.
        "unified": redact("\n".join(lines)),
    }


def audit_records(section: Page, since: datetime, until: datetime) -> list[dict]:
    """One record per page under ``section`` (inclusive) published in ``[since, until)``,
    describing its last publication in that range."""
    publishes = list(
        PageLogEntry.objects.filter(
            action="wagtail.publish",
            timestamp__gte=since,
            timestamp__lt=until,
            page__path__startswith=section.path,
        )
        .select_related("user")
        .order_by("page_id", "timestamp", "pk")
    )
    last_publish = {entry.page_id: entry for entry in publishes}  # the latest wins
    page_ids = sorted(last_publish)
    if not page_ids:
        return []
    pages = {p.pk: p for p in Page.objects.filter(pk__in=page_ids)}
    page_ct = ContentType.objects.get_for_model(Page)
    revisions = defaultdict(list)
    for rev in (
        Revision.objects.filter(base_content_type=page_ct, object_id__in=[str(p) for p in page_ids])
        .select_related("user")
        .defer("content")
        .order_by("pk")
    ):
        revisions[int(rev.object_id)].append(rev)
    drafts = defaultdict(list)
    for draft in (
        DraftRequest.objects.filter(page_id__in=page_ids)
        .select_related("requester", "template_version__template")
        .order_by("created_at", "pk")
    ):
        drafts[draft.page_id].append(draft)
    cases = defaultdict(list)
    for case in (
        ReviewCase.objects.filter(page_id__in=page_ids)
        .select_related("tier", "policy", "requester")
        .prefetch_related(
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("user").order_by("created_at", "pk"),
            )
        )
        .order_by("created_at", "pk")
    ):
        cases[case.page_id].append(case)
    events = defaultdict(list)
    for entry in (
        PageLogEntry.objects.filter(page_id__in=page_ids)
        .filter(action__startswith="ecm_ops.")
        .select_related("user")
        .order_by("timestamp", "pk")
    ):
        events[entry.page_id].append(entry)

    # The AI draft revision behind each published revision, and both revisions' content.
    pub_rev_ids = {pid: last_publish[pid].revision_id for pid in page_ids}
    ai_rev_ids = {}
    for pid in page_ids:
        pub_id = pub_rev_ids[pid]
        made = [
            d.revision_id
            for d in drafts[pid]
            if d.status == JobStatus.SUCCEEDED
            and d.revision_id
            and (not pub_id or d.revision_id <= pub_id)
        ]
        if made:
            ai_rev_ids[pid] = made[-1]
    wanted = {r for r in (*pub_rev_ids.values(), *ai_rev_ids.values()) if r}
    full = {r.pk: r for r in Revision.objects.filter(pk__in=wanted)}
    verdicts = _verdicts(page_ids, since, until, last_publish)
    disclosures = _disclosures(page_ids, since, until, last_publish)

    records = []
    for pid in page_ids:
        page, publish, pub_id = pages[pid], last_publish[pid], pub_rev_ids[pid]
        records.append(
            {
                "page": {"id": pid, "title": page.title, "path": page.url_path},
                "published": {
                    "at": publish.timestamp,
                    "by": _name(publish.user),
                    "revision": pub_id,
                    # The verifier's verdict on this publication (re-derived, not stored).
                    "verdict": verdicts.get(pid, "no record of the publication guard"),
                },
                "generated": [
                    {
                        "draft": d.pk,
                        "requested_by": _name(d.requester),
                        "at": d.created_at,
                        "status": d.status,
                        "template": d.template_version.template.slug,
                        "template_version": d.template_version.number,
                        "provider": d.provider,
                        "model": d.model_name,
                        "off_label": d.off_label,
                        "revision": d.revision_id,
                    }
                    for d in drafts[pid]
                ],
                "edits": [
                    {"revision": r.pk, "by": _name(r.user), "at": r.created_at}
                    for r in revisions[pid]
                    if not pub_id or r.pk <= pub_id
                ],
                "human_review": _human_review(cases[pid], pub_id),
                "reviews": [_case_record(c) for c in cases[pid]],
                "escalations": [_event(e) for e in events[pid] if e.action in ESCALATION_ACTIONS],
                "overrides": [_event(e) for e in events[pid] if e.action in OVERRIDE_ACTIONS],
                "events": [_event(e) for e in events[pid]],
                "ai_vs_published": _diff(full.get(ai_rev_ids.get(pid)), full.get(pub_id)),
                # The disclosure made with that publication (ecm_ops.disclosure): the same
                # record the page's admin evidence screen downloads.
                "disclosure": disclosures.get(pid),
            }
        )
    return records


def _verdicts(page_ids, since, until, last_publish) -> dict[int, str]:
    """``{page_id: verdict}`` for each page's last publication in the range (re-derived by
    the verifier, in a bounded number of queries)."""
    from datetime import timedelta

    from ..governance.verify import verify
    from ..models import Publication

    report = verify(since=since, until=until + timedelta(minutes=2), page_ids=page_ids)
    out = {}
    for pub_id, page_id, revision_id, at in (
        Publication.objects.filter(page_id__in=page_ids, published_at__gte=since)
        .order_by("published_at", "pk")
        .values_list("pk", "page_id", "revision_id", "published_at")
    ):
        publish = last_publish[page_id]
        if revision_id == publish.revision_id and at <= publish.timestamp + timedelta(minutes=2):
            out[page_id] = report.verdicts.get(pub_id, "not verified")
    for v in report.violations:
        if v.kind == "unguarded" and v.at == last_publish[v.page_id].timestamp:
            out[v.page_id] = f"unguarded: {v.message}"
    return out


def _disclosures(page_ids, since, until, last_publish) -> dict[int, dict]:
    """``{page_id: disclosure record}`` of each page's last publication in the range (one
    query)."""
    from ..disclosure.present import export as export_disclosure
    from ..models import DisclosureRecord

    out = {}
    for record in (
        DisclosureRecord.objects.filter(
            page_id__in=page_ids, created_at__gte=since, created_at__lt=until + timedelta(minutes=2)
        )
        .select_related("publication")
        .order_by("sequence")
    ):
        publish = last_publish[record.page_id]
        if (
            record.publication.revision_id == publish.revision_id
            and record.created_at <= publish.timestamp + timedelta(minutes=2)
        ):
            out[record.page_id] = export_disclosure(record)  # the latest wins
    return out


def _human_review(cases: list[ReviewCase], revision_id) -> str:
    """How the published revision got through review, in a word: ``approved`` (people
    approved it), ``skipped`` (low risk, by policy) or ``none`` (no decided case covers it,
    e.g. published before ecm_ops or through an audited override)."""
    states = {c.state for c in cases if c.revision_id == revision_id}
    for state in ("approved", "skipped"):
        if state in states:
            return state
    return "none"


def _case_record(case: ReviewCase) -> dict:
    return {
        "case": case.pk,
        "revision": case.revision_id,
        "state": case.state,
        "policy": case.policy.name if case.policy else None,
        "tier": case.tier.label if case.tier else None,
        "tier_level": case.tier.level if case.tier else None,
        "tier_reasons": list(case.tier_reasons or []),
        "requested_by": _name(case.requester),
        "opened_at": case.created_at,
        "due_at": case.due_at,
        "decided_at": case.decided_at,
        "outcome_reason": case.outcome_reason,
        "escalation_level": case.escalation_level,
        "send_backs": case.send_back_count,
        "approvals": [
            {
                "by": _name(a.user),
                "at": a.created_at,
                "comment": a.comment,
                "revision": a.revision_id,
                "counted": a.revision_id == case.revision_id,
                # The approver's certification when they approved (kept on the approval).
                "certification": a.certified_as
                or "none recorded (a superuser, a tier without a programme, or an approval from before certification)",
            }
            for a in case.approvals.all()
        ],
    }


def _event(entry: PageLogEntry) -> dict:
    return {
        "action": entry.action,
        "at": entry.timestamp,
        "by": _name(entry.user),
        "data": entry.data,
    }


def to_json(records: list[dict]) -> str:
    return json.dumps({"pages": records}, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def csv_rows(records: list[dict]):
    """One row per fact, so the file reads as each page's story in order."""
    for rec in records:
        base = [
            rec["page"]["id"],
            rec["page"]["title"],
            rec["page"]["path"],
            rec["published"]["at"].isoformat(),
        ]
        for d in rec["generated"]:
            yield [
                *base,
                "generated",
                d["at"].isoformat(),
                d["requested_by"],
                "",
                f"draft {d['draft']} ({d['status']}) with template {d['template']} "
                f"v{d['template_version']}, model {d['model'] or '-'}"
                + (" (off-label)" if d["off_label"] else ""),
            ]
        for e in rec["edits"]:
            yield [*base, "edited", e["at"].isoformat(), e["by"], "", f"revision {e['revision']}"]
        for c in rec["reviews"]:
            at = c["decided_at"] or c["opened_at"]
            yield [
                *base,
                "review",
                at.isoformat(),
                c["requested_by"],
                c["tier"] or "",
                f"case {c['case']} {c['state']}: "
                + " | ".join(c["tier_reasons"])
                + (f" — {c['outcome_reason']}" if c["outcome_reason"] else ""),
            ]
            for a in c["approvals"]:
                yield [
                    *base,
                    "approval",
                    a["at"].isoformat(),
                    a["by"],
                    c["tier"] or "",
                    (a["comment"] or "approved")
                    + ("" if a["counted"] else " (on a superseded revision: not counted)")
                    + (f"; certification: {a['certification']}" if a["certification"] else ""),
                ]
        for kind in ("escalations", "overrides"):
            for e in rec[kind]:
                yield [
                    *base,
                    kind[:-1],
                    e["at"].isoformat(),
                    e["by"],
                    "",
                    json.dumps(e["data"], cls=DjangoJSONEncoder, ensure_ascii=False),
                ]
        yield [
            *base,
            "published",
            rec["published"]["at"].isoformat(),
            rec["published"]["by"],
            "",
            f"revision {rec['published']['revision']}; human review: {rec['human_review']}; "
            f"verifier: {rec['published']['verdict']}",
        ]
        disclosure = rec.get("disclosure")
        if disclosure:
            yield [
                *base,
                "disclosure",
                disclosure["created_at"].isoformat(),
                disclosure["responsible"] or "",
                "",
                f"{disclosure['level']}; label "
                f"{'shown' if disclosure['label_shown'] else 'not shown'}; exemption "
                f"{'applies' if disclosure['exemption'] else 'does not apply'}; record "
                f"{disclosure['sequence']} {disclosure['record_hash']}",
            ]
        diff = rec["ai_vs_published"]
        if diff:
            yield [
                *base,
                "diff",
                "",
                "",
                "",
                "AI draft unchanged" if diff["unchanged"] else diff["unified"],
            ]


def neutralise_formula(value):
    """Text a spreadsheet would run as a formula, prefixed with ``'`` (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cell(value):
    return "" if value is None else neutralise_formula(value)


def to_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_cell(v) for v in row] for row in csv_rows(records))
    return out.getvalue()


def parse_range(since: str, until: str) -> tuple[datetime, datetime]:
    """Parse ``YYYY-MM-DD`` (or ISO datetimes) into an aware ``[since, until)`` range; a plain
    ``until`` date includes that whole day.

    Raises:
        ValueError: with a message a person can act on.
    """
    start = _parse_point(since, "since")
    end = _parse_point(until, "until")
    if len(until.strip()) == 10:
        end += timedelta(days=1)
    if end <= start:
        raise ValueError("“until” must be on or after “since”.")
    return start, end


def _parse_point(value: str, name: str) -> datetime:
    value = (value or "").strip()
    try:
        parsed = parse_datetime(value) if len(value) > 10 else None
        day = parse_date(value) if parsed is None else None
    except ValueError:
        parsed = day = None
    if parsed is None:
        if day is None:
            raise ValueError(f"“{name}” must be a date like 2026-01-31, not “{value}”.")
        parsed = datetime(day.year, day.month, day.day)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def export(records: list[dict], fmt: str) -> str:
    """Serialise ``records`` as ``"csv"`` or ``"json"``."""
    if fmt == "json":
        return to_json(records)
    if fmt == "csv":
        return to_csv(records)
    raise ValueError(f"Unknown export format {fmt!r}: use csv or json.")
