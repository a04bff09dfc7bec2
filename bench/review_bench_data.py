"""Data for the review benchmarks: 20 sections with policies and tiers, a reviewer with
authority on 5 of them, and N open review cases, each on its own page with a revision and an
in-progress Wagtail workflow/task state (so the dashboard sees real moderation rows).

Everything after the 20 sections is ``bulk_create``: pages are plain ``wagtailcore.Page`` rows
with treebeard paths computed here (adding 1,000 pages one by one through treebeard is slow).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, Revision, TaskState, WorkflowState

from ecm_ops.models import (
    ReviewCase,
    ReviewCaseUserObjectPermission,
    ReviewTier,
    ReviewTierUserObjectPermission,
    RiskPolicy,
)

SECTIONS, REVIEWER_SECTIONS = 20, 5


def build_world() -> dict:
    """Demo data plus 20 sections (policy + two tiers each) and the benchmark reviewer."""
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import SectionPage

    demo = seed()
    sections = [demo["news"], demo["health"]]
    for i in range(SECTIONS - len(sections)):
        section = SectionPage(title=f"Section {i}", slug=f"bench-section-{i}")
        demo["home"].add_child(instance=section)
        sections.append(section)
    tiers = []
    for section in sections:
        policy = RiskPolicy.objects.filter(section=section).first()
        if policy is None:
            policy = RiskPolicy.objects.create(section=section, name=section.title)
            ReviewTier.objects.bulk_create(
                [
                    ReviewTier(policy=policy, level=1, label="Low"),
                    ReviewTier(policy=policy, level=2, label="Standard", approvals_required=1),
                ]
            )
        tiers.append(list(ReviewTier.objects.filter(policy=policy).order_by("level")))
    User = get_user_model()
    reviewer = User.objects.create_user("bench_reviewer", "bench@example.com", "x")
    reviewer.groups.add(*demo["users"]["legal"].groups.all())  # admin access
    approve = Permission.objects.get(codename="approve_tier")
    ReviewTierUserObjectPermission.objects.bulk_create(
        ReviewTierUserObjectPermission(user=reviewer, permission=approve, content_object=tier)
        for section_tiers in tiers[:REVIEWER_SECTIONS]
        for tier in section_tiers
    )
    return {**demo, "sections": sections, "tiers": tiers, "reviewer": reviewer, "made": 0}


def add_cases(world: dict, count: int) -> None:
    """Add ``count`` open cases, round-robin over the sections."""
    editor, task, workflow = world["users"]["editor"], world["task"], world["workflow"]
    page_ct = ContentType.objects.get_for_model(Page)
    task_state_ct = ContentType.objects.get_for_model(TaskState)
    start = world["made"]
    pages = []
    by_section: dict[int, int] = {}
    for n in range(start, start + count):
        section = world["sections"][n % SECTIONS]
        parent = Page.objects.get(pk=section.pk)
        index = parent.numchild + by_section.get(section.pk, 0) + 1
        by_section[section.pk] = by_section.get(section.pk, 0) + 1
        slug = f"bench-page-{n}"
        pages.append(
            Page(
                title=f"Bench page {n}",
                draft_title=f"Bench page {n}",
                slug=slug,
                path=Page._get_path(parent.path, parent.depth + 1, index),
                depth=parent.depth + 1,
                numchild=0,
                url_path=f"{parent.url_path}{slug}/",
                content_type=page_ct,
                locale_id=parent.locale_id,
                translation_key=uuid.uuid4(),
                live=False,
            )
        )
    Page.objects.bulk_create(pages)
    for section_pk, added in by_section.items():
        parent = Page.objects.get(pk=section_pk)
        Page.objects.filter(pk=section_pk).update(numchild=parent.numchild + added)
    pages = list(Page.objects.filter(slug__in=[p.slug for p in pages]).order_by("pk"))
    revisions = Revision.objects.bulk_create(
        Revision(
            content_type=page_ct,
            base_content_type=page_ct,
            object_id=str(p.pk),
            content={"pk": p.pk, "title": p.title, "slug": p.slug},
            object_str=p.title,
            user=editor,
            created_at=timezone.now(),
        )
        for p in pages
    )
    workflow_states = WorkflowState.objects.bulk_create(
        WorkflowState(
            content_type=page_ct,
            base_content_type=page_ct,
            object_id=str(p.pk),
            workflow=workflow,
            status=WorkflowState.STATUS_IN_PROGRESS,
            requested_by=editor,
            created_at=timezone.now(),
        )
        for p in pages
    )
    task_states = TaskState.objects.bulk_create(
        TaskState(
            workflow_state=ws,
            revision=rev,
            task_id=task.pk,
            status=TaskState.STATUS_IN_PROGRESS,
            content_type=task_state_ct,
            started_at=timezone.now(),
        )
        for ws, rev in zip(workflow_states, revisions, strict=True)
    )
    for ws, ts in zip(workflow_states, task_states, strict=True):
        ws.current_task_state = ts
    WorkflowState.objects.bulk_update(workflow_states, ["current_task_state"])
    section_of = {}
    for n, p in enumerate(pages, start=start):
        section_of[p.pk] = n % SECTIONS
    now = timezone.now()
    cases = ReviewCase.objects.bulk_create(
        ReviewCase(
            page=p,
            revision=rev,
            task_state=ts,
            policy_id=world["tiers"][section_of[p.pk]][-1].policy_id,
            tier=world["tiers"][section_of[p.pk]][-1],
            tier_reasons=["Standard because: bench"],
            state="awaiting_review",
            requester=editor,
            due_at=now + timedelta(hours=n % 72),
        )
        for n, (p, rev, ts) in enumerate(zip(pages, revisions, task_states, strict=True))
    )
    # A few delegations to the reviewer outside their sections (per-row permissions shown).
    review_case = Permission.objects.get(codename="review_case")
    ReviewCaseUserObjectPermission.objects.bulk_create(
        ReviewCaseUserObjectPermission(
            user=world["reviewer"], permission=review_case, content_object=case
        )
        for case in cases[REVIEWER_SECTIONS::SECTIONS][:10]
    )
    world["made"] = start + count


def add_certifications(world: dict, count: int) -> None:
    """A policy-wide certification programme on every section; the reviewer certified on
    all their sections but one (expired there), plus ``count`` certifications of other users
    (the rule's cost must not grow with them)."""
    from ecm_ops.models import Certification, CertificationProgramme

    now = timezone.now()
    programmes = []
    for section_tiers in world["tiers"]:
        policy_id = section_tiers[0].policy_id
        programme = CertificationProgramme.objects.filter(policy_id=policy_id, tier=None).first()
        if programme is None:
            programme = CertificationProgramme.objects.create(
                policy_id=policy_id, name=f"Programme {policy_id}", guidance="Bench."
            )
        programmes.append(programme)
    world["programmes"] = programmes
    reviewer = world["reviewer"]
    if not Certification.objects.filter(user=reviewer).exists():
        Certification.objects.bulk_create(
            Certification(
                user=reviewer,
                programme=programme,
                passed_at=now - timedelta(days=400 if i == REVIEWER_SECTIONS - 1 else 10),
                expires_at=now + timedelta(days=-35 if i == REVIEWER_SECTIONS - 1 else 355),
            )
            for i, programme in enumerate(programmes[:REVIEWER_SECTIONS])
        )
    User = get_user_model()
    made = world.get("certs_made", 0)
    users = User.objects.bulk_create(
        User(username=f"bench-cert-{made + i}", email="") for i in range(count)
    )
    Certification.objects.bulk_create(
        Certification(
            user=u,
            programme=programmes[i % len(programmes)],
            passed_at=now - timedelta(days=i % 500),
            expires_at=now - timedelta(days=i % 500) + timedelta(days=365),
        )
        for i, u in enumerate(users)
    )
    world["certs_made"] = made + count
