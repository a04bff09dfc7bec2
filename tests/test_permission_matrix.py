"""Who may do what, over EVERY ecm_ops admin URL (read from the URL resolver, so a new URL is
covered the day it is added) plus Wagtail's workflow action on a review case.

Roles, around one Health case (Elevated tier: two approvals including Legal):

- anonymous;
- an editor of another section (may edit News only);
- a reviewer without authority for the tier (holds News tiers only);
- the requester (self-approval);
- a reviewer the case was delegated to;
- a reviewer with authority for the tier.

Every request runs inside a savepoint that is rolled back, so each starts from the same state.
Never a 500; anonymous always goes to the login page; a refused request changes nothing. The
review screens have an explicit table of outcomes; every other ecm_ops URL must at least
refuse anonymous users, never fail, and leave the case and the page unchanged.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from guardian.shortcuts import assign_perm

from ecm_ops.models import Approval, DraftRequest, PromptTemplate, ReviewCase, StyleGuide

from .helpers import workflow_action_url
from .review_support import (
    grant,
    health_page,
    make_user,
    news_tiers,
    pinned_checks,  # noqa: F401
    section_editor,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]

ROLES = ["anonymous", "other_editor", "no_authority", "requester", "delegated", "authority"]
MISSING = 999_999  # an id nothing has: must be a 404, never a 500

# Outcomes: "login" (redirect to log in), "ok" (done / shown), "refused" (403, 404, 400, 405,
# 409, or Wagtail's redirect to the dashboard with "no permission").
# (url name, method) -> role -> outcome
EXPECTED = {
    ("review_queue", "get"): dict.fromkeys(ROLES[1:], "ok") | {"anonymous": "login"},
    ("review_case", "get"): {
        "anonymous": "login",
        "other_editor": "refused",
        "no_authority": "refused",
        "requester": "ok",  # sees the case and why they cannot approve it
        "delegated": "ok",
        "authority": "ok",
    },
    # The submitted revision rendered for the workspace's iframe: whoever may see the case.
    ("review_case_preview", "get"): {
        "anonymous": "login",
        "other_editor": "refused",
        "no_authority": "refused",
        "requester": "ok",
        "delegated": "ok",
        "authority": "ok",
    },
    ("review_case_preview", "post"): dict.fromkeys(ROLES[1:], "refused") | {"anonymous": "login"},
    ("review_case", "post"): {
        "anonymous": "login",
        "other_editor": "refused",
        "no_authority": "refused",
        "requester": "refused",
        "delegated": "ok",
        "authority": "ok",
    },
    ("workflow_action", "post"): {
        "anonymous": "login",
        "other_editor": "refused",
        "no_authority": "refused",
        "requester": "refused",
        "delegated": "ok",
        "authority": "ok",
    },
    # Nobody here holds the override authority.
    ("publish_override", "get"): dict.fromkeys(ROLES[1:], "refused") | {"anonymous": "login"},
    ("publish_override", "post"): dict.fromkeys(ROLES[1:], "refused") | {"anonymous": "login"},
    # Nobody here may manage authority.
    ("delegate_case", "post"): dict.fromkeys(ROLES[1:], "refused") | {"anonymous": "login"},
}
#: Pages for the public (the AI disclosure's explanation and public evidence): anonymous
#: readers get them (or a 404 / 405), never a login redirect.
PUBLIC = {"ecm_ops_public:disclosure_explained", "ecm_ops_public:disclosure_evidence"}
POST_DATA = {
    "review_case": {"action": "approve", "comment": "matrix"},
    "workflow_action": {"comment": "matrix"},
    "publish_override": {"reason": "The matrix wants this published now"},
}


def ecm_ops_urls() -> list[tuple[str, list[str]]]:
    """Every named URL in the ``ecm_ops`` namespace and the ``ecm_ops_*`` viewsets, with the
    names of its URL parameters."""
    found = []

    def walk(patterns, namespace, params):
        for p in patterns:
            names = params + list(p.pattern.converters)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, namespace, names)
            elif isinstance(p, URLPattern) and p.name:
                found.append((f"{namespace}:{p.name}", names))

    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace == "ecm_ops" or namespace.startswith("ecm_ops_"):
            walk(resolver.url_patterns, namespace, [])
    return sorted(found)


@pytest.fixture
def world(demo, django_capture_on_commit_callbacks):
    users = demo["users"]
    no_authority = make_user("news_only_reviewer")
    for tier in news_tiers(demo).values():
        grant(no_authority, tier)
    delegated = make_user("delegated_reviewer")
    case = submit(health_page(demo), users["editor"], django_capture_on_commit_callbacks)
    assert case.state == "awaiting_review"
    assign_perm("ecm_ops.review_case", delegated, case)
    draft = DraftRequest.objects.create(
        page=case.page,
        template_version=PromptTemplate.objects.get(slug="health-advice").versions.first(),
        requester=users["editor"],
        brief={"topic": "water"},
    )
    return {
        "case": case,
        "draft": draft,
        "health": demo["health"],
        "users": {
            "anonymous": None,
            "other_editor": section_editor(demo["news"]),
            "no_authority": no_authority,
            "requester": users["editor"],
            "delegated": delegated,
            "authority": users["senior"],
        },
    }


def _kwargs(name: str, params: list[str], world) -> dict:
    case = world["case"]
    pks = {
        "ecm_ops:review_case": case.pk,
        "ecm_ops:review_case_preview": case.pk,
        "ecm_ops:delegate_case": case.pk,
        "ecm_ops:draft_status": world["draft"].pk,
        "ecm_ops:draft_cancel": world["draft"].pk,
        "ecm_ops:policy_authority": case.policy_id,
    }
    values = {
        "page_id": case.page_id,
        "run_id": case.screening_run_id,
        "parent_id": world["health"].pk,
        "app_label": "content",
        "model_name": "advicearticle",
        "name": "retire",  # a prompt template transition
    }
    out = {}
    for param in params:
        if param == "pk":
            if name.startswith("ecm_ops_risk_policies:"):
                out[param] = case.policy_id
            elif name.startswith("ecm_ops_style_guides:"):
                out[param] = StyleGuide.objects.values_list("pk", flat=True).first()
            elif name.startswith("ecm_ops_prompt_templates:"):
                out[param] = PromptTemplate.objects.values_list("pk", flat=True).first()
            else:
                out[param] = pks.get(name, MISSING)
        elif param in values:
            out[param] = values[param]
        elif param == "kind":  # a regression case from a review case; a drill-down's rows
            out[param] = "review" if name == "ecm_ops:case_from_production" else "drafts"
        elif param == "version_pk":
            out[param] = (
                PromptTemplate.objects.order_by("pk").first().versions.values_list("pk", flat=True)
            ).first()
        else:
            pytest.fail(f"The permission matrix does not know URL parameter {param!r} of {name}")
    return out


def _snapshot(case: ReviewCase):
    fresh = ReviewCase.objects.select_related("page").get(pk=case.pk)
    return (
        fresh.state,
        sorted(Approval.objects.filter(case=case).values_list("user_id", flat=True)),
        fresh.page.live,
        fresh.page.latest_revision_id,
        ReviewCase.objects.count(),
    )


def _outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("wagtailadmin_login")):
            return "login"
        if location == reverse("wagtailadmin_home"):
            return "refused"  # Wagtail's "Sorry, you do not have permission"
        return "ok"
    if status in (400, 403, 404, 405, 409):
        return "refused"
    return "ok"


def _request(client, method, url, data, case):
    """One request in a savepoint that is rolled back; returns it and the state it left."""
    with transaction.atomic():
        response = client.get(url) if method == "get" else client.post(url, data)
        after = _snapshot(case)
        transaction.set_rollback(True)
    return response, after


@pytest.mark.parametrize("role", ROLES)
def test_every_ecm_ops_url_for_every_role(role, world, client):
    client.raise_request_exception = False
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    case = world["case"]
    before = _snapshot(case)
    requests = [
        (name, params, method) for name, params in ecm_ops_urls() for method in ("get", "post")
    ]
    requests.append(("workflow_action", [], "post"))
    assert len(requests) > 20
    problems = []
    for name, params, method in requests:
        if name == "workflow_action":
            url = workflow_action_url(case.page, "approve", case.task_state)
        else:
            url = reverse(name, kwargs=_kwargs(name, params, world))
        short = name.split(":", 1)[-1]
        response, after = _request(client, method, url, POST_DATA.get(short, {}), case)
        outcome = _outcome(response)
        own = name.startswith("ecm_ops:") or name == "workflow_action"
        expected = EXPECTED.get((short, method)) if own else None
        where = f"{method.upper()} {url} ({name}) as {role}"
        if outcome == "error":
            problems.append(f"{where}: HTTP {response.status_code}")
            continue
        if role == "anonymous" and outcome != "login" and name not in PUBLIC:
            problems.append(f"{where}: anonymous got {response.status_code}, not a login redirect")
        if expected is not None and outcome != expected[role]:
            problems.append(f"{where}: expected {expected[role]}, got HTTP {response.status_code}")
        decision = (short, method) in {("review_case", "post"), ("workflow_action", "post")}
        if decision and expected and expected[role] == "ok":
            if user.pk not in after[1]:
                problems.append(f"{where}: no approval recorded")
        elif after != before:
            problems.append(f"{where}: changed the case or page {before} -> {after}")
    assert not problems, "\n".join(problems)
