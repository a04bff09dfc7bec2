"""Review screens: one case (with Approve / Request changes / Reject forms that call
the services and show their refusals), and the direct-publish override.

Views stay thin: who may *decide* is the services' business; these views only decide who may
*see* a case (404 otherwise, so a case's existence is not revealed) and turn a refused action
into a page that says why, with the service error's status code (403, 409 or 400).
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.models import Page

from ..governance import authority
from ..models import ReviewCase
from ..services import ServiceError, publish_guard
from ..services import review as review_service


def _can_view(user, case: ReviewCase) -> bool:
    """Decision makers, the people involved, and anyone who may edit the page may look."""
    if user.is_superuser or user.pk in (case.requester_id, case.revision.user_id):
        return True
    if authority.has_authority(user, case):
        return True
    return case.page.permissions_for_user(user).can_edit()


class DecisionForm(forms.Form):
    ACTIONS = {
        "approve": _("Approve"),
        "request_changes": _("Request changes"),
        "reject": _("Reject"),
    }
    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    comment = forms.CharField(
        label=_("Comment (required to reject)"), required=False, widget=forms.Textarea
    )


def case_detail(request, pk: int):
    case = get_object_or_404(
        ReviewCase.objects.select_related("page", "tier", "policy", "requester", "revision"), pk=pk
    )
    if not _can_view(request.user, case):
        raise Http404("No review case found.")
    error, status = "", 200
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            error, status = "Choose Approve, Request changes or Reject.", 400
        else:
            action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
            try:
                if action == "approve":
                    review_service.approve(case.pk, request.user, comment=comment)
                elif action == "request_changes":
                    review_service.request_changes(case.pk, request.user, comment=comment)
                else:
                    review_service.reject(case.pk, request.user, reason=comment)
            except ServiceError as exc:
                error, status = str(exc), exc.status
            else:
                messages.success(request, _("Your decision was recorded."))
                return redirect("ecm_ops:review_case", pk=case.pk)
        case.refresh_from_db()
    elif request.GET.get("refused") in ("approve", "reject"):
        # Sent here by Wagtail's own workflow action (the editor's footer or action menu).
        approving = request.GET["refused"] == "approve"
        why = review_service.refusal_reason(case, request.user, approving=approving)
        messages.error(
            request,
            _("Your decision was not recorded: %(why)s")
            % {"why": why or _("the review changed meanwhile; see its state below.")},
        )
    approvals = list(case.approvals.select_related("user", "revision").order_by("created_at"))
    for approval in approvals:
        approval.counts = approval.content_digest == case.content_digest
    context = {
        "case": case,
        "form": form,
        "error": error,
        "refusal": review_service.refusal_reason(case, request.user),
        "send_back_refusal": review_service.refusal_reason(case, request.user, approving=False),
        "can_delegate": case.is_open and authority.can_manage_authority(request.user),
        "approvals": approvals,
        "needed": case.tier.approvals_required if case.tier else 1,
        "required_group": case.tier.required_group if case.tier else None,
    }
    return TemplateResponse(request, "ecm_ops/review/case.html", context, status=status)


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must this be published without review?"), widget=forms.Textarea
    )


def publish_override(request, page_id: int):
    """Publish an AI-assisted page around the review, with a reason (override authority only)."""
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise Http404("No page found.")
    revision = page.get_latest_revision()
    refusal = publish_guard.refusal(page, revision) if revision else ""
    allowed = publish_guard.can_override(request.user, page)
    error, status = "", 200 if allowed else 403
    if not allowed:
        error = (
            "Publishing without an approved review needs the review override authority. "
            "Submit the page for review instead."
        )
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and allowed:
        try:
            if not form.is_valid():
                raise ServiceError("Give a reason; it is kept in the audit trail.")
            publish_guard.override_publish(page, request.user, form.cleaned_data["reason"])
        except ServiceError as exc:
            error, status = str(exc), exc.status
        else:
            messages.success(request, _("Published with the review override; reason recorded."))
            return redirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    context = {"page": page, "refusal": refusal, "allowed": allowed, "form": form, "error": error}
    return TemplateResponse(request, "ecm_ops/review/override.html", context, status=status)
