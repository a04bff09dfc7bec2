"""Evaluation in the admin: the cases of a suite, YAML import/export, runs, and promotion.

* Evaluation cases: a ``ModelViewSet`` (listing filtered by template, an edit form whose brief
  and assertions are validated with the same code as the YAML import).
* Runs: a generic listing (``EcmIndexView``) and a run page with the per-case table and the
  side-by-side comparison with the promoted version's last run.
* Run evaluation / Promote / Import / Export: small views behind the template edit view's
  header buttons, calling :mod:`ecm_ops.services.evaluation` and
  :mod:`ecm_ops.services.promotion`.

Only site admins (``change_prompttemplate``) reach any of it; promoting also needs
``ecm_ops.promote_template``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet

from ..drafting.brief import BriefError, clean_brief
from ..evaluation import assertions as assertion_types
from ..evaluation import suite
from ..models import (
    EvaluationCase,
    EvaluationRun,
    PromptTemplate,
    PromptTemplateVersion,
    TemplatePromotion,
)
from ..services import PermissionDenied, ServiceError, audit
from ..services import evaluation as evaluation_service
from ..services import promotion as promotion_service
from ..services.prompts import can_manage
from .listing import EcmIndexView, ListingFilterSet, person
from .refusals import refusal

ASSERTIONS_HELP = _(
    'A list of checks on the output, e.g. [{"type": "no_blocker"}, {"type": "contains", '
    '"value": "timetable"}, {"type": "word_count", "min": 80, "max": 600}]. Types: '
) + ", ".join(assertion_types.TYPES)


def _template_edit_url(template_pk: int) -> str:
    return reverse("ecm_ops_prompt_templates:edit", args=[template_pk])


def _require_manager(request):
    if not can_manage(request.user):
        raise PermissionDenied("Only site administrators can evaluate prompt templates.")


# -- cases ---------------------------------------------------------------------------------


class EvaluationCaseForm(WagtailAdminModelForm):
    brief = forms.JSONField(
        label=_("Brief"),
        help_text=_('As an editor fills it in: {"topic": "…", "audience": "…", "key_points": []}'),
        widget=forms.Textarea(attrs={"rows": 6, "class": "ecm-code"}),
    )
    assertions = forms.JSONField(
        label=_("Assertions"),
        required=False,
        help_text=ASSERTIONS_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "class": "ecm-code"}),
    )

    def clean_assertions(self):
        try:
            return assertion_types.clean(self.cleaned_data.get("assertions"))
        except assertion_types.AssertionSpecError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if "brief" in data and template is not None:
            version = template.latest_version
            try:
                data["brief"] = clean_brief(
                    data["brief"], (version.variables or None) if version else None
                )
            except BriefError as exc:
                self.add_error("brief", str(exc))
        return data


class EvaluationCaseViewSet(ModelViewSet):
    model = EvaluationCase
    icon = "tick-inverse"
    menu_label = _("Evaluation cases")
    list_display = ["name", "template", "required", "active", "source"]
    list_filter = ["template", "required", "active", "source"]
    search_fields = ["name"]
    add_to_admin_menu = False
    edit_handler = ObjectList(
        [
            FieldPanel("template"),
            FieldPanel("name"),
            FieldPanel("brief"),
            FieldPanel("assertions"),
            FieldPanel("required"),
            FieldPanel("active"),
            FieldPanel("source_note", read_only=True),
            FieldPanel("reference_output", read_only=True),
        ],
        base_form_class=EvaluationCaseForm,
    )


evaluation_cases = EvaluationCaseViewSet("ecm_ops_evaluation_cases")


# -- runs ----------------------------------------------------------------------------------


def _template_choices():
    return [(t.pk, t.name) for t in PromptTemplate.objects.order_by("name")]


class RunFilterSet(ListingFilterSet):
    template = django_filters.ChoiceFilter(
        label=_("Template"),
        choices=_template_choices,
        field_name="version__template",
        empty_label=_("All"),
    )
    passed = django_filters.BooleanFilter(label=_("Passed"))

    class Meta:
        model = EvaluationRun
        fields = []


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


class RunIndexView(EcmIndexView):
    model = EvaluationRun
    page_title = _("Evaluation runs")
    header_icon = "tick-inverse"
    index_url_name = "ecm_ops:evaluation_runs"
    index_results_url_name = "ecm_ops:evaluation_runs_results"
    filterset_class = RunFilterSet
    search_fields = ["version__template__name", "model_name"]
    default_ordering = "-created_at"
    export_filename = "ecm_ops-evaluation-runs"
    list_export = ["pk", "version", "model_name", "status", "passed", "created_at", "cost"]

    def check_access(self, user) -> None:
        if not can_manage(user):
            raise PermissionDenied("Only site administrators can see evaluation runs.")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "version",
                label=_("Template version"),
                accessor=lambda r: str(r.version),
                get_url=lambda r: reverse("ecm_ops:evaluation_run", args=[r.pk]),
            ),
            Column("model_name", label=_("Model"), sort_key="model_name"),
            Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
            Column("result", label=_("Result"), accessor=_result_label),
            Column(
                "pass_rate",
                label=_("Pass rate"),
                accessor=lambda r: _pct(r.summary.get("pass_rate") if r.summary else None),
            ),
            Column(
                "score",
                label=_("Mean score"),
                accessor=lambda r: (r.summary or {}).get("mean_score", "—"),
            ),
            Column("cost", label=_("Cost (USD)"), accessor="cost", sort_key="cost"),
            Column("requested_by", label=_("By"), accessor=lambda r: person(r.requested_by)),
            DateColumn("created_at", label=_("Started"), sort_key="created_at"),
        ]

    def get_base_queryset(self):
        return EvaluationRun.objects.select_related("version__template", "requested_by")


def _result_label(run) -> str:
    if run.passed is None:
        return str(_("Not finished"))
    return str(_("Passed") if run.passed else _("Failed"))


run_list = RunIndexView.as_view()
run_list_results = RunIndexView.as_view(results_only=True)


def run_detail(request, pk: int):
    if not can_manage(request.user):
        return refusal(request, PermissionDenied("Only site administrators can see runs."))
    run = get_object_or_404(
        EvaluationRun.objects.select_related("version__template", "requested_by"), pk=pk
    )
    baseline = evaluation_service.baseline_for(run)
    results = list(run.results.select_related("case"))
    return TemplateResponse(
        request,
        "ecm_ops/evaluation/run.html",
        {
            "run": run,
            "results": results,
            "baseline": baseline,
            "comparison": evaluation_service.comparable(run, baseline),
            "result_label": _result_label(run),
            "template_url": _template_edit_url(run.version.template_id),
        },
    )


# -- actions from the template edit view --------------------------------------------------


class RunForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=PromptTemplateVersion.objects.none(), label=_("Version")
    )
    model = forms.CharField(
        label=_("Model"),
        required=False,
        max_length=100,
        help_text=_("Leave empty for the version's model (or the provider's default)."),
    )

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = template.versions.all()
        self.fields["version"].label_from_instance = lambda v: f"v{v.number}"


def run_evaluation(request, pk: int):
    """GET: choose version and model; POST: queue the run."""
    template = get_object_or_404(PromptTemplate, pk=pk)
    try:
        _require_manager(request)
    except ServiceError as exc:
        return refusal(request, exc)
    candidate = template.candidate_version or template.latest_version
    form = RunForm(
        request.POST if request.method == "POST" else None,
        template=template,
        initial={"version": candidate},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run = evaluation_service.request_run(
                form.cleaned_data["version"].pk, request.user, model=form.cleaned_data["model"]
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            messages.success(request, _("Evaluation run started."))
            return redirect("ecm_ops:evaluation_run", run.pk)
    elif request.method == "POST":
        status = 400
    return TemplateResponse(
        request,
        "ecm_ops/evaluation/form.html",
        {
            "template": template,
            "form": form,
            "title": _("Run evaluation"),
            "submit": _("Run evaluation"),
            "edit_url": _template_edit_url(pk),
        },
        status=status,
    )


class PromoteForm(forms.Form):
    model = forms.CharField(
        label=_("Model"),
        required=False,
        max_length=100,
        help_text=_("The model the evaluation ran with (empty: the version's)."),
    )
    override = forms.BooleanField(
        label=_("Override the evaluation gate"),
        required=False,
        help_text=_(
            "Promote although the evaluation does not allow it. Audited and shown on the dashboard."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("override") and len((data.get("reason") or "").strip()) < 10:
            self.add_error("reason", _("An override needs a reason (at least a sentence)."))
        return data


def promote(request, pk: int, version_pk: int):
    """GET: the gate's verdict and a confirmation; POST: promote (through the service)."""
    version = get_object_or_404(
        PromptTemplateVersion.objects.select_related("template"), pk=version_pk, template_id=pk
    )
    if not promotion_service.can_promote(request.user):
        return refusal(
            request, PermissionDenied("You need the “promote prompt template” permission.")
        )
    form = PromoteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            promotion_service.promote(
                version.pk,
                request.user,
                model=form.cleaned_data["model"],
                override=form.cleaned_data["override"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            messages.success(
                request, _("Version %(n)s is now what editors draft with.") % {"n": version.number}
            )
            return redirect(_template_edit_url(pk))
    elif request.method == "POST":
        status = 400
    model = form.data.get("model", "") if form.is_bound else ""
    return TemplateResponse(
        request,
        "ecm_ops/evaluation/promote.html",
        {
            "template": version.template,
            "version": version,
            "form": form,
            "gate": promotion_service.gate(version, model),
            "edit_url": _template_edit_url(pk),
        },
        status=status,
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("YAML file"), required=False)
    text = forms.CharField(
        label=_("…or paste YAML"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "ecm-code"}),
    )

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            limit = suite.conf.get("EVALUATION")["YAML_MAX_BYTES"]
            raw = upload.read(limit + 1)
        else:
            raw = (data.get("text") or "").encode()
        if not raw.strip():
            raise forms.ValidationError(_("Choose a YAML file or paste the suite."))
        try:
            data["cases"] = suite.parse(raw, self.template)
        except suite.SuiteError as exc:
            raise forms.ValidationError(str(exc)) from exc
        data["raw"] = raw
        return data


def import_suite(request, pk: int):
    template = get_object_or_404(PromptTemplate, pk=pk)
    try:
        _require_manager(request)
    except ServiceError as exc:
        return refusal(request, exc)
    form = ImportForm(request.POST or None, request.FILES or None, template=template)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created, updated = suite.import_yaml(form.cleaned_data["raw"], template, request.user)
            audit.record(
                template,
                "ecm_ops.template.suite_imported",
                request.user,
                template=template.slug,
                created=created,
                updated=updated,
            )
            messages.success(
                request,
                _("Suite imported: %(c)s new case(s), %(u)s updated.")
                % {"c": created, "u": updated},
            )
            return redirect(_template_edit_url(pk))
        status = 400
    return TemplateResponse(
        request,
        "ecm_ops/evaluation/form.html",
        {
            "template": template,
            "form": form,
            "title": _("Import evaluation suite"),
            "submit": _("Import"),
            "edit_url": _template_edit_url(pk),
            "multipart": True,
        },
        status=status,
    )


def export_suite(request, pk: int):
    template = get_object_or_404(PromptTemplate, pk=pk)
    try:
        _require_manager(request)
    except ServiceError as exc:
        return refusal(request, exc)
    response = HttpResponse(
        suite.export_yaml(template), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{template.slug}-suite.yaml"'
    return response


@require_POST
def case_from_production(request, kind: str, pk: int):
    """One click: a rejected review, a request-changes comment or an incident -> a case."""
    try:
        case = evaluation_service.regression_case_from(kind, pk, request.user)
    except ServiceError as exc:
        return refusal(request, exc)
    messages.success(
        request,
        _("Regression case “%(name)s” added; refine its assertions here.") % {"name": case.name},
    )
    return redirect(reverse(evaluation_cases.get_url_name("edit"), args=[case.pk]))


# -- dashboard -------------------------------------------------------------------------------


class PromotionOverridesPanel(Component):
    """Site admins see recent promotions that overrode the evaluation gate, with reasons."""

    name = "ecm_ops_promotion_overrides"
    order = 95
    template_name = "ecm_ops/evaluation/overrides_panel.html"
    days = 90

    def render_html(self, parent_context=None):
        from datetime import timedelta

        from django.template.loader import render_to_string
        from django.utils import timezone

        request = (parent_context or {}).get("request")
        if request is None or not can_manage(request.user):
            return ""
        since = timezone.now() - timedelta(days=self.days)
        overrides = list(
            TemplatePromotion.objects.filter(override=True, created_at__gte=since).select_related(
                "template", "version", "promoted_by"
            )[:10]
        )
        if not overrides:
            return ""
        for item in overrides:
            item.who = person(item.promoted_by)
            item.edit_url = _template_edit_url(item.template_id)
        return render_to_string(
            self.template_name, {"overrides": overrides, "days": self.days}, request=request
        )
