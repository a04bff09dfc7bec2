"""Generate-a-draft screen and draft status (HTML and JSON for polling)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.models import Page

from ..drafting.service import cancel_draft, request_draft, usable_templates
from ..models import DraftRequest
from ..providers.base import provider_label
from ..services import ServiceError
from .forms import BriefForm


def generate(request, page_id: int):
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise DjangoPermissionDenied
    templates = usable_templates(type(page))
    ct = ContentType.objects.get_for_model(type(page))
    designed = {t.pk for t in templates if ct in t.page_types.all()}
    form = BriefForm(request.POST or None, templates=templates, designed_ids=designed)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                draft = request_draft(
                    page, form.cleaned_data["template"], form.brief(), request.user
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(
                    request, "AI draft requested. It will appear as a new draft revision."
                )
                return redirect("ecm_ops:draft_status", pk=draft.pk)
        else:
            status = 400
    return TemplateResponse(
        request,
        "ecm_ops/generate.html",
        {
            "page": page,
            "form": form,
            "provider": provider_label(),
            "off_label_ids": [t.slug for t in templates if t.pk not in designed],
        },
        status=status,
    )


def _draft_for(request, pk: int) -> DraftRequest:
    draft = get_object_or_404(
        DraftRequest.objects.select_related("page", "template_version__template"), pk=pk
    )
    if not draft.page.permissions_for_user(request.user).can_edit():
        raise DjangoPermissionDenied
    return draft


def draft_status(request, pk: int):
    draft = _draft_for(request, pk)
    if (
        request.headers.get("Accept", "").startswith("application/json")
        or request.GET.get("format") == "json"
    ):
        return JsonResponse(
            {
                "id": draft.pk,
                "status": draft.status,
                "error": draft.error,
                "revision": draft.revision_id,
                "off_label": draft.off_label,
                "edit_url": reverse("wagtailadmin_pages:edit", args=[draft.page_id]),
            }
        )
    return TemplateResponse(request, "ecm_ops/draft_status.html", {"draft": draft})


@require_POST
def draft_cancel(request, pk: int):
    draft = _draft_for(request, pk)
    try:
        cancel_draft(draft.pk, request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("ecm_ops:draft_status", pk=draft.pk)
    messages.success(request, "Draft cancelled.")
    return redirect("ecm_ops:draft_status", pk=draft.pk)
