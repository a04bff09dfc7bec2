"""Drill-down: the raw rows behind a number on the operations dashboard (the only screen of the
dashboard that reads raw tables, one page of rows at a time)."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.models import Page

from .. import conf
from ..models import (
    Approval,
    DraftRequest,
    Incident,
    Publication,
    ReviewCase,
    ScreeningOverride,
    ScreeningRun,
)
from ..models.drafts import ProviderCall
from ..services import ServiceError
from ..services.rollups import day_bounds
from ..states import JobStatus, ScreeningTrigger
from .listing import person
from .operations import _check
from .refusals import refusals


def _page(p):
    return {
        "text": p.get_admin_display_title(),
        "url": reverse("wagtailadmin_pages:edit", args=[p.pk]),
    }


# kind -> (title, queryset, time field, page path, user field, template path, columns)
KINDS = {
    "drafts": ("AI draft requests", lambda: DraftRequest.objects.select_related("page", "requester",
               "template_version__template"), "created_at", "page", "requester",
               "template_version__template",
               lambda r: [_page(r.page), r.template_version.template.name, r.get_status_display(),
                          "off-label" if r.off_label else "", person(r.requester), r.created_at]),
    "screenings": ("First screenings of AI drafts", lambda: ScreeningRun.objects.filter(
                   trigger=ScreeningTrigger.DRAFT, status=JobStatus.SUCCEEDED).select_related("page"),
                   "created_at", "page", "requested_by", None,
                   lambda r: [_page(r.page), f"{r.blocker_count} blockers, {r.warning_count} warnings",
                              "—" if r.score is None else f"score {r.score:.2f}", "", "", r.created_at]),
    "cases": ("Review cases", lambda: ReviewCase.objects.select_related("page", "requester", "tier"),
              "created_at", "page", "requester", None,
              lambda r: [{"text": r.page.get_admin_display_title(),
                          "url": reverse("ecm_ops:review_case", args=[r.pk])}, r.get_state_display(),
                         str(r.tier) if r.tier else "—", f"decided {r.decided_at:%d %b %H:%M}"
                         if r.decided_at else "open", person(r.requester), r.created_at]),
    "publications": ("Publications", lambda: Publication.objects.filter(ai_share__gt=0)
                     .select_related("page", "user"), "published_at", "page", "user", None,
                     lambda r: [_page(r.page), r.get_basis_display(), f"AI share {r.ai_share:.0%}",
                                "", person(r.user), r.published_at]),
    "incidents": ("Incidents", lambda: Incident.objects.select_related("page"), "opened_at", "page",
                  None, None,
                  lambda r: [{"text": r.page.get_admin_display_title(),
                              "url": reverse("ecm_ops:incident_detail", args=[r.pk])},
                             r.get_severity_display(), r.get_state_display(), r.summary[:120], "",
                             r.opened_at]),
    "overrides": ("Pre-screen overrides", lambda: ScreeningOverride.objects.select_related(
                  "page", "user"), "created_at", "page", "user", None,
                  lambda r: [_page(r.page), r.reason[:120], "", "", person(r.user), r.created_at]),
    "approvals": ("Approvals", lambda: Approval.objects.select_related("case__page", "user"),
                  "created_at", "case__page", "user", None,
                  lambda r: [{"text": r.case.page.get_admin_display_title(),
                              "url": reverse("ecm_ops:review_case", args=[r.case_id])}, "", "", "",
                             person(r.user), r.created_at]),
    "calls": ("AI provider calls", lambda: ProviderCall.objects.select_related("draft__page",
              "screening_run__page"), "created_at", None, None, None,
              lambda r: [_page(r.draft.page if r.draft_id else r.screening_run.page),
                         r.model_name, f"{r.input_tokens + r.output_tokens:,} tokens",
                         f"${r.cost:.4f}", "ok" if r.ok else "failed", r.created_at]),
}  # fmt: skip


def _day(value, name):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ServiceError(f"The {name} day is missing or not a date (YYYY-MM-DD).") from exc


def _int(request, name):
    value = request.GET.get(name)
    if not value:
        return None
    if not value.isdigit():
        raise ServiceError(f"The {name} filter must be a number.")
    return int(value)


@refusals
def rows(request, kind):
    _check(request.user)
    if kind not in KINDS:
        raise ServiceError("There are no rows of that kind.", status=404)
    title, queryset, when, page_path, user_path, template_path, columns = KINDS[kind]
    first, last = _day(request.GET.get("first"), "first"), _day(request.GET.get("last"), "last")
    if last < first:
        raise ServiceError("The last day is before the first day.")
    qs = queryset().filter(
        **{f"{when}__gte": day_bounds(first)[0], f"{when}__lt": day_bounds(last)[1]}
    )
    section, page_type = _int(request, "section"), _int(request, "page_type")
    template, team = _int(request, "template"), _int(request, "team")
    page_field = page_path or "draft__page"
    if section:
        root = Page.objects.filter(pk=section).first()
        qs = qs.filter(**{f"{page_field}__path__startswith": root.path}) if root else qs.none()
    if page_type:
        qs = qs.filter(**{f"{page_field}__content_type_id": page_type})
    if template:
        if template_path:
            qs = qs.filter(**{f"{template_path}_id": template})
        else:
            qs = qs.filter(Exists(DraftRequest.objects.filter(
                page_id=OuterRef(f"{page_field}_id"), template_version__template_id=template)))  # fmt: skip
    if team and user_path and conf.get("OPS_TEAM_GROUPS"):
        qs = qs.filter(**{f"{user_path}__groups": team})
    paginator = Paginator(qs.order_by(f"-{when}", "-pk"), 50)
    page = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "ecm_ops/operations/rows.html",
        {"title": title, "first": first, "last": last, "page_obj": page,
         "rows": [columns(r) for r in page.object_list],
         "back": reverse("ecm_ops:operations")},
    )  # fmt: skip
