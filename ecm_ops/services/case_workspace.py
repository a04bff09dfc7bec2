"""What the case screen shows: read-only facts about one review case, gathered for the
reviewer's workspace (the case view renders them; nothing here changes state).

Every reader here costs a fixed number of queries, whatever the number of findings, approvals,
earlier rounds or eligible reviewers: findings are read as per-check counts plus a few samples
per check (one window query), people through batched queries, earlier rounds with their
approvals prefetched. ``tests/test_case_workspace.py`` pins that.

Who is *eligible* to approve: active users who hold ``approve_tier`` on the case's tier
(directly or through a group) or had the case delegated to them, minus everyone conflicted
for the page (the one four-eyes rule, :func:`governance.authority.conflicts_for_pages`).
Superusers are not counted: they can always act, but they are the fallback that escalation
reaches for, not part of the tier's own quorum.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import conf
from ..content_checks import identity
from ..content_checks.canonical import CanonicalText, canonical_text
from ..governance import authority
from ..models import (
    Approval,
    FieldProvenance,
    Finding,
    ReviewCase,
    ReviewCaseUserObjectPermission,
)
from ..states import Origin, ReviewState, Severity

#: Distinct messages shown per check before "and N more"; a group this long starts collapsed.
SAMPLES_PER_CHECK = 5
#: Earlier rounds listed (newest first).
ROUNDS_SHOWN = 20
SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
AI_THRESHOLD = 0.95


# -- diffs ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldDiff:
    name: str
    label: str
    #: ``[(op, text)]`` with op ``"equal"``, ``"insert"`` or ``"delete"``.
    segments: list[tuple[str, str]]
    inserted: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level diff of two texts: ``[(op, text)]`` where op is equal/insert/delete
    (a replacement is a deletion followed by an insertion)."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return out


def field_diffs(old: CanonicalText | None, new: CanonicalText, labels) -> list[FieldDiff]:
    """One diff per field of ``new`` (and fields only ``old`` has), against ``old`` (None:
    everything is inserted)."""
    names = [s.field for s in new.spans]
    if old is not None:
        names += [s.field for s in old.spans if s.field not in names]
    out = []
    for name in names:
        segments = word_diff(old.field_text(name) if old else "", new.field_text(name))
        out.append(
            FieldDiff(
                name,
                labels(name),
                segments,
                inserted=sum(len(t.split()) for op, t in segments if op == "insert"),
                deleted=sum(len(t.split()) for op, t in segments if op == "delete"),
            )
        )
    return out


def _ai_draft_text(case: ReviewCase) -> CanonicalText | None:
    """The AI draft the submitted content came from, as canonical text: the model's original
    text per field (``FieldProvenance.ai_text``), newest per field on this page up to the
    case's revision (one query). None when no field came from a model."""
    texts: dict[str, str] = {}
    for name, text in (
        FieldProvenance.objects.filter(page_id=case.page_id, revision_id__lte=case.revision_id)
        .exclude(ai_text="")
        .order_by("revision_id")
        .values_list("field_name", "ai_text")
    ):
        texts[name] = text
    if not texts:
        return None
    from ..content_checks.canonical import FieldSpan

    doc, pos = CanonicalText(), 0
    for name, text in texts.items():
        doc.spans.append(FieldSpan(name, pos, pos + len(text)))
        doc.text += text + "\n\n"
        pos += len(text) + 2
    return doc


# -- findings ------------------------------------------------------------------------------


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
    #: ``[{"message", "severity", "field", "excerpt", "count"}]``, most frequent first.
    samples: list[dict] = field(default_factory=list)
    distinct: int = 0

    @property
    def more(self) -> int:
        return max(self.distinct - len(self.samples), 0)

    @property
    def collapsed(self) -> bool:
        return self.count > SAMPLES_PER_CHECK


def finding_groups(run_id: int | None) -> list[FindingGroup]:
    """Findings of a screening run grouped by check: counts per severity and the most frequent
    distinct messages (two queries, whatever the number of findings)."""
    if not run_id:
        return []
    findings = Finding.objects.filter(run_id=run_id)
    groups: dict[str, FindingGroup] = {}
    labels = check_labels()
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


# -- people and progress -------------------------------------------------------------------


def display_name(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@dataclass
class Progress:
    approved: list  # Approval rows that count, with .user
    needed: int
    group: object = None  # the tier's required group
    group_done: bool = True
    eligible: list = field(default_factory=list)  # users who may still approve
    conflicted: list = field(default_factory=list)
    reachable: bool = True
    why_unreachable: str = ""

    @property
    def count(self) -> int:
        return len(self.approved)

    @property
    def waiting_for(self) -> str:
        """Who the case waits for, in words ("Legal reviewers", "1 more approval")."""
        parts = []
        if self.group is not None and not self.group_done:
            parts.append(self.group.name)
        rest = self.needed - self.count - len(parts)
        if rest > 0:
            parts.append(f"{rest} more approval" + ("s" if rest > 1 else ""))
        return " and ".join(parts)

    @property
    def line(self) -> str:
        text = f"{self.count} of {self.needed} approval" + ("s" if self.needed != 1 else "")
        if self.waiting_for:
            text += f" — waiting for {self.waiting_for}"
        names = ", ".join(display_name(u) for u in self.eligible)
        return f"{text}; eligible: {names or 'nobody'}"


def progress(case: ReviewCase, approvals: list[Approval]) -> Progress:
    """Approvals so far, who may still approve, and whether the quorum can still be reached
    (a constant number of queries)."""
    tier = case.tier
    needed = max(tier.approvals_required if tier else 1, 1)
    counting = {}
    for a in approvals:
        if a.revision_id == case.revision_id and a.content_digest == case.content_digest:
            counting.setdefault(a.user_id, a)
    User = get_user_model()
    holders = Q(pk__in=[])
    if tier is not None:
        holders |= Q(pk__in=authority.users_with_authority(tier).values("pk"))
    holders |= Q(
        pk__in=ReviewCaseUserObjectPermission.objects.filter(
            content_object_id=case.pk, permission__codename=authority.REVIEW_CASE
        ).values("user_id")
    )
    candidates = list(User.objects.filter(is_active=True).filter(holders).order_by("username"))
    group = tier.required_group if tier and tier.required_group_id else None
    members = set()
    if group is not None:
        ids = set(counting) | {u.pk for u in candidates}
        members = set(User.objects.filter(pk__in=ids, groups=group.pk).values_list("pk", flat=True))
    conflicts = authority.conflicts_for_pages([case.page_id])[case.page_id]
    eligible, conflicted = [], []
    for user in candidates:
        if user.pk in counting:
            continue
        (conflicted if user.pk in conflicts else eligible).append(user)
    result = Progress(
        approved=list(counting.values()),
        needed=needed,
        group=group,
        group_done=group is None or bool(members & set(counting)),
        eligible=eligible,
        conflicted=conflicted,
    )
    if case.state in (ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED):
        missing = needed - len(counting)
        if not result.group_done and not any(u.pk in members for u in eligible):
            result.reachable = False
            result.why_unreachable = (
                f"The tier needs an approval from a member of {group.name}, and no member "
                "who may approve this case is left (none hold authority, or all are "
                "conflicted)."
            )
        elif len(eligible) < missing:
            result.reachable = False
            result.why_unreachable = (
                f"{missing} more approval{'s are' if missing > 1 else ' is'} needed, but only "
                f"{len(eligible)} eligible reviewer{'s' if len(eligible) != 1 else ''} "
                "without a conflict of interest "
                f"{'are' if len(eligible) != 1 else 'is'} left."
            )
    return result


# -- the workspace -------------------------------------------------------------------------


@dataclass
class Workspace:
    case: ReviewCase
    #: The submitted revision, rendered for the workspace's iframe.
    preview_url: str
    #: Wagtail's own view of that revision (with "Revert"), for people who may edit the page.
    revision_url: str | None
    live_diff: list[FieldDiff] | None
    draft_diff: list[FieldDiff] | None
    findings: list[FindingGroup]
    finding_total: int
    provenance: list[dict]
    ai_share: float
    reasons: list[str]
    progress: Progress
    rounds: list[ReviewCase]
    outcome: str
    user_approved: Approval | None
    can_escalate: bool


def _field_labeller(model):
    def label(name: str) -> str:
        try:
            return str(model._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            return name.replace("_", " ").capitalize()

    return label


def outcome(case: ReviewCase, page, obj) -> str:
    """What happened after the last approval, in words ("" while the case is open)."""
    if case.state != ReviewState.APPROVED:
        return ""
    go_live = getattr(obj, "go_live_at", None)
    if go_live and go_live > timezone.now():
        local = timezone.localtime(go_live)
        return f"Approved; publishes at {local:%d %b %Y %H:%M} ({local.tzname()})."
    if page.live and page.live_revision_id == case.revision_id:
        return "Approved and published."
    if page.live and page.has_unpublished_changes is False:
        return "Approved and published."
    return "Approved; the workflow continues before publication."


def build(case: ReviewCase, user) -> Workspace:
    """Everything the case screen shows for ``user`` (read-only; a constant number of
    queries)."""
    from django.urls import reverse

    page = case.page.specific
    model = type(page)
    labels = _field_labeller(model)
    obj = identity.revision_object(case.revision)
    doc = canonical_text(obj)
    live_doc = canonical_text(page) if page.live else None
    draft_doc = _ai_draft_text(case)

    perms = page.permissions_for_user(user)
    preview_url = reverse("ecm_ops:review_case_preview", args=[case.pk])
    revision_url = None
    if perms.can_edit() or perms.can_publish():
        revision_url = reverse(
            "wagtailadmin_pages:revisions_view", args=[page.pk, case.revision_id]
        )

    from ..drafting.provenance import ai_coverage

    coverage = ai_coverage(doc)
    provenance = []
    for name, (ai, total) in coverage.fields.items():
        share = round(ai / total, 4) if total else 0.0
        origin = Origin.HUMAN if not ai else Origin.AI if share >= AI_THRESHOLD else Origin.MIXED
        provenance.append(
            {
                "field": labels(name),
                "share": share,
                "ai_words": ai,
                "words": total,
                "origin": origin.label,
            }
        )

    approvals = list(
        Approval.objects.filter(case=case).select_related("user").order_by("created_at")
    )
    check_names = check_labels()
    groups = finding_groups(case.screening_run_id)
    rounds = list(
        ReviewCase.objects.filter(page_id=case.page_id)
        .exclude(pk=case.pk)
        .select_related("tier", "requester")
        .prefetch_related(_approvals_prefetch())
        .order_by("-created_at", "-pk")[:ROUNDS_SHOWN]
    )
    mine = next((a for a in approvals if a.user_id == user.pk and _counts(a, case)), None)
    can_escalate = case.state in (ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED) and (
        authority.has_authority(user, case) or authority.can_manage_authority(user)
    )
    return Workspace(
        case=case,
        preview_url=preview_url,
        revision_url=revision_url,
        live_diff=field_diffs(live_doc, doc, labels) if live_doc is not None else None,
        draft_diff=field_diffs(draft_doc, doc, labels) if draft_doc is not None else None,
        findings=groups,
        finding_total=sum(g.count for g in groups),
        provenance=provenance,
        ai_share=coverage.share,
        reasons=reasons_in_words(case.tier_reasons, check_names),
        progress=progress(case, approvals),
        rounds=rounds,
        outcome=outcome(case, page, obj),
        user_approved=mine,
        can_escalate=can_escalate,
    )


def _counts(approval: Approval, case: ReviewCase) -> bool:
    return (
        approval.revision_id == case.revision_id and approval.content_digest == case.content_digest
    )


def _approvals_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "approvals",
        queryset=Approval.objects.select_related("user").order_by("created_at"),
    )
