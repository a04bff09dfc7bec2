"""Incidents in the admin: a listing (with monitoring's open operations alerts for site
admins above it), a detail page with Acknowledge / Resolve actions, and a
page's monitoring history (scheduled checks, monitoring runs, sweeps and incidents).

Anyone with admin access may look (editors need to know a page was unpublished); only the
services decide who may act, and a refusal is shown with its status code (403 or 409).
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.models import Page

from ..models import Incident, MonitoringCheck, ScreeningRun
from ..monitoring.alerts import open_alerts
from ..services import ServiceError
from ..services import incidents as incident_service
from ..states import IncidentState, ScreeningTrigger

PAGE_SIZE = 50


def incident_list(request):
    state = request.GET.get("state", "")
    qs = Incident.objects.select_related("page", "handled_by").order_by("-opened_at")
    if state in IncidentState.values:
        qs = qs.filter(state=state)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("p"))
    # Operations alerts (monitoring could not run) are for site admins, not content editors.
    alerts = list(open_alerts()[:PAGE_SIZE]) if request.user.is_superuser else []
    return TemplateResponse(
        request,
        "ecm_ops/incidents/index.html",
        {
            "alerts": alerts,
            "incidents": page_obj.object_list,
            "page_obj": page_obj,
            "state": state,
            "states": IncidentState.choices,
        },
    )


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
