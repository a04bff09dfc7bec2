"""The audit trail: every ecm_ops event and every publication on pages of the sections a user
may audit, as a Wagtail generic listing (filters: section, date range, action; search; sort;
CSV/XLSX export); and the evidence report of published pages (pick a section and a date range,
preview, download CSV or JSON; :mod:`ecm_ops.services.audit_export`).

Superusers, holders of ``ecm_ops.view_audit`` and reviewers with authority in the section's
policy may look; everyone else gets 403. A reviewer sees the events of the sections whose
policy they hold authority in, nothing else. Bad input to the report is a 400 with the form's
messages.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets import AdminDateInput, HeaderButton
from wagtail.models import Page, PageLogEntry

from ..governance import authority
from ..models import RiskPolicy
from ..services import PermissionDenied, audit, audit_export
from .listing import EcmIndexView, ListingFilterSet, person
from .refusals import refusals

FORMATS = [("html", _("Show here")), ("csv", "CSV"), ("json", "JSON")]


def _locale_date_to_iso(value: str) -> str:
    """A date typed in the site's format (Wagtail's ``WAGTAIL_DATE_FORMAT``, the locale's
    ``DATE_INPUT_FORMATS``, e.g. 31/01/2026 in en-gb) as ``YYYY-MM-DD``; anything else is
    returned as typed, for :func:`~ecm_ops.services.audit_export.parse_range` to judge (it
    also takes ISO date-times) and explain."""
    from datetime import datetime

    from django.conf import settings
    from django.utils.formats import get_format

    value = (value or "").strip()
    formats = [getattr(settings, "WAGTAIL_DATE_FORMAT", None), *get_format("DATE_INPUT_FORMATS")]
    for fmt in filter(None, formats):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value


class LocaleDateField(forms.CharField):
    """Wagtail's date picker; accepts the site's date format and ISO dates."""

    widget = AdminDateInput

    def to_python(self, value):
        return _locale_date_to_iso(super().to_python(value))


class AuditExportForm(forms.Form):
    section = forms.IntegerField(label=_("Section"))
    since = LocaleDateField(label=_("Published since"))
    until = LocaleDateField(label=_("Published until"), help_text=_("Inclusive."))
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="html")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (p.section_id, f"{p.section.title} ({p.name})")
            for p in RiskPolicy.objects.select_related("section").order_by("section__path")
        ]
        self.fields["section"].widget = forms.Select(choices=choices)

    def clean_section(self):
        pk = self.cleaned_data["section"]
        page = Page.objects.filter(pk=pk).first()
        if page is None:
            raise forms.ValidationError(_("There is no section with id %(pk)s.") % {"pk": pk})
        return page

    def clean(self):
        data = super().clean()
        if "since" in data and "until" in data:
            try:
                data["range"] = audit_export.parse_range(data["since"], data["until"])
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


NO_AUDIT = (
    "Only site admins, auditors and reviewers with approval authority may see the audit trail."
)


def _with_format(request, fmt: str) -> str:
    query = request.GET.copy()
    query["format"] = fmt
    return query.urlencode()


def _may_open(user) -> bool:
    return bool(
        user.is_superuser
        or user.has_perm(authority.VIEW_AUDIT)
        or authority.holds_any_tier_authority(user)
    )


AUDITED_WAGTAIL_ACTIONS = {
    "wagtail.publish": _("Publish"),
    "wagtail.unpublish": _("Unpublish"),
}


def _action_choices():
    labels = {action: label for action, (label, _message) in audit.ACTIONS.items()}
    return sorted({**AUDITED_WAGTAIL_ACTIONS, **labels}.items(), key=lambda kv: str(kv[1]))


def _section_choices():
    return [
        (p.section_id, p.section.title)
        for p in RiskPolicy.objects.select_related("section").order_by("section__title", "pk")
    ]


def _audited_actions() -> Q:
    return Q(action__startswith="ecm_ops.") | Q(action__in=list(AUDITED_WAGTAIL_ACTIONS))


DETAIL_KEYS = ("reason", "comment", "note", "summary", "tier", "reviewer", "user", "group")


def event_detail(entry: PageLogEntry) -> str:
    """The facts a person needs from an entry's data, in words (never the raw JSON)."""
    data = entry.data if isinstance(entry.data, dict) else {}
    parts = []
    for key in DETAIL_KEYS:
        value = data.get(key)
        if value not in (None, "", [], {}):
            parts.append(f"{key.capitalize()}: {value}")
    return "; ".join(parts)


class AuditFilterSet(ListingFilterSet):
    section = django_filters.ChoiceFilter(
        label=_("Section"), choices=_section_choices, method="filter_section", empty_label=_("All")
    )
    date = django_filters.DateFromToRangeFilter(
        label=_("Date"), field_name="timestamp", widget=DateRangePickerWidget
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"), choices=_action_choices, empty_label=_("All")
    )

    class Meta:
        model = PageLogEntry
        fields = []


class AuditTrailView(EcmIndexView):
    model = PageLogEntry
    page_title = _("Audit trail")
    header_icon = "history"
    index_url_name = "ecm_ops:audit_trail"
    index_results_url_name = "ecm_ops:audit_trail_results"
    filterset_class = AuditFilterSet
    search_fields = ["page__title", "user__username"]
    search_backend_name = None
    default_ordering = "-timestamp"
    export_filename = "ecm_ops-audit-trail"
    list_export = ["timestamp", "page.title", "page_id", "action", "action_label", "user", "detail"]
    export_headings = {
        "timestamp": _("When"),
        "page.title": _("Page"),
        "page_id": _("Page id"),
        "action": _("Action id"),
        "action_label": _("Action"),
        "user": _("By"),
        "detail": _("Detail"),
    }

    def check_access(self, user) -> None:
        if not _may_open(user):
            raise PermissionDenied(NO_AUDIT)

    @property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No event matches these filters.")
        return _("Nothing has happened yet in the sections you may audit.")

    @property
    def header_buttons(self):
        return [
            HeaderButton(
                _("Evidence of published pages"),
                url=reverse("ecm_ops:audit_export"),
                icon_name="doc-full",
            )
        ]

    @cached_property
    def columns(self):
        return [
            DateColumn("timestamp", label=_("When"), sort_key="timestamp"),
            TitleColumn(
                "page",
                label=_("Page"),
                accessor="page.title",
                sort_key="page__title",
                get_url=lambda e: reverse("ecm_ops:page_monitoring", args=[e.page_id]),
            ),
            Column("action", label=_("Action"), accessor="action_label", sort_key="action"),
            Column("user", label=_("By"), accessor=lambda e: person(e.user, _("System"))),
            Column("detail", label=_("Detail"), accessor="detail"),
        ]

    def get_base_queryset(self):
        entries = PageLogEntry.objects.filter(_audited_actions()).select_related("page", "user")
        user = self.request.user
        if user.is_superuser or user.has_perm(authority.VIEW_AUDIT):
            return entries
        paths = RiskPolicy.objects.filter(
            pk__in=authority.policies_with_authority(user)
        ).values_list("section__path", flat=True)
        visible = Q(pk__in=[])
        for path in paths:
            visible |= Q(page__path__startswith=path)
        return entries.filter(visible)

    def order_queryset(self, queryset):
        return super().order_queryset(queryset).order_by(self.ordering, "-pk")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        for entry in context["object_list"]:
            self._facts(entry)
        return context

    @staticmethod
    def _facts(entry: PageLogEntry) -> None:
        label = audit.ACTIONS.get(entry.action, (AUDITED_WAGTAIL_ACTIONS.get(entry.action),))[0]
        entry.action_label = str(label or entry.action)
        entry.detail = event_detail(entry)

    def to_row_dict(self, item):
        self._facts(item)
        return super().to_row_dict(item)


audit_trail = AuditTrailView.as_view()
audit_trail_results = AuditTrailView.as_view(results_only=True)


@refusals
def export_view(request):
    if not _may_open(request.user):
        raise PermissionDenied(NO_AUDIT)
    if not request.GET:
        return TemplateResponse(request, "ecm_ops/audit/export.html", {"form": AuditExportForm()})
    form = AuditExportForm(request.GET)
    if not form.is_valid():
        return TemplateResponse(request, "ecm_ops/audit/export.html", {"form": form}, status=400)
    section = form.cleaned_data["section"]
    if not audit_export.can_view_audit(request.user, section):
        raise PermissionDenied(
            f"You hold no approval authority in “{section.title}”, so you may not export its "
            "audit trail."
        )
    since, until = form.cleaned_data["range"]
    records = audit_export.audit_records(section, since, until)
    fmt = form.cleaned_data["format"]
    if fmt in ("csv", "json"):
        content_type = "text/csv" if fmt == "csv" else "application/json"
        response = HttpResponse(
            audit_export.export(records, fmt), content_type=f"{content_type}; charset=utf-8"
        )
        name = f"ecm_ops-audit-{section.slug}-{form.cleaned_data['since']}-{form.cleaned_data['until']}"
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    return TemplateResponse(
        request,
        "ecm_ops/audit/export.html",
        {
            "form": form,
            "records": records,
            "section": section,
            "shown": True,
            "csv_query": _with_format(request, "csv"),
            "json_query": _with_format(request, "json"),
        },
    )
