"""The operations dashboard (Content ops → Operations), its exports, its JSON API, the pilot
baseline form and drift-alert acknowledgement. Thin views: the figures come from
:mod:`ecm_ops.services.ops_metrics` (rollups only), alerts from :mod:`ecm_ops.services.drift`.
"""

from __future__ import annotations

import csv
from datetime import timedelta

from django import forms
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.widgets import AdminDateInput
from wagtail.models import get_page_models

from .. import conf
from ..models import DriftAlert, PilotBaseline, PromptTemplate, RiskPolicy
from ..services import PermissionDenied, drift, ops_metrics
from ..services.audit_export import neutralise_formula
from ..services.ops_metrics import BY_KEY, GROUPS, METRICS, format_value
from . import ops_charts
from .refusals import refusals, wants_json

MAX_PERIODS = {"week": 104, "day": 120}


def may_view(user) -> bool:
    return user.is_superuser or user.has_perm("ecm_ops.view_operations")


def may_manage(user) -> bool:
    return user.is_superuser or user.has_perm("ecm_ops.manage_pilot_baseline")


def _check(user) -> None:
    if not may_view(user):
        raise PermissionDenied(
            "The operations dashboard is for site admins (the 'Can view the operations "
            "dashboard' permission)."
        )


class FilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Per"), choices=[("week", _("week")), ("day", _("day"))], required=False
    )
    periods = forms.IntegerField(label=_("Periods"), min_value=1, required=False)
    section = forms.ModelChoiceField(queryset=None, required=False, label=_("Section"))
    template = forms.ModelChoiceField(queryset=None, required=False, label=_("Template"))
    page_type = forms.ModelChoiceField(queryset=None, required=False, label=_("Page type"))
    team = forms.ModelChoiceField(queryset=None, required=False, label=_("Team"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wagtail.models import Page

        self.fields["section"].queryset = Page.objects.filter(
            pk__in=RiskPolicy.objects.values("section")
        ).order_by("title")
        self.fields["template"].queryset = PromptTemplate.objects.order_by("name")
        self.fields["page_type"].queryset = ContentType.objects.filter(
            pk__in=[ct.pk for ct in ContentType.objects.get_for_models(*get_page_models()).values()]
        ).order_by("model")
        self.fields["page_type"].label_from_instance = lambda ct: ct.name.capitalize()
        for name, empty in (
            ("section", _("All sections")),
            ("template", _("All templates")),
            ("page_type", _("All page types")),
            ("team", _("All teams")),
        ):
            self.fields[name].empty_label = empty  # fmt: skip
        self.fields["team"].queryset = Group.objects.filter(
            name__in=conf.get("OPS_TEAM_GROUPS")
        ).order_by("name")

    def clean(self):
        data = super().clean()
        data["period"] = data.get("period") or "week"
        limit = MAX_PERIODS[data["period"]]
        periods = data.get("periods") or (12 if data["period"] == "week" else 28)
        if periods > limit:
            self.add_error("periods", _("At most %(n)s periods at a time.") % {"n": limit})
        data["periods"] = min(periods, limit)
        return data

    def filters(self) -> dict:
        return {
            name: (self.cleaned_data.get(name).pk if self.cleaned_data.get(name) else None)
            for name in ("section", "template", "page_type", "team")
        }


def _form(request) -> FilterForm:
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form
    if not request.GET:
        form = FilterForm({"period": "week", "periods": 12})
        form.is_valid()
    return form


def build(form: FilterForm, today=None) -> dict:
    """Everything the dashboard, the exports and the API show, from rollups."""
    today = today or timezone.localdate()
    period, periods = form.cleaned_data["period"], form.cleaned_data["periods"]
    filters = form.filters()
    first, last = ops_metrics.window(today, periods, period)
    rows = []
    for start, totals in ops_metrics.series(first, last, period, filters):
        end = start + timedelta(days=6 if period == "week" else 0)
        rows.append({"start": start, "end": end, "values": ops_metrics.figures(totals)})
    baseline = PilotBaseline.objects.prefetch_related("sections", "templates").first()
    pilot = None
    if baseline is not None:
        scoped_sections = [p.pk for p in baseline.sections.all()]
        scoped_templates = [t.pk for t in baseline.templates.all()]
        t = ops_metrics.totals(
            baseline.starts_on, baseline.ends_on, filters, scoped_sections, scoped_templates
        )
        values = ops_metrics.figures(t)
        pilot = {
            "baseline": baseline,
            "values": values,
            "intervals": {m.key: ops_metrics.interval(m, t) for m in METRICS if m.lower_is_better},
        }
    alerts = DriftAlert.objects.filter(acknowledged_at__isnull=True).select_related("section")
    if filters["section"]:
        alerts = alerts.filter(section_id=filters["section"])
    return {
        "period": period,
        "first": first,
        "last": last,
        "filters": filters,
        "rows": rows,
        "pilot": pilot,
        "alerts": list(alerts[:20]),
    }


def _drill_urls(data: dict) -> dict[str, str]:
    """The drill-down URL of each kind of row (one ``reverse`` per kind, not per cell)."""
    return {m.drill: reverse("ecm_ops:operations_rows", args=[m.drill]) for m in METRICS if m.drill}


def _drill_query(first, last, filters: dict) -> str:
    query = {"first": first.isoformat(), "last": last.isoformat()}
    query.update({k: v for k, v in filters.items() if v})
    return urlencode(query)


def _label(row, period) -> str:
    return row["start"].strftime("%d %b") if period == "week" else row["start"].strftime("%d %b")


CHARTS = {
    "volume": ("drafts_requested", ["first_screen_blocker_rate"], "first_screen_blocker_rate"),
    "quality": (None, ["send_back_rate", "rejection_rate", "incidents_per_100"], None),
    "review": (None, ["first_decision_p50", "first_decision_p95", "publish_p95"], None),
    "cost": ("tokens", ["cost_per_published"], None),
}


def _sections(data: dict) -> list[dict]:
    labels = [_label(r, data["period"]) for r in data["rows"]]
    urls = _drill_urls(data)
    out = []
    for group, title in GROUPS:
        metrics = [m for m in METRICS if m.group == group]
        bar_key, line_keys, band_key = CHARTS[group]
        band = None
        if band_key and data["pilot"]:
            band = data["pilot"]["intervals"].get(band_key)
        svg = ops_charts.chart(
            f"{title} per {data['period']}",
            labels,
            bars=(BY_KEY[bar_key].label, [r["values"][bar_key] for r in data["rows"]])
            if bar_key
            else None,
            lines=[(BY_KEY[k].label, [r["values"][k] for r in data["rows"]]) for k in line_keys],
            band=band,
            line_unit=BY_KEY[line_keys[0]].unit if BY_KEY[line_keys[0]].unit != "h" else " h",
        )
        # The table body is built here, not cell by cell in the template: a year of days is
        # thousands of linked cells, and the template engine's per-cell cost dominated.
        body = []
        for label, r in zip(labels, data["rows"], strict=True):
            query = _drill_query(r["start"], r["end"], data["filters"])
            cells = "".join(
                f'<td><a href="{urls[m.drill]}?{escape(query)}">{escape(format_value(m, r["values"][m.key]))}'
                "</a></td>"
                for m in metrics
            )
            body.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
        table = mark_safe("".join(body))  # noqa: S308 (labels and values escaped, URLs ours)
        out.append({"key": group, "title": title, "metrics": metrics, "svg": svg, "table": table})
    return out


def _pilot_rows(data):
    if not data["pilot"]:
        return []
    rows = []
    # The last complete period (the current one has only just begun).
    latest = data["rows"][-2]["values"] if len(data["rows"]) > 1 else {}
    for m in METRICS:
        if not m.lower_is_better:
            continue
        ci = data["pilot"]["intervals"].get(m.key)
        now = latest.get(m.key)
        rows.append(
            {
                "metric": m,
                "pilot": format_value(m, data["pilot"]["values"][m.key]),
                "ci": "—" if ci is None else f"{format_value(m, ci[0])} – {format_value(m, ci[1])}",
                "now": format_value(m, now),
                "worse": ci is not None and now is not None and now > ci[1],
            }
        )
    return rows


@refusals
def dashboard(request):
    _check(request.user)
    form = _form(request)
    if not form.is_valid():
        return TemplateResponse(
            request, "ecm_ops/operations/dashboard.html", {"form": form}, status=400
        )
    data = build(form)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(data, export)
    return TemplateResponse(
        request,
        "ecm_ops/operations/dashboard.html",
        {
            **data,
            "form": form,
            "sections": _sections(data),
            "pilot_rows": _pilot_rows(data),
            "may_manage": may_manage(request.user),
            "may_see_readiness": _may_see_readiness(request.user),
            "query": urlencode({k: v for k, v in request.GET.items() if k != "export"}),
        },
    )


def _may_see_readiness(user) -> bool:
    from .setup import can_view_setup

    return can_view_setup(user)


def _export(data, kind):
    header = ["period start", "period end"] + [m.label for m in METRICS]
    body = [
        [r["start"].isoformat(), r["end"].isoformat()] + [r["values"][m.key] for m in METRICS]
        for r in data["rows"]
    ]
    name = f"operations-{data['first']}-{data['last']}"
    if kind == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        writer = csv.writer(response)
        writer.writerow(header)
        for row in body:
            writer.writerow([neutralise_formula(v) if isinstance(v, str) else v for v in row])
        return response
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Operations"
    sheet.append(header)
    for row in body:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@refusals
def api(request):
    """The dashboard's numbers as JSON (the same filters as the dashboard's query string)."""
    _check(request.user)
    form = _form(request)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    data = build(form)
    pilot = data["pilot"]
    return JsonResponse(
        {
            "period": data["period"],
            "first_day": data["first"],
            "last_day": data["last"],
            "filters": data["filters"],
            "metrics": [
                {
                    "key": m.key,
                    "group": m.group,
                    "label": m.label,
                    "unit": m.unit,
                    "definition": m.definition,
                }
                for m in METRICS
            ],  # fmt: skip
            "periods": [
                {"start": r["start"], "end": r["end"], "values": r["values"]} for r in data["rows"]
            ],
            "pilot": None
            if pilot is None
            else {
                "name": pilot["baseline"].name,
                "first_day": pilot["baseline"].starts_on,
                "last_day": pilot["baseline"].ends_on,
                "values": pilot["values"],
                "ci95": {k: list(v) if v else None for k, v in pilot["intervals"].items()},
            },
            "open_alerts": [
                {
                    "id": a.pk,
                    "metric": a.metric,
                    "section": a.section_id,
                    "message": a.message,
                    "opened_at": a.opened_at,
                }
                for a in data["alerts"]
            ],  # fmt: skip
        }
    )


class BaselineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, initial=_("Pilot"))
    starts_on = forms.DateField(label=_("First day"), widget=AdminDateInput)
    ends_on = forms.DateField(label=_("Last day"), widget=AdminDateInput)
    sections = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Sections (empty: all)"),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    templates = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Templates (empty: all)"),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wagtail.models import Page

        self.fields["sections"].queryset = Page.objects.filter(
            pk__in=RiskPolicy.objects.values("section")
        ).order_by("title")
        self.fields["templates"].queryset = PromptTemplate.objects.order_by("name")


@refusals
def baseline(request):
    if not may_manage(request.user):
        raise PermissionDenied("Only a site admin may mark the pilot baseline.")
    form = BaselineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            drift.mark_baseline(request.user, **form.cleaned_data)
        except PermissionDenied:
            raise
        except drift.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            drift.evaluate()
            messages.success(request, _("Pilot baseline marked."))
            return HttpResponseRedirect(reverse("ecm_ops:operations"))
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "ecm_ops/operations/baseline.html",
        {"form": form, "current": PilotBaseline.objects.first()},
        status=status,
    )


@require_POST
@refusals
def acknowledge(request, pk):
    alert = DriftAlert.objects.filter(pk=pk).first()
    if alert is None:
        raise drift.ServiceError("That drift alert does not exist.", status=404)
    try:
        drift.acknowledge(alert, request.user, request.POST.get("note", ""))
    except PermissionDenied:
        raise
    except drift.ServiceError as exc:
        if wants_json(request):
            return JsonResponse({"error": str(exc)}, status=400)
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("ecm_ops:operations"))
    messages.success(request, _("Drift alert acknowledged."))
    return HttpResponseRedirect(reverse("ecm_ops:operations"))


__all__ = ["acknowledge", "api", "baseline", "dashboard"]
