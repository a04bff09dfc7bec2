"""Gathering: everything the readiness items read, for any number of sections, in a fixed
number of queries (one more per distinct depth of section roots)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.db.models.functions import Substr
from django.utils import timezone

from ...models import (
    Finding,
    Incident,
    MonitoringCheck,
    PromptTemplate,
    PromptTemplateVersion,
    Publication,
    ReviewTier,
    RiskPolicy,
    SweepRun,
)
from ...states import IncidentState, JobStatus

#: Recent data the quality items look at.
RECENT = timedelta(days=7)


@dataclass
class Facts:
    """Everything the items read, for a set of policies, gathered in a fixed number of queries."""

    policies: list
    tiers: dict = field(default_factory=dict)  # policy id -> [ReviewTier]
    approvers: dict = field(default_factory=dict)  # tier id -> {user id holding a grant}
    members: dict = field(default_factory=dict)  # group id -> {active user id}
    people: dict = field(default_factory=dict)  # user id -> (display name, is superuser)
    certification: object = None  # CertificationRule for every tier and approver
    template_statuses: dict = field(default_factory=dict)  # content type id -> {status}
    promoted: dict = field(default_factory=dict)  # content type id -> [Promoted]
    rubber_stamps: list = field(default_factory=list)  # habits.Flag, every open one
    workflow: dict = field(default_factory=dict)  # policy id -> (workflow name, has risk task)
    page_types: dict = field(default_factory=dict)  # policy id -> {content type id}
    could_not_run: dict = field(default_factory=dict)  # policy id -> {check id}
    unmonitored: dict = field(default_factory=dict)  # policy id -> [page title]
    violations: dict = field(default_factory=dict)  # policy id -> count
    last_sweep: object = None


@dataclass
class Promoted:
    """A template editors draft with (active, with a promoted version) and how that version
    got there: its latest evaluation run with its model, and whether it was by override."""

    template: str
    number: int
    model: str
    run: object = None  # EvaluationRun (the latest of this version and model) or None
    override: bool = False


def _owner_finder(policies):
    """A function: page path -> the policy whose section is its nearest ancestor-or-self."""
    by_path = {p.section.path: p for p in policies}
    lengths = sorted({len(path) for path in by_path}, reverse=True)

    def owner(path: str):
        for n in lengths:
            policy = by_path.get(path[:n])
            if policy is not None:
                return policy
        return None

    return owner


def _approvers(tiers, extra_groups=()) -> tuple[dict, dict, dict]:
    """Approvers per tier (active users holding ``approve_tier`` directly or through a group,
    certified or not), active members per group, and each one's display name and superuser
    flag, in three queries. Whose grant
    counts now is :func:`.items.certified` (the certification rule, loaded by
    :func:`_certification`)."""
    from ...governance.authority import tier_holders

    holders = tier_holders(tiers)
    group_ids = {g.pk for h in holders.values() for g in h["groups"]}
    group_ids |= {t.required_group_id for t in tiers if t.required_group_id}
    group_ids |= set(extra_groups)
    User = get_user_model()
    members = defaultdict(set)
    people = {}
    for group_id, user_id, username, first, last, superuser in User.groups.through.objects.filter(
        group_id__in=group_ids, user__is_active=True
    ).values_list(
        "group_id",
        "user_id",
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__is_superuser",
    ):
        members[group_id].add(user_id)
        people[user_id] = (f"{first} {last}".strip() or username, superuser)
    approvers = {}
    for tier in tiers:
        h = holders[tier.pk]
        ids = set()
        for u in h["users"]:
            if u.is_active:
                ids.add(u.pk)
                people[u.pk] = (u.get_full_name() or u.get_username(), u.is_superuser)
        for group in h["groups"]:
            ids |= members[group.pk]
        approvers[tier.pk] = ids
    return approvers, dict(members), people


def _certification(tiers, approvers):
    """The one authority rule (:class:`~ecm_ops.governance.authority.CertificationRule`) for
    every tier and approver (two queries)."""
    from ...governance.authority import CertificationRule

    return CertificationRule(tiers, set().union(*approvers.values()) if approvers else set())


def _promoted_templates() -> tuple[dict, dict]:
    """Template statuses per page type, and the templates editors draft with (active, with a
    promoted version) with their version's latest evaluation run and how it was promoted
    (three queries)."""
    from ...models import EvaluationRun, TemplatePromotion
    from ...states import TemplateStatus
    from ..evaluation import resolve_model

    statuses, promoted, by_version = {}, {}, {}
    through = PromptTemplate.page_types.through
    rows = through.objects.values_list(
        "contenttype_id",
        "prompttemplate__status",
        "prompttemplate__name",
        "prompttemplate__promoted_version_id",
        "prompttemplate__promoted_version__number",
        "prompttemplate__promoted_version__model_name",
    ).distinct()
    for ct_id, status, name, version_id, number, model_name in rows:
        statuses.setdefault(ct_id, set()).add(status)
        if status != TemplateStatus.ACTIVE or version_id is None:
            continue
        if version_id not in by_version:
            model = resolve_model(PromptTemplateVersion(model_name=model_name or ""), "")
            by_version[version_id] = Promoted(name, number, model)
        promoted.setdefault(ct_id, []).append(by_version[version_id])
    if by_version:
        for run in EvaluationRun.objects.filter(version_id__in=by_version).order_by(
            "-created_at", "-pk"
        ):
            p = by_version[run.version_id]
            if p.run is None and run.model_name == p.model:
                p.run = run
        for version_id, override in (
            TemplatePromotion.objects.filter(version_id__in=by_version)
            .order_by("created_at", "pk")
            .values_list("version_id", "override")
        ):
            by_version[version_id].override = override  # the latest promotion wins
    return statuses, promoted


def _workflows(policies) -> dict:
    """Per policy: the active workflow Wagtail would start for its section root (the nearest
    ancestor-or-self assignment) and whether it has an active Risk-tiered review task."""
    from wagtail.models import WorkflowPage, WorkflowTask

    from ...workflows import RiskTieredReviewTask

    if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
        return {p.pk: (None, False) for p in policies}
    assigned = {
        path: (workflow_id, name)
        for path, workflow_id, name in WorkflowPage.objects.filter(
            workflow__active=True
        ).values_list("page__path", "workflow_id", "workflow__name")
    }
    with_task = set(
        WorkflowTask.objects.filter(
            task__active=True,
            task__content_type=ContentType.objects.get_for_model(RiskTieredReviewTask),
        ).values_list("workflow_id", flat=True)
    )
    lengths = sorted({len(p) for p in assigned}, reverse=True)
    out = {}
    for policy in policies:
        path = policy.section.path
        found = next((assigned[path[:n]] for n in lengths if path[:n] in assigned), None)
        out[policy.pk] = (found[1], found[0] in with_task) if found else (None, False)
    return out


def _page_types(policies) -> dict:
    """Content types of the pages below each section root (one query per depth of roots),
    plus the types that may be created directly under the root."""
    from wagtail.models import Page

    out = defaultdict(set)
    by_depth = defaultdict(dict)
    for p in policies:
        by_depth[p.section.depth][p.section.path] = p
        for model in p.section.specific_class.creatable_subpage_models():
            out[p.pk].add(ContentType.objects.get_for_model(model).pk)
    steplen = Page.steplen
    for depth, roots in by_depth.items():
        rows = (
            Page.objects.filter(depth__gt=depth)
            .annotate(root=Substr("path", 1, steplen * depth))
            .filter(root__in=list(roots))
            .values_list("root", "content_type_id")
            .distinct()
        )
        for root, ct_id in rows:
            out[roots[root].pk].add(ct_id)
    return out


def gather(policies=None, now=None) -> Facts:
    """Read everything the items need for ``policies`` (default: every risk policy)."""
    from wagtail.models import Page

    now = now or timezone.now()
    if policies is None:
        policies = RiskPolicy.objects.select_related("section", "escalation_group")
    policies = list(policies)
    facts = Facts(policies=policies)
    if not policies:
        return facts
    owner = _owner_finder(policies)
    tiers = list(ReviewTier.objects.filter(policy__in=policies).select_related("required_group"))
    for tier in tiers:
        facts.tiers.setdefault(tier.policy_id, []).append(tier)
    facts.approvers, facts.members, facts.people = _approvers(
        tiers, [p.escalation_group_id for p in policies if p.escalation_group_id]
    )
    facts.certification = _certification(tiers, facts.approvers)
    facts.workflow = _workflows(policies)
    facts.page_types = _page_types(policies)
    facts.template_statuses, facts.promoted = _promoted_templates()
    from .. import habits

    facts.rubber_stamps = habits.flags(now=now)
    for path, check_id in (
        Finding.objects.filter(
            check_id__endswith="could_not_run", run__created_at__gte=now - RECENT
        )
        .values_list("run__page__path", "check_id")
        .distinct()
    ):
        policy = owner(path)
        if policy is not None:
            facts.could_not_run.setdefault(policy.pk, set()).add(check_id.rsplit(".", 1)[0])
    pending = MonitoringCheck.objects.filter(
        page_id=OuterRef("pk"), status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    )
    ai_live = Publication.objects.filter(
        page_id=OuterRef("pk"), revision_id=OuterRef("live_revision_id"), ai_share__gt=0
    )
    for path, title in (
        Page.objects.filter(live=True)
        .filter(Exists(ai_live))
        .exclude(Exists(pending))
        .values_list("path", "title")[:1000]
    ):
        policy = owner(path)
        if policy is not None:
            facts.unmonitored.setdefault(policy.pk, []).append(title)
    from ..verification import PREFIX

    for (path,) in Incident.objects.filter(
        summary__startswith=PREFIX,
        state__in=(IncidentState.OPEN, IncidentState.ACKNOWLEDGED),
    ).values_list("page__path"):
        policy = owner(path)
        if policy is not None:
            facts.violations[policy.pk] = facts.violations.get(policy.pk, 0) + 1
    facts.last_sweep = (
        SweepRun.objects.filter(status=JobStatus.SUCCEEDED, finished_at__isnull=False)
        .order_by("-finished_at")
        .only("finished_at")
        .first()
    )
    return facts
