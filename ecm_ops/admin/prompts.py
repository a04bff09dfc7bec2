"""The prompt library for site admins: style guides, prompt templates and their versions.

Editing a template shows the current version's instructions, variables, output schema, model and
token limit beside the template's own fields; saving creates version N+1 (immutable, with
``created_by``) when any of those changed. Status changes (draft -> evaluating -> active -> retired)
are buttons in the edit view's header that lead to a confirmation; they go through
:mod:`ecm_ops.services.prompts`. Only site admins (the ``change_prompttemplate`` permission)
reach any of it.
"""

from __future__ import annotations

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.models import get_page_models

from ..drafting.schema import SchemaError, validate_output_fields, validate_variables
from ..models import PromptTemplate, PromptTemplateVersion, StyleGuide
from ..services import ServiceError
from ..services import prompts as service
from .evaluation import evaluation_cases
from .forms import StyleGuideForm

JSON_HELP_VARIABLES = _(
    'A list of typed variables the editor fills in, e.g. [{"name": "tone", "type": "choice", '
    '"choices": ["neutral", "warm"], "required": true}]. Types: text, choice, page, list.'
)
JSON_HELP_OUTPUT = _(
    'Output field -> page field, e.g. {"title": "title", "intro": "intro", "body": "body"}, or '
    'one mapping per page type: {"content.newsarticle": {...}, "*": {...}}.'
)


def page_content_types():
    return ContentType.objects.filter(
        pk__in=[ContentType.objects.get_for_model(m).pk for m in get_page_models()]
    ).order_by("model")


def _page_type_label(content_type) -> str:
    model = content_type.model_class()
    return str(model._meta.verbose_name).capitalize() if model else content_type.model


class PromptTemplateForm(WagtailAdminModelForm):
    """Template fields plus the versioned content (shown from the current version)."""

    instructions = forms.CharField(
        label=_("Instructions"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The system instructions. The brief is always sent as data, separately."),
    )
    variables = forms.JSONField(
        label=_("Variables"),
        required=False,
        initial=list,
        help_text=JSON_HELP_VARIABLES,
        widget=forms.Textarea(attrs={"rows": 5, "class": "ecm-code"}),
    )
    output_fields = forms.JSONField(
        label=_("Output schema"),
        help_text=JSON_HELP_OUTPUT,
        widget=forms.Textarea(attrs={"rows": 6, "class": "ecm-code"}),
    )
    model_name = forms.CharField(
        label=_("Model"),
        required=False,
        max_length=100,
        help_text=_("Leave empty for the provider's configured default model."),
    )
    max_tokens = forms.IntegerField(
        label=_("Max output tokens"), min_value=64, max_value=64_000, initial=2048
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page_types"].queryset = page_content_types()
        self.fields["page_types"].label_from_instance = _page_type_label
        self.fields["page_types"].widget = forms.CheckboxSelectMultiple()
        self.fields["page_types"].widget.choices = self.fields["page_types"].choices
        version = self.instance.latest_version if self.instance.pk else None
        if version is not None:
            for name in service.VERSIONED_FIELDS:
                self.initial[name] = getattr(version, name)

    def clean_variables(self):
        try:
            return validate_variables(self.cleaned_data.get("variables"))
        except SchemaError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if "output_fields" in data and "page_types" in data:
            models = [ct.model_class() for ct in data["page_types"] if ct.model_class()]
            try:
                data["output_fields"] = validate_output_fields(data["output_fields"], models)
            except SchemaError as exc:
                self.add_error("output_fields", str(exc))
        return data

    def versioned(self) -> dict:
        data = self.cleaned_data
        return {
            "instructions": data["instructions"].strip(),
            "variables": data.get("variables") or [],
            "output_fields": data["output_fields"],
            "model_name": (data.get("model_name") or "").strip(),
            "max_tokens": data["max_tokens"],
        }


class VersionsPanel(Panel):
    """Read-only status and version history on the template edit view."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "ecm_ops/prompts/versions_panel.html"

        def is_shown(self):
            return self.instance is not None and self.instance.pk is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            from ..models import EvaluationRun

            context["template"] = self.instance
            context["versions"] = self.instance.versions.select_related("created_by")
            context["candidate"] = self.instance.candidate_version
            context["runs"] = EvaluationRun.objects.filter(
                version__template=self.instance
            ).select_related("version")[:5]
            context["cases"] = self.instance.evaluation_cases.filter(active=True).count()
            context["cases_url"] = (
                reverse(evaluation_cases.get_url_name("index")) + f"?template={self.instance.pk}"
            )
            context["version_url_name"] = prompt_templates.get_url_name("version")
            return context


class SaveTemplateMixin:
    def save_instance(self):
        instance = self.form.save(commit=False)
        template, version = service.save_template(
            instance, self.form.versioned(), self.request.user, m2m=self.form.save_m2m
        )
        self.new_version = version
        return template

    def get_success_message(self, instance=None):
        version = getattr(self, "new_version", None)
        if version is None:
            return _("Prompt template “%(name)s” saved (no change to the prompt).") % {
                "name": instance
            }
        return _("Prompt template “%(name)s” saved as version %(n)s.") % {
            "name": instance,
            "n": version.number,
        }


class PromptTemplateCreateView(SaveTemplateMixin, generic.CreateView):
    pass


class PromptTemplateEditView(SaveTemplateMixin, generic.EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        pk = self.object.pk
        candidate = self.object.candidate_version
        if candidate is not None:
            buttons.append(
                Button(
                    _("Promote v%(n)s") % {"n": candidate.number},
                    url=reverse("ecm_ops:promote_template", args=[pk, candidate.pk]),
                    icon_name="upload",
                    priority=0,
                )
            )
        for label, name, icon in (
            (_("Run evaluation"), "ecm_ops:evaluate", "tick-inverse"),
            (_("Import suite (YAML)"), "ecm_ops:suite_import", "upload"),
            (_("Export suite (YAML)"), "ecm_ops:suite_export", "download"),
        ):
            buttons.append(Button(label, url=reverse(name, args=[pk]), icon_name=icon, priority=1))
        for name, label in service.available_transitions(self.object):
            buttons.append(
                Button(
                    label,
                    url=reverse(
                        prompt_templates.get_url_name("transition"), args=[self.object.pk, name]
                    ),
                    icon_name="arrow-right",
                    priority=1,
                )
            )
        return buttons


def transition_view(request, pk: int, name: str):
    """GET: confirm a status change; POST: make it (through the service)."""
    if not service.can_manage(request.user):
        raise DjangoPermissionDenied
    template = get_object_or_404(PromptTemplate, pk=pk)
    if name not in service.TRANSITIONS:
        raise DjangoPermissionDenied
    edit_url = reverse(prompt_templates.get_url_name("edit"), args=[pk])
    if request.method == "POST":
        try:
            service.transition(pk, name, request.user)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("“%(name)s” is now %(status)s.")
                % {
                    "name": template,
                    "status": PromptTemplate.objects.get(pk=pk).get_status_display().lower(),
                },
            )
        return redirect(edit_url)
    return TemplateResponse(
        request,
        "ecm_ops/prompts/transition_confirm.html",
        {
            "template": template,
            "label": service.TRANSITIONS[name][0],
            "edit_url": edit_url,
            "possible": name in dict(service.available_transitions(template)),
        },
    )


def version_view(request, pk: int):
    """A version, read-only: versions are immutable, a new one comes from editing the template."""
    if not service.can_manage(request.user):
        raise DjangoPermissionDenied
    version = get_object_or_404(
        PromptTemplateVersion.objects.select_related("template", "created_by"), pk=pk
    )
    return TemplateResponse(
        request,
        "ecm_ops/prompts/version.html",
        {
            "version": version,
            "version_label": str(version),
            "edit_url": reverse(prompt_templates.get_url_name("edit"), args=[version.template_id]),
        },
    )


class StyleGuideViewSet(ModelViewSet):
    model = StyleGuide
    icon = "doc-full"
    menu_label = _("Style guides")
    list_display = ["name"]
    add_to_admin_menu = False

    def get_form_class(self, for_update=False):
        return StyleGuideForm


class PromptTemplateViewSet(ModelViewSet):
    model = PromptTemplate
    icon = "code"
    menu_label = _("Prompt templates")
    list_display = ["name", "slug", "status", "risk_level"]
    list_filter = ["status"]
    add_to_admin_menu = False
    add_view_class = PromptTemplateCreateView
    edit_view_class = PromptTemplateEditView
    edit_handler = ObjectList(
        [
            VersionsPanel(heading=_("Status and versions")),
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldPanel("slug"),
                    FieldPanel("use_case"),
                    FieldPanel("page_types"),
                    FieldPanel("risk_level"),
                    FieldPanel("style_guide"),
                ],
                heading=_("Template"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("instructions"),
                    FieldPanel("variables"),
                    FieldPanel("output_fields"),
                    FieldPanel("model_name"),
                    FieldPanel("max_tokens"),
                ],
                heading=_("Prompt (saving a change creates a new version)"),
            ),
        ],
        base_form_class=PromptTemplateForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("status/<int:pk>/<str:name>/", transition_view, name="transition"),
            path("version/<int:pk>/", version_view, name="version"),
        ]


style_guides = StyleGuideViewSet("ecm_ops_style_guides")
prompt_templates = PromptTemplateViewSet("ecm_ops_prompt_templates")
