"""Idempotent demo data for the sandbox (used by ``manage.py ecm_ops_demo`` and tests)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.shortcuts import assign_perm
from wagtail.models import GroupPagePermission, Page, Site, Workflow, WorkflowPage, WorkflowTask

from ecm_ops.models import (
    PromptTemplate,
    PromptTemplateVersion,
    ReviewTier,
    RiskPolicy,
    RiskRule,
    RiskTieredReviewTask,
    StyleGuide,
)

from .models import AdviceArticle, HomePage, NewsArticle, SectionPage

#: username -> (password, role description, groups, superuser)
DEMO_USERS = {
    "admin": ("admin-demo-pw", "site admin (superuser)", [], True),
    "editor": ("editor-demo-pw", "editor", ["Editors"], False),
    "senior": (
        "senior-demo-pw",
        "senior editor (approves News and Health)",
        ["Editors", "Senior editors"],
        False,
    ),
    "legal": ("legal-demo-pw", "legal reviewer (required for Health)", ["Legal reviewers"], False),
    "lapsed": (
        "lapsed-demo-pw",
        "News reviewer whose certification expired (cannot approve until recertified)",
        ["Editors"],
        False,
    ),
}


def _user(username, password, groups, superuser):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "first_name": username.title()},
    )
    if created:
        user.set_password(password)
    user.is_staff = user.is_superuser = superuser
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def _admin_access(group):
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )


def _page(parent, model, slug, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    return page


def _tier(policy, level, label, **kwargs):
    tier, _ = ReviewTier.objects.update_or_create(
        policy=policy, level=level, defaults={"label": label, **kwargs}
    )
    return tier


def _template(slug, name, use_case, page_model, risk, guide, instructions, output_fields):
    template, _ = PromptTemplate.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "use_case": use_case,
            "risk_level": risk,
            "style_guide": guide,
            "status": "active",
        },
    )
    template.page_types.add(ContentType.objects.get_for_model(page_model))
    if not template.versions.exists():
        PromptTemplateVersion.objects.create(
            template=template,
            number=1,
            instructions=instructions,
            output_fields=output_fields,
            max_tokens=2048,
        )
    if template.promoted_version_id is None:  # the seeded version is what editors draft with
        template.promoted_version = template.latest_version
        template.save(update_fields=["promoted_version"])
    from .demo_suites import seed_suite

    seed_suite(template)
    _evaluate_promoted(template)
    return template


def _evaluate_promoted(template) -> None:
    """Run the promoted version's suite once, offline, as ``manage.py ecm_ops_eval`` does: the
    readiness scorecard counts a promoted version only with a passing evaluation run."""
    from ecm_ops.evaluation.runner import process_evaluation_run
    from ecm_ops.models import EvaluationRun
    from ecm_ops.services.evaluation import request_run

    version = template.promoted_version
    if version is None or EvaluationRun.objects.filter(version=version).exists():
        return
    if not template.evaluation_cases.filter(active=True).exists():
        return
    run = request_run(version.pk, None, trigger="demo", enqueue=False)
    process_evaluation_run(run.pk)


def _wagtail_root():
    """Wagtail's migrations create the root page and the default locale; a flushed database
    (e.g. after a transactional test) has neither. Put them back the way the migrations do."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale

    # A flush re-creates the content types with new ids; ids cached before it are stale.
    ContentType.objects.clear_cache()
    code = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=code)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    return Page.add_root(instance=Page(title="Root", slug="root", locale=locale))


@transaction.atomic
def seed() -> dict:
    """Create (or find) everything the demo needs. Safe to run any number of times."""
    root = Page.get_first_root_node() or _wagtail_root()
    home = HomePage.objects.first()
    if home is None:
        home = _page(root, HomePage, "ecm-home", title="ecm_ops sandbox")
        site = Site.objects.filter(is_default_site=True).first()
        old_root = site.root_page if site else None
        if site:
            site.root_page = home
            site.save()
        else:
            Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
        if old_root and old_root.specific_class is Page:
            old_root.delete()
    news = _page(home, SectionPage, "news", title="News")
    health = _page(home, SectionPage, "health", title="Health & Money")

    users = {name: _user(name, pw, groups, su) for name, (pw, _d, groups, su) in DEMO_USERS.items()}
    editors = Group.objects.get(name="Editors")
    # "Editors" too: Wagtail's migrations give it admin access, but a flushed database has not.
    for name in ("Editors", "Senior editors", "Legal reviewers"):
        _admin_access(Group.objects.get(name=name))
    for group in (editors, Group.objects.get(name="Senior editors")):
        for perm in ("add_page", "change_page", "publish_page"):
            if perm == "publish_page" and group == editors:
                continue
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=perm
                ),
            )
    GroupPagePermission.objects.get_or_create(
        group=Group.objects.get(name="Legal reviewers"),
        page=health,
        permission=Permission.objects.get(
            content_type__app_label="wagtailcore", codename="change_page"
        ),
    )

    # Risk policies: News is light, Health & Money always needs two approvals incl. Legal.
    legal = Group.objects.get(name="Legal reviewers")
    news_policy, _ = RiskPolicy.objects.get_or_create(
        section=news, defaults={"name": "News", "minimum_level": 1}
    )
    # Readiness demo: News escalates overdue reviews to the senior editors (ready), Health &
    # Money has nobody to escalate to (not ready: Content ops -> Setup says so).
    if news_policy.escalation_group_id is None:
        news_policy.escalation_group = Group.objects.get(name="Senior editors")
        news_policy.save(update_fields=["escalation_group"])
    n_low = _tier(news_policy, 1, "Low", approvals_required=1, auto_skip_allowed=True, sla_hours=48)
    n_std = _tier(news_policy, 2, "Standard", approvals_required=1, sla_hours=24)
    RiskRule.objects.get_or_create(
        policy=news_policy,
        name="Mostly AI-written",
        defaults={"tier": n_std, "min_ai_share": 0.3, "sort_order": 1},
    )
    RiskRule.objects.get_or_create(
        policy=news_policy,
        name="Claims or warnings found",
        defaults={
            "tier": n_std,
            "finding_checks": ["*"],
            "finding_min_severity": "warning",
            "sort_order": 2,
        },
    )
    health_policy, _ = RiskPolicy.objects.get_or_create(
        section=health,
        defaults={
            "name": "Health & Money",
            "minimum_level": 3,
            # Only blockers about the page's own words unpublish it; a dead link or a similar
            # page elsewhere opens an incident and leaves it live.
            "unpublish_checks": ["ai_artefacts", "claims", "pii"],
        },
    )
    h_elev = _tier(
        health_policy, 3, "Elevated", approvals_required=2, required_group=legal, sla_hours=24
    )
    h_high = _tier(
        health_policy,
        4,
        "High",
        approvals_required=2,
        required_group=legal,
        sla_hours=12,
        monitoring_cadence_hours=24,
    )
    RiskRule.objects.get_or_create(
        policy=health_policy,
        name="Medication or investment topics",
        defaults={"tier": h_high, "tags": ["medication", "investment"], "sort_order": 1},
    )
    for tier in (n_low, n_std, h_elev, h_high):
        assign_perm("ecm_ops.approve_tier", users["senior"], tier)
    for tier in (h_elev, h_high):
        assign_perm("ecm_ops.approve_tier", legal, tier)
    for tier in (n_low, n_std):
        assign_perm("ecm_ops.approve_tier", users["lapsed"], tier)
    from .demo_certification import seed_certification

    programmes = seed_certification({"news": news_policy, "health": health_policy}, users)

    # The workflow every page goes through.
    task = RiskTieredReviewTask.objects.filter(
        name="Risk-tiered review"
    ).first() or RiskTieredReviewTask.objects.create(name="Risk-tiered review")
    workflow, _ = Workflow.objects.get_or_create(name="AI content review")
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})

    guide, _ = StyleGuide.objects.get_or_create(
        name="House style",
        defaults={
            "voice": "Plain English, second person, short sentences. British spelling. No hype.",
            "terminology": [
                {"preferred": "email", "deprecated": ["e-mail"]},
                {"preferred": "website", "deprecated": ["web site"]},
            ],
        },
    )
    _template(
        "news-explainer",
        "News explainer",
        "Explain a news story for general readers.",
        NewsArticle,
        2,
        guide,
        "Write a short, neutral news explainer.",
        {
            "title": "title",
            "search_description": "search_description",
            "intro": "intro",
            "body": "body",
        },
    )
    _template(
        "health-advice",
        "Health & money advice",
        "Practical advice on health or money topics.",
        AdviceArticle,
        4,
        guide,
        "Write careful, practical advice. Never give individual medical or financial advice.",
        {
            "title": "title",
            "search_description": "search_description",
            "intro": "intro",
            "body": "body",
        },
    )

    # A few pages in different states.
    live = _page(
        news,
        NewsArticle,
        "city-opens-new-library",
        title="City opens new library",
        intro="The new central library opened on Monday.",
        body="<p>The library has space for study and events.</p>",
    )
    if not live.live or not live.live_revision_id:
        live.save_revision(user=users["editor"]).publish(user=users["senior"])
    _page(
        news,
        NewsArticle,
        "draft-transport-plan",
        title="Draft: the transport plan",
        live=False,
        intro="What the new transport plan means.",
        body="<p>Work in progress.</p>",
    )
    _page(
        health,
        AdviceArticle,
        "sleep-basics",
        title="Sleep basics",
        live=False,
        intro="How much sleep adults need.",
    )
    return {
        "home": home,
        "news": news,
        "health": health,
        "users": users,
        "task": task,
        "workflow": workflow,
        "programmes": programmes,
    }
