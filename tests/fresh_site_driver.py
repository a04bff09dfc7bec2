"""Run INSIDE a throwaway ``wagtail start`` project (see test_fresh_site.py): the README's admin
steps done the way a site admin would (the prompt template through the admin views: add it,
import the README's evaluation suite, run an evaluation, promote it as a second admin — the
author alone is refused), then one page from brief to published through the admin views as an
editor and a reviewer. Prints ``FRESH-SITE OK`` at the end; any failure raises.

Usage: ``python fresh_site_driver.py <output schema json> <evaluation suite yaml>`` with
DJANGO_SETTINGS_MODULE set.
"""

from __future__ import annotations

import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from wagtail.models import GroupPagePermission, Page, Workflow, WorkflowPage, WorkflowTask  # noqa: E402
from wagtail.test.utils.form_data import nested_form_data  # noqa: E402

from ecm_ops.governance.authority import grant_tier  # noqa: E402
from ecm_ops.models import (  # noqa: E402
    DraftRequest,
    EvaluationRun,
    PromptTemplate,
    ReviewCase,
    ReviewTier,
    RiskPolicy,
    TemplatePromotion,
)
from ecm_ops.workflows import RiskTieredReviewTask  # noqa: E402

schema = json.loads(sys.argv[1])
suite_yaml = sys.argv[2]


def run_jobs() -> None:
    """With REDIS_URL set the README's settings configure RQ: drain the queue with a real
    worker (in burst mode, in this process) where a deployment's workers would run them."""
    import os

    if not os.environ.get("REDIS_URL"):
        return  # inline: the job already ran when the request committed
    import django_rq
    from rq import SimpleWorker

    queue = django_rq.get_queue("default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)


if __import__("os").environ.get("REDIS_URL"):
    from ecm_ops.jobs import outbox

    assert outbox.backend() == "rq", outbox.backend()
    __import__("django_rq").get_queue("default").connection.flushdb()
User = get_user_model()
admin = User.objects.create_superuser("admin", "admin@example.com", "x")
admin2 = User.objects.create_superuser("admin2", "admin2@example.com", "x")  # four eyes
editor = User.objects.create_user("editor", "editor@example.com", "x")
reviewer = User.objects.create_user("reviewer", "reviewer@example.com", "x")
editors = Group.objects.get(name="Editors")  # created by Wagtail's migrations
editor.groups.add(editors)
reviewer.groups.add(editors)
home = Page.objects.get(depth=2).specific
print("page type:", type(home).__name__, "fields:", [f.name for f in type(home)._meta.fields][-3:])
GroupPagePermission.objects.get_or_create(
    group=editors,
    page=home,
    permission=Permission.objects.get(
        content_type__app_label="wagtailcore", codename="change_page"
    ),
)

# README step 1: Settings -> Workflows, a workflow with a "Risk-tiered review" task on the root.
task = RiskTieredReviewTask.objects.create(name="Risk-tiered review")
workflow = Workflow.objects.create(name="AI content review")
WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})
# Step 2: a risk policy with one tier.
policy = RiskPolicy.objects.create(name="Site", section=home)
tier = ReviewTier.objects.create(policy=policy, level=1, label="Standard", approvals_required=1)
# Step 3: approval authority.
grant_tier(tier, by=admin, user=reviewer)
# Step 4: a prompt template, made usable the way the README says, in the admin as a site admin.
staff = Client()
staff.force_login(admin)
# 4.1: add it (version 1, a draft; its author is `admin`).
response = staff.post(
    reverse("ecm_ops_prompt_templates:add"),
    {
        "name": "Home intro",
        "slug": "home-intro",
        "use_case": "Home",
        "page_types": [ContentType.objects.get_for_model(type(home)).pk],
        "risk_level": PromptTemplate._meta.get_field("risk_level").default,
        "style_guide": "",
        "instructions": "Write a welcome.",
        "variables": "[]",
        "output_fields": json.dumps(schema),
        "model_name": "",
        "max_tokens": 2048,
    },
)
assert response.status_code == 302, response.content[:3000]
template = PromptTemplate.objects.get(slug="home-intro")
version = template.latest_version
assert template.status == "draft" and version.number == 1 and version.created_by == admin
edit_url = reverse("ecm_ops_prompt_templates:edit", args=[template.pk])
# Not offered to editors yet, and no manual activation any more.
assert "Activate" not in staff.get(edit_url).content.decode()
# A run without cases is refused (4.2 comes first).
evaluate_url = reverse("ecm_ops:evaluate", args=[template.pk])
response = staff.post(evaluate_url, {"version": version.pk, "model": ""})
assert response.status_code == 409, response.status_code
# 4.2: "Import suite (YAML)" with the README's suite, pasted.
response = staff.post(reverse("ecm_ops:suite_import", args=[template.pk]), {"text": suite_yaml})
assert response.status_code == 302, response.content[:3000]
assert template.evaluation_cases.filter(active=True).count() >= 1
# 4.3: "Run evaluation" (version 1, the version's model); a background job like a draft.
response = staff.post(evaluate_url, {"version": version.pk, "model": ""})
assert response.status_code == 302, response.content[:3000]
run_jobs()
run = EvaluationRun.objects.get(version=version)
assert run.status == "succeeded" and run.passed, (run.status, run.error, run.summary)
template.refresh_from_db()
assert template.status == "evaluating", template.status
print("evaluation:", run.summary.get("passed"), "/", run.summary.get("total"), "passed")
# 4.4: "Promote v1". Four eyes: the author is refused, a second admin promotes.
promote_url = reverse("ecm_ops:promote_template", args=[template.pk, version.pk])
response = staff.post(promote_url, {"model": ""})
assert response.status_code == 403, response.status_code
assert "four eyes" in response.content.decode(), response.content[:3000]
template.refresh_from_db()
assert template.status == "evaluating" and template.promoted_version is None
second = Client()
second.force_login(admin2)
assert "Promote v1" in second.get(edit_url).content.decode()
response = second.post(promote_url, {"model": ""})
assert response.status_code == 302, response.content[:3000]
template.refresh_from_db()
assert template.status == "active", template.status
assert template.promoted_version == version
promotion = TemplatePromotion.objects.get(template=template)
assert promotion.run == run and not promotion.override and promotion.promoted_by == admin2

# The editor drafts with AI (inline jobs: the job runs when the request commits).
client = Client()
client.force_login(editor)
response = client.post(
    reverse("ecm_ops:generate", args=[home.pk]),
    {"template": "home-intro", "topic": "welcome to our site", "key_points": "Who we are"},
)
assert response.status_code == 302, response.content[:3000]
run_jobs()
draft = DraftRequest.objects.get(page=home)
assert draft.status == "succeeded", (draft.status, draft.error)
home.refresh_from_db()
latest = home.get_latest_revision_as_object()
print("drafted:", latest.title, "|", latest.search_description[:60])

# The editor submits for moderation with Wagtail's own button.
data = nested_form_data(
    {
        "title": latest.title,
        "slug": latest.slug,
        "seo_title": latest.seo_title,
        "search_description": latest.search_description,
        "comments": {
            "TOTAL_FORMS": 0,
            "INITIAL_FORMS": 0,
            "MIN_NUM_FORMS": 0,
            "MAX_NUM_FORMS": 1000,
        },
    }
)
data["action-submit"] = "submit"
response = client.post(reverse("wagtailadmin_pages:edit", args=[home.pk]), data)
assert response.status_code == 302, response.content[:3000]
run_jobs()
case = ReviewCase.objects.get(page=home)
assert case.state == "awaiting_review", case.state

# The reviewer approves; Wagtail publishes.
client.force_login(reviewer)
url = reverse("wagtailadmin_pages:workflow_action", args=[home.pk, "approve", case.task_state.pk])
response = client.post(url, {"comment": ""})
assert response.status_code == 302, response.content[:3000]
case.refresh_from_db()
home.refresh_from_db()
assert case.state == "approved", case.state
assert home.live and home.live_revision_id == home.latest_revision_id
assert home.title == latest.title
print("FRESH-SITE OK", home.title)
