"""Audit export screen: pick a section and a date range, preview, download CSV or JSON.

Superusers, holders of ``ecm_ops.view_audit`` and reviewers with authority in the section's
policy may export; everyone else gets 403. Bad input is a 400 with the form's messages.
"""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from ..governance import authority
from ..models import RiskPolicy
from ..services import PermissionDenied, audit_export
from .refusals import refusals

FORMATS = [("html", _("Show here")), ("csv", "CSV"), ("json", "JSON")]


class AuditExportForm(forms.Form):
    section = forms.IntegerField(label=_("Section"))
    since = forms.CharField(label=_("Published since"), help_text=_("YYYY-MM-DD"))
    until = forms.CharField(label=_("Published until"), help_text=_("YYYY-MM-DD (inclusive)"))
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


def _with_format(request, fmt: str) -> str:
    query = request.GET.copy()
    query["format"] = fmt
    return query.urlencode()


def _may_open(user) -> bool:
    return bool(
        user.is_superuser
        or user.has_perm(authority.VIEW_AUDIT)
        or any(authority.has_authority_in_policy(user, p) for p in RiskPolicy.objects.all())
    )


@refusals
def export_view(request):
    if not _may_open(request.user):
        raise PermissionDenied(
            "Only site admins, auditors and reviewers with approval authority may see the audit "
            "trail."
        )
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
