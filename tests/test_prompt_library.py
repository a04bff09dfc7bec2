"""The prompt library: template status FSM through the service, immutable versions created by
editing in the admin, schema validation, the style guide form, and who may reach any of it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail.models import ModelLogEntry

from ecm_ops.admin.forms import StyleGuideForm
from ecm_ops.admin.prompts import prompt_templates, style_guides
from ecm_ops.drafting.service import usable_templates
from ecm_ops.models import PromptTemplate, PromptTemplateVersion, StyleGuide
from ecm_ops.services import PermissionDenied, ServiceError, promotion
from ecm_ops.services import prompts as service
from sandbox_site.content.models import NewsArticle

pytestmark = pytest.mark.django_db

EXPECTED_GRAPH = {
    ("draft", "evaluating"),
    ("evaluating", "active"),
    ("draft", "active"),  # promotion only (services.promotion), e.g. by an audited override
    ("evaluating", "draft"),
    ("draft", "retired"),
    ("evaluating", "retired"),
    ("active", "retired"),
    ("retired", "draft"),
}


def test_status_graph_is_pinned():
    field = PromptTemplate._meta.get_field("status")
    pairs = {
        (source, t.target)
        for t in field.get_all_transitions(PromptTemplate)
        for source in [t.source]
    }
    assert pairs == EXPECTED_GRAPH


def _template(admin, slug="faq", **overrides):
    template = PromptTemplate(slug=slug, name=slug.upper(), use_case="Answer questions.")
    data = {
        "instructions": "Write an FAQ.",
        "variables": [],
        "output_fields": {"title": "title", "body": "body"},
        "model_name": "",
        "max_tokens": 1024,
        **overrides,
    }
    template, version = service.save_template(template, data, admin)
    template.page_types.add(ContentType.objects.get_for_model(NewsArticle))
    return template


@pytest.mark.parametrize(
    ("status", "available"),
    [
        ("draft", {"start_evaluation", "retire"}),
        ("evaluating", {"return_to_draft", "retire"}),  # active only through promotion
        ("active", {"retire"}),
        ("retired", {"reopen"}),
    ],
)
def test_available_transitions_per_status(demo, status, available):
    template = _template(demo["users"]["admin"])
    template.status = status
    assert {name for name, _label in service.available_transitions(template)} == available


def test_life_cycle_through_the_service_with_audit_entries(demo):
    admin = demo["users"]["admin"]
    template = _template(admin)
    assert template.status == "draft" and template not in usable_templates(NewsArticle)
    template = service.transition(template.pk, "start_evaluation", admin)
    assert template.status == "evaluating"
    second = get_user_model().objects.create_superuser("admin2", "a2@example.com", "x")
    promotion.promote(
        template.latest_version.pk, second, override=True, reason="Life cycle test, no suite."
    )
    template.refresh_from_db()
    assert template.status == "active"
    assert template in usable_templates(NewsArticle)  # only now offered to editors
    service.transition(template.pk, "retire", admin)
    assert template not in usable_templates(NewsArticle)
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(template.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "ecm_ops.template.created",
        "ecm_ops.template.evaluating",
        "ecm_ops.template.promotion_overridden",
        "ecm_ops.template.retired",
    ]


def test_transitions_are_refused_for_editors_and_from_the_wrong_status(demo):
    template = _template(demo["users"]["admin"])
    with pytest.raises(PermissionDenied):
        service.transition(template.pk, "start_evaluation", demo["users"]["editor"])
    with pytest.raises(ServiceError, match="not possible now") as exc:
        service.transition(template.pk, "return_to_draft", demo["users"]["admin"])
    assert exc.value.status == 409
    # There is no manual "activate": a template becomes active only by promotion.
    with pytest.raises(ServiceError, match="Unknown status change") as exc:
        service.transition(template.pk, "activate", demo["users"]["admin"])
    assert exc.value.status == 404
    template.refresh_from_db()
    assert template.status == "draft"


def test_a_template_without_a_version_cannot_be_evaluated(demo):
    template = PromptTemplate.objects.create(slug="empty", name="Empty", use_case="x")
    with pytest.raises(ServiceError, match="Save a version first"):
        service.transition(template.pk, "start_evaluation", demo["users"]["admin"])


def test_versions_are_immutable(demo):
    version = _template(demo["users"]["admin"]).latest_version
    version.instructions = "changed"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def _edit_data(template, **overrides):
    version = template.latest_version
    data = {
        "name": template.name,
        "slug": template.slug,
        "use_case": template.use_case,
        "page_types": [ct.pk for ct in template.page_types.all()],
        "risk_level": template.risk_level,
        "style_guide": template.style_guide_id or "",
        "instructions": version.instructions,
        "variables": '[{"name": "tone", "type": "choice", "choices": ["neutral", "warm"]}]',
        "output_fields": '{"title": "title", "intro": "intro", "body": "body"}',
        "model_name": version.model_name,
        "max_tokens": version.max_tokens,
    }
    data.update(overrides)
    return data


def test_editing_in_the_admin_creates_version_n_plus_1(demo, client):
    admin = demo["users"]["admin"]
    template = PromptTemplate.objects.get(slug="news-explainer")
    url = reverse(prompt_templates.get_url_name("edit"), args=[template.pk])
    client.force_login(admin)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Write a short, neutral news explainer." in html  # the current version's fields
    assert "Status and versions" in html and "v1" in html
    response = client.post(url, _edit_data(template, instructions="Write a calm explainer."))
    assert response.status_code == 302, response.context["form"].errors
    v2 = template.versions.get(number=2)
    assert v2.instructions == "Write a calm explainer." and v2.created_by == admin
    assert v2.variables[0]["type"] == "choice" and v2.output_fields["intro"] == "intro"
    assert template.versions.get(number=1).instructions == "Write a short, neutral news explainer."
    # Saving without a change to the prompt creates no version.
    response = client.post(url, _edit_data(template, instructions="Write a calm explainer."))
    assert response.status_code == 302 and template.versions.count() == 2
    # The version is shown read-only.
    version_url = reverse(prompt_templates.get_url_name("version"), args=[v2.pk])
    assert "Write a calm explainer." in client.get(version_url).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "output_fields",
            '{"title": "title", "summary": "summary"}',
            "output field “summary” is mapped to “summary”, but the page type",
        ),
        ("output_fields", '{"title": "slug"}', "which the model may not write"),
        ("output_fields", '{"content.nosuchpage": {"title": "title"}}', "is not a page type"),
        ("variables", '[{"name": "tone", "type": "colour"}]', "unknown type “colour”"),
        ("variables", '[{"name": "tone", "type": "choice"}]', "give “choices” as a non-empty"),
        ("variables", '{"name": "tone"}', "Variables must be a list"),
        ("output_fields", "{not json", "Enter a valid JSON"),
    ],
)
def test_invalid_definitions_are_refused_clearly(demo, client, field, value, message):
    template = PromptTemplate.objects.get(slug="news-explainer")
    client.force_login(demo["users"]["admin"])
    url = reverse(prompt_templates.get_url_name("edit"), args=[template.pk])
    response = client.post(url, _edit_data(template, **{field: value}))
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert template.versions.count() == 1


def test_per_page_type_output_schema(demo):
    version = PromptTemplateVersion(
        output_fields={
            "content.newsarticle": {"title": "title", "body": "body"},
            "*": {"title": "title"},
        }
    )
    from sandbox_site.content.models import AdviceArticle

    assert version.mapping_for(NewsArticle) == {"title": "title", "body": "body"}
    assert version.mapping_for(AdviceArticle) == {"title": "title"}


def test_status_change_from_the_admin_confirms_then_goes_through_the_service(demo, client):
    admin = demo["users"]["admin"]
    template = _template(admin)
    client.force_login(admin)
    edit = client.get(reverse(prompt_templates.get_url_name("edit"), args=[template.pk]))
    url = reverse(
        prompt_templates.get_url_name("transition"), args=[template.pk, "start_evaluation"]
    )
    assert url in edit.content.decode()
    assert "Start evaluation" in client.get(url).content.decode()
    template.refresh_from_db()
    assert template.status == "draft"  # GET only asks
    assert client.post(url).status_code == 302
    template.refresh_from_db()
    assert template.status == "evaluating"


def test_non_admins_cannot_reach_the_prompt_library(demo, client):
    client.force_login(demo["users"]["editor"])
    template = PromptTemplate.objects.get(slug="news-explainer")
    urls = [
        reverse(prompt_templates.get_url_name("index")),
        reverse(prompt_templates.get_url_name("edit"), args=[template.pk]),
        reverse(prompt_templates.get_url_name("transition"), args=[template.pk, "retire"]),
        reverse(prompt_templates.get_url_name("version"), args=[template.latest_version.pk]),
        reverse(style_guides.get_url_name("index")),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403) and "/admin/login" not in response.get(
            "Location", ""
        ), url
    response = client.post(urls[2])
    template.refresh_from_db()
    assert template.status == "active"


def test_style_guide_terminology_is_edited_as_lines_not_json(demo, client):
    form = StyleGuideForm(
        data={
            "name": "Web style",
            "voice": "Friendly.",
            "terminology": "email | e-mail, E-Mail\n\nsign in | log in\nwebsite",
        },
    )
    assert form.is_valid(), form.errors
    guide = form.save()
    assert guide.terminology == [
        {"preferred": "email", "deprecated": ["e-mail", "E-Mail"]},
        {"preferred": "sign in", "deprecated": ["log in"]},
        {"preferred": "website", "deprecated": []},
    ]
    assert "email | e-mail, E-Mail" in StyleGuideForm(instance=guide)["terminology"].value() or (
        "email | e-mail, E-Mail"
        in StyleGuideForm(instance=guide).fields["terminology"].prepare_value(guide.terminology)
    )
    bad = StyleGuideForm(data={"name": "x", "voice": "y", "terminology": "| e-mail"})
    assert not bad.is_valid() and "Line 1" in str(bad.errors["terminology"])
    client.force_login(demo["users"]["admin"])
    url = reverse(style_guides.get_url_name("edit"), args=[guide.pk])
    assert "email | e-mail, E-Mail" in client.get(url).content.decode()
    assert (
        StyleGuide.objects.get(pk=guide.pk).system_block_text().startswith("Style guide: Web style")
    )
