"""Incidents in the admin: a Wagtail generic listing (filters by state, severity and section,
search, sort, CSV/XLSX export; with monitoring's open operations alerts for site
admins above it), a detail page with Acknowledge / Resolve actions, and a
page's monitoring history (scheduled checks, monitoring runs, sweeps and incidents).

Anyone with admin access may look (editors need to know a page was unpublished); only the
services decide who may act, and a refusal is shown with its status code (403 or 409).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.models import Page

from ..models import Incident, MonitoringCheck, RiskPolicy, ScreeningRun
from ..monitoring.alerts import open_alerts
from ..services import ServiceError
from ..services import incidents as incident_service
from ..states import IncidentState, ScreeningTrigger, Severity
from .listing import EcmIndexView, ListingFilterSet, TemplateColumn, person

ALERTS_SHOWN = 50


def _section_choices():
    return [
        (p.section_id, p.section.title)
        for p in RiskPolicy.objects.select_related("section").order_by("section__title", "pk")
    ]


class IncidentFilterSet(ListingFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=IncidentState.choices, empty_label=_("All")
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("All")
    )
    section = django_filters.ChoiceFilter(
        label=_("Section"), choices=_section_choices, method="filter_section", empty_label=_("All")
    )

    class Meta:
        model = Incident
        fields = []


class IncidentIndexView(EcmIndexView):
    """Every incident (editors need to know a page was unpublished); acting is the services'."""

    model = Incident
    page_title = _("Incidents")
    header_icon = "warning"
    template_name = "ecm_ops/incidents/index.html"
    index_url_name = "ecm_ops:incidents"
    index_results_url_name = "ecm_ops:incidents_results"
    filterset_class = IncidentFilterSet
    search_fields = ["page__title", "summary"]
    default_ordering = "-opened_at"
    export_filename = "ecm_ops-incidents"
    list_export = [
        "pk",
        "page.title",
        "get_severity_display",
        "get_state_display",
        "summary",
        "opened_at",
        "closed_at",
        "handled_by",
        "note",
    ]
    export_headings = {
        "pk": _("Incident"),
        "page.title": _("Page"),
        "get_severity_display": _("Severity"),
        "get_state_display": _("State"),
        "summary": _("Summary"),
        "opened_at": _("Opened"),
        "closed_at": _("Closed"),
        "handled_by": _("Handled by"),
        "note": _("Note"),
    }

    @property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No incident matches these filters.")
        return _("No incidents: monitoring has found no problem on a published page.")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "summary",
                label=_("Summary"),
                accessor="summary",
                get_url=lambda i: reverse("ecm_ops:incident_detail", args=[i.pk]),
            ),
            Column("page", label=_("Page"), accessor="page.title", sort_key="page__title"),
            TemplateColumn(
                "severity",
                label=_("Severity"),
                sort_key="severity",
                template="ecm_ops/listings/severity_cell.html",
            ),
            Column("state", label=_("State"), accessor="get_state_display", sort_key="state"),
            DateColumn("opened_at", label=_("Opened"), sort_key="opened_at"),
            Column("handled_by", label=_("Handled by"), accessor=lambda i: person(i.handled_by)),
        ]

    def get_base_queryset(self):
        return Incident.objects.select_related("page", "handled_by")

    def order_queryset(self, queryset):
        return super().order_queryset(queryset).order_by(self.ordering, "-pk")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        # Operations alerts (monitoring could not run) are for site admins, not content editors.
        user = self.request.user
        context["alerts"] = list(open_alerts()[:ALERTS_SHOWN]) if user.is_superuser else []
        return context


incident_list = IncidentIndexView.as_view()
incident_results = IncidentIndexView.as_view(results_only=True)


class IncidentActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("acknowledge", "acknowledge"), ("resolve", "resolve")])
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


def incident_detail(request, pk: int):
    incident = get_object_or_404(
        Incident.objects.select_related("page", "handled_by", "screening_run"), pk=pk
    )
    form = IncidentActionForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["action"] == "acknowledge":
                    incident_service.acknowledge(pk, request.user)
                else:
                    incident_service.resolve(pk, request.user, form.cleaned_data["note"])
            except ServiceError as exc:
                error, status = str(exc), exc.status
            else:
                messages.success(request, _("Incident updated."))
                return redirect("ecm_ops:incident_detail", pk)
        else:
            error, status = _("Choose Acknowledge or Resolve."), 400
    findings = incident.screening_run.findings.all() if incident.screening_run_id else []
    return TemplateResponse(
        request,
        "ecm_ops/incidents/detail.html",
        {
            "incident": incident,
            "findings": findings,
            "form": form,
            "error": error,
            "can_handle": incident_service.can_handle(request.user, incident),
        },
        status=status,
    )


def page_monitoring(request, page_id: int):
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        return TemplateResponse(
            request, "ecm_ops/incidents/denied.html", {"page": page}, status=403
        )
    runs = (
        ScreeningRun.objects.filter(page=page)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:50]
    )
    return TemplateResponse(
        request,
        "ecm_ops/incidents/page_history.html",
        {
            "page": page,
            "runs": runs,
            "checks": MonitoringCheck.objects.filter(page=page).order_by("-due_at")[:20],
            "incidents": Incident.objects.filter(page=page).select_related("handled_by"),
            "monitor": ScreeningTrigger.MONITOR,
        },
    )
