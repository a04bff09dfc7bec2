"""Building review cases in code: pages with revisions, submissions through Wagtail's own
workflow (so the task, the case and the pre-screen all run), and the extra reviewers the
demo does not have."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from guardian.shortcuts import assign_perm
from wagtail.models import GroupPagePermission

from ecm_ops.models import ReviewCase, ReviewTier
from sandbox_site.content.models import AdviceArticle, NewsArticle


def reviewers_group() -> Group:
    group, created = Group.objects.get_or_create(name="Test reviewers")
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


def make_user(username: str, *groups: Group, email: bool = True, certified: bool = True):
    """A user with admin access; ``certified`` (the default) passes every active
    certification programme, as a trained reviewer would have: an ``approve_tier`` grant
    counts only while certified. Tests of the certification rule pass ``certified=False``."""
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com" if email else "", password="x"
    )
    user.groups.add(reviewers_group(), *groups)
    if certified:
        certify(user)
    return user


def certify(user, *programmes, days_ago: int = 1, valid_days: int | None = None):
    """Give ``user`` a valid certification of ``programmes`` (default: every active one)."""
    from datetime import timedelta

    from django.utils import timezone

    from ecm_ops.models import Certification, CertificationProgramme

    passed = timezone.now() - timedelta(days=days_ago)
    for programme in programmes or CertificationProgramme.objects.filter(active=True):
        days = programme.validity_days if valid_days is None else valid_days
        Certification.objects.create(
            user=user,
            programme=programme,
            passed_at=passed,
            expires_at=passed + timedelta(days=days),
            score=1.0,
        )


def expire(user) -> None:
    """End every certification of ``user`` (they expired a minute ago)."""
    from datetime import timedelta

    from django.utils import timezone

    from ecm_ops.models import Certification

    Certification.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(minutes=1))


def grant(user_or_group, tier: ReviewTier) -> None:
    assign_perm("ecm_ops.approve_tier", user_or_group, tier)


def section_editor(section, username="section_editor"):
    """An editor who may edit (not publish) only under ``section``."""
    user = make_user(username)
    group = Group.objects.create(name=f"Editors of {section.title}")
    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=section,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    user.groups.add(group)
    return user


def news_page(demo, slug="test-news", author=None, **fields):
    page = NewsArticle(
        slug=slug,
        title=fields.pop("title", "Council agrees the budget"),
        live=False,
        intro=fields.pop("intro", "The council agreed next year's budget on Tuesday."),
        body=fields.pop("body", "<p>Spending on parks rises slightly.</p>"),
        **fields,
    )
    demo["news"].add_child(instance=page)
    page.save_revision(user=author or demo["users"]["editor"])
    return page


def health_page(demo, slug="test-health", author=None, **fields):
    page = AdviceArticle(
        slug=slug,
        title=fields.pop("title", "Drinking enough water"),
        live=False,
        intro=fields.pop("intro", "Most adults need about two litres of fluid a day."),
        **fields,
    )
    demo["health"].add_child(instance=page)
    page.save_revision(user=author or demo["users"]["editor"])
    return page


def submit(page, user, capture) -> ReviewCase:
    """Submit ``page`` (its latest revision) with Wagtail's workflow, run the on-commit work
    (pre-screen, classification) and return the new case."""
    with capture(execute=True):
        page.get_workflow().start(page, user)
    return ReviewCase.objects.filter(page=page).order_by("-pk").first()


def health_tiers(demo):
    return {t.label: t for t in ReviewTier.objects.filter(policy__section=demo["health"])}


def news_tiers(demo):
    return {t.label: t for t in ReviewTier.objects.filter(policy__section=demo["news"])}


#: The foundation's checks: review tests are about review, not about which checks exist.
REVIEW_TEST_CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]


@pytest.fixture
def pinned_checks(settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": REVIEW_TEST_CHECKS}


def mark_ai(page, draft_by=None):
    """Record that the page's latest revision was written by the model (every text field is
    AI text, as the drafting service records it). With ``draft_by``, a DraftRequest by that
    user is recorded too (they "generated the AI draft")."""
    from ecm_ops.content_checks.canonical import canonical_text
    from ecm_ops.models import DraftRequest, FieldProvenance, PromptTemplate

    revision = page.get_latest_revision()
    draft = None
    if draft_by is not None:
        version = PromptTemplate.objects.get(slug="news-explainer").versions.first()
        draft = DraftRequest.objects.create(
            page=page,
            template_version=version,
            requester=draft_by,
            brief={"topic": page.title},
            status="succeeded",
            revision=revision,
        )
    doc = canonical_text(revision.as_object())
    rows = []
    for name in ("title", "intro", "body"):
        text = doc.field_text(name)
        if text:
            rows.append(
                FieldProvenance(
                    revision=revision,
                    page_id=page.pk,
                    field_name=name,
                    origin="ai",
                    draft=draft,
                    ai_text=text,
                    words=len(text.split()),
                    similarity=1.0,
                )
            )
    FieldProvenance.objects.bulk_create(rows)
    from ecm_ops.drafting.provenance import index_ai_text

    index_ai_text([r.ai_text for r in rows], draft=draft)
    return draft
