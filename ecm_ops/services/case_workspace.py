"""What the case screen shows: read-only facts about one review case, gathered for the
reviewer's workspace (the case view renders them; nothing here changes state).

Every reader here costs a fixed number of queries, whatever the number of findings, approvals,
earlier rounds or eligible reviewers: findings are read as per-check counts plus a few samples
per check (one window query), people through batched queries, earlier rounds with their
approvals prefetched. ``tests/test_case_workspace.py`` pins that.

Who is *eligible* to approve: active users who hold ``approve_tier`` on the case's tier
(directly or through a group) or had the case delegated to them, counted only while certified
(:class:`governance.authority.CertificationRule`), minus everyone conflicted
for the page (the one four-eyes rule, :func:`governance.authority.conflicts_for_pages`).
Superusers are not counted: they can always act, but they are the fallback that escalation
reaches for, not part of the tier's own quorum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from ..content_checks import diff, identity
from ..content_checks.canonical import canonical_text
from ..governance import authority
from ..models import (
    Approval,
    FieldProvenance,
    Publication,
    ReviewCase,
)
from ..states import Origin, ReviewState
from . import findings_summary

#: Earlier rounds listed (newest first).
ROUNDS_SHOWN = 20


# -- diffs ---------------------------------------------------------------------------------


def _ai_draft_text(case: ReviewCase) -> dict[str, str] | None:
    """The AI draft the submitted content came from: the model's original canonical text per
    field (``FieldProvenance.ai_text``), newest per field on this page up to the case's
    revision (one query). None when no field came from a model."""
    texts: dict[str, str] = {}
    for name, text in (
        FieldProvenance.objects.filter(page_id=case.page_id, revision_id__lte=case.revision_id)
        .exclude(ai_text="")
        .order_by("revision_id")
        .values_list("field_name", "ai_text")
    ):
        texts[name] = text
    return texts or None


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
    candidates = list(
        User.objects.filter(pk__in=authority.case_reviewer_ids(case)).order_by("username")
    )
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
    live_diff: list[diff.FieldDiff] | None
    draft_diff: list[diff.FieldDiff] | None
    findings: list[findings_summary.FindingGroup]
    finding_total: int
    provenance: list[dict]
    ai_share: float
    reasons: list[str]
    progress: Progress
    rounds: list[ReviewCase]
    outcome: str
    user_approved: Approval | None
    can_escalate: bool
    #: Every approval on the case (with .user), oldest first.
    approvals: list = field(default_factory=list)


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
    published = page.live_revision_id == case.revision_id or (
        Publication.objects.filter(
            page_id=case.page_id, content_digest=case.content_digest
        ).exists()
    )
    if published:
        return "Approved and published."
    return "Approved; not published yet (the workflow continues, or publishing was refused)."


def build(case: ReviewCase, user) -> Workspace:
    """Everything the case screen shows for ``user`` (read-only; a constant number of
    queries)."""
    from django.urls import reverse

    page = case.page.specific
    model = type(page)
    labels = _field_labeller(model)
    obj = identity.revision_object(case.revision)
    doc = canonical_text(obj)
    texts = diff.field_texts(doc)
    live_texts = diff.field_texts(canonical_text(page)) if page.live else None
    draft_texts = _ai_draft_text(case)

    perms = page.permissions_for_user(user)
    preview_url = reverse("ecm_ops:review_case_preview", args=[case.pk])
    revision_url = None
    if perms.can_edit() or perms.can_publish():
        revision_url = reverse(
            "wagtailadmin_pages:revisions_view", args=[page.pk, case.revision_id]
        )

    from ..drafting.provenance import AI_THRESHOLD, ai_coverage

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
    check_names = findings_summary.check_labels()
    groups = findings_summary.finding_groups(case.screening_run_id, check_names)
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
        live_diff=diff.field_diffs(live_texts, texts, labels) if live_texts is not None else None,
        draft_diff=diff.field_diffs(draft_texts, texts, labels) if draft_texts else None,
        findings=groups,
        finding_total=sum(g.count for g in groups),
        provenance=provenance,
        ai_share=coverage.share,
        reasons=findings_summary.reasons_in_words(case.tier_reasons, check_names),
        progress=progress(case, approvals),
        rounds=rounds,
        outcome=outcome(case, page, obj),
        user_approved=mine,
        can_escalate=can_escalate,
        approvals=approvals,
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
