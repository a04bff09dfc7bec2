"""Generate-a-draft screens (existing page, new page) and draft status (HTML + JSON for polling).

Thin views: the brief form validates input, :mod:`ecm_ops.drafting.service` and
:mod:`ecm_ops.drafting.new_page` do the work. An editor who cannot edit a page gets 403 for its
generate screen and its drafts.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.models import Page, get_page_models

from ..drafting.new_page import can_create, create_page_and_request_draft
from ..drafting.service import cancel_draft, request_draft, usable_templates
from ..models import DraftRequest
from ..providers.base import provider_label
from ..services import PermissionDenied, ServiceError, readiness
from ..states import JobStatus
from .forms import BriefForm
from .refusals import refusals

#: What the editor sees for each job status ("done" rather than "succeeded").
STATUS_LABELS = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.SUCCEEDED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}


def _brief_form(request, page_model):
    templates = usable_templates(page_model)
    ct = ContentType.objects.get_for_model(page_model)
    designed = {t.pk for t in templates if ct in t.page_types.all()}
    form = BriefForm(request.POST or None, templates=templates, designed_ids=designed)
    off_label = [t.slug for t in templates if t.pk not in designed]
    return form, off_label


def _not_ready(page) -> dict:
    """What the section of ``page`` (a page, or the parent of a new one) still misses, for the
    brief screen (``READINESS_ENFORCEMENT`` "warn" or "enforce"; nothing when "off")."""
    try:
        return {"not_ready": readiness.drafting_gate(page), "not_ready_refused": False}
    except readiness.NotReady as exc:
        return {"not_ready": exc.missing, "not_ready_refused": True}


def _render(request, form, off_label, status, **context):
    gate_page = context.get("page") or context.get("parent")
    return TemplateResponse(
        request,
        "ecm_ops/drafts/generate.html",
        {
            "form": form,
            "provider": provider_label(),
            "off_label_ids": off_label,
            **(_not_ready(gate_page) if gate_page is not None else {}),
            **context,
        },
        status=status,
    )


def _submit(request, form, start):
    """Validate, start the draft, redirect to its status; or re-render with the error."""
    if not form.is_valid():
        return None, 400
    try:
        draft = start(form.cleaned_data["template"], form.brief())
    except ServiceError as exc:
        form.add_error(None, str(exc))
        return None, exc.status
    messages.success(request, "AI draft requested. It will appear as a new draft revision.")
    return redirect("ecm_ops:draft_status", pk=draft.pk), 302


@refusals
def generate(request, page_id: int):
    """The brief for an existing page (the editor's header button and the AI panel)."""
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied("You cannot edit this page, so you cannot generate a draft for it.")
    form, off_label = _brief_form(request, type(page))
    status = 200
    if request.method == "POST":
        response, status = _submit(
            request, form, lambda slug, brief: request_draft(page, slug, brief, request.user)
        )
        if response:
            return response
    return _render(
        request,
        form,
        off_label,
        status,
        page=page,
        back_url=reverse("wagtailadmin_pages:edit", args=[page.pk]),
        subtitle=page.get_admin_display_title(),
    )


@refusals
def generate_new(request, app_label: str, model_name: str, parent_id: int):
    """The brief for a page that does not exist yet (see ``drafting/new_page.py``)."""
    parent = get_object_or_404(Page, pk=parent_id).specific
    try:
        ct = ContentType.objects.get_by_natural_key(app_label, model_name)
    except ContentType.DoesNotExist:
        raise Http404("Unknown page type.") from None
    page_model = ct.model_class()
    if page_model not in get_page_models():
        raise Http404("Unknown page type.")
    if not can_create(parent, page_model, request.user):
        raise PermissionDenied("You cannot create this type of page here.")
    form, off_label = _brief_form(request, page_model)
    status = 200
    if request.method == "POST":
        response, status = _submit(
            request,
            form,
            lambda slug, brief: create_page_and_request_draft(
                parent, page_model, slug, brief, request.user
            ),
        )
        if response:
            return response
    return _render(
        request,
        form,
        off_label,
        status,
        page=None,
        new_page_type=page_model._meta.verbose_name,
        parent=parent,
        back_url=reverse("wagtailadmin_pages:add", args=[app_label, model_name, parent.pk]),
        subtitle=f"New {page_model._meta.verbose_name} under {parent.title}",
    )


def _draft_for(request, pk: int) -> DraftRequest:
    draft = get_object_or_404(
        DraftRequest.objects.select_related("page", "template_version__template", "requester"),
        pk=pk,
    )
    if not draft.page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied("You cannot edit the page this draft belongs to.")
    return draft


def status_payload(draft: DraftRequest) -> dict:
    return {
        "id": draft.pk,
        "status": draft.status,
        "label": STATUS_LABELS.get(draft.status, draft.status),
        "open": draft.is_open,
        "error": draft.error,
        "revision": draft.revision_id,
        "off_label": draft.off_label,
        "tokens": draft.input_tokens + draft.output_tokens,
        "cost": str(draft.cost),
        "edit_url": reverse("wagtailadmin_pages:edit", args=[draft.page_id]),
    }


@refusals
def draft_status(request, pk: int):
    draft = _draft_for(request, pk)
    if (
        request.headers.get("Accept", "").startswith("application/json")
        or request.GET.get("format") == "json"
    ):
        return JsonResponse(status_payload(draft))
    return TemplateResponse(
        request,
        "ecm_ops/drafts/status.html",
        {"draft": draft, "payload": status_payload(draft)},
    )


@require_POST
@refusals
def draft_cancel(request, pk: int):
    draft = _draft_for(request, pk)
    try:
        draft = cancel_draft(draft.pk, request.user)
    except ServiceError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"error": str(exc)}, status=exc.status)
        messages.error(request, str(exc))
        return redirect("ecm_ops:draft_status", pk=draft.pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(status_payload(draft))
    messages.success(request, "Draft cancelled.")
    return redirect("ecm_ops:draft_status", pk=draft.pk)
