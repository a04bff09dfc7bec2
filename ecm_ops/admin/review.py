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
from django.views.decorators.http import require_GET
from wagtail.admin import messages
from wagtail.models import Page
from wagtail.utils.decorators import xframe_options_sameorigin_override

from ..governance import authority
from ..models import ReviewCase
from ..services import ServiceError, case_workspace, escalation, habits, publish_guard
from ..services import review as review_service


def _can_view(user, case: ReviewCase) -> bool:
    """Decision makers, the people involved, and anyone who may edit the page may look."""
    if user.is_superuser or user.pk in (case.requester_id, case.revision.user_id):
        return True
    if authority.has_authority(user, case) or authority.holds_grant(user, case):
        return True  # an uncertified holder may look, and is told why they cannot decide
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
    if request.method == "POST":  # decisions change authority facts: no memo until rendering
        return _case_detail(request, pk)
    with authority.memo():
        return _case_detail(request, pk)


def _case_detail(request, pk: int):
    case = get_object_or_404(
        ReviewCase.objects.select_related(
            "page", "tier", "policy", "requester", "revision", "screening_run"
        ),
        pk=pk,
    )
    if not _can_view(request.user, case):
        raise Http404("No review case found.")
    error, status = "", 200
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "escalate":
        # Escalation by hand (a case that can no longer reach its quorum): the service decides.
        try:
            escalation.escalate_by_hand(case.pk, request.user, request.POST.get("reason", ""))
        except ServiceError as exc:
            error, status = str(exc), exc.status
        else:
            messages.success(request, _("The case was escalated to the next level."))
            return redirect("ecm_ops:review_case", pk=case.pk)
        case.refresh_from_db()
    elif request.method == "POST":
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
    with authority.memo():
        return _render_case(request, case, form, error, status)


def _render_case(request, case, form, error, status):
    """The case screen (read-only from here on: authority facts are memoised)."""
    refusal = review_service.refusal_reason(case, request.user)
    ws = case_workspace.build(case, request.user)
    context = {
        "case": case,
        "ws": ws,
        "form": form,
        "error": error,
        "refusal": refusal,
        "recertify": authority.recertify_programme(request.user, case) if refusal else None,
        "habit_flags": habits.case_flags(case, ws.approvals),
        "send_back_refusal": review_service.refusal_reason(case, request.user, approving=False),
        "can_delegate": case.is_open and authority.can_manage_authority(request.user),
        "escalate_form": EscalateForm(),
    }
    return TemplateResponse(request, "ecm_ops/review/case.html", context, status=status).render()


@require_GET
@xframe_options_sameorigin_override
def case_preview(request, pk: int):
    """The submitted revision rendered as the site would show it, for the workspace's iframe.

    Wagtail's own revision preview (``wagtailadmin_pages:revisions_view``) cannot be framed
    (it keeps Django's ``X-Frame-Options: DENY``) and needs page edit rights; this one is
    framable by the admin itself and open to everyone who may see the case (a delegated
    reviewer may not edit the page). Wagtail's preview request passes through the middleware,
    which sets ``DENY``; the override replaces it (Wagtail's preview-on-edit does the same)."""
    case = get_object_or_404(ReviewCase.objects.select_related("page", "revision"), pk=pk)
    if not _can_view(request.user, case):
        raise Http404("No review case found.")
    obj = case.revision.as_object()
    return obj.make_preview_request(request, obj.default_preview_mode)


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does this case need the next level?"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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
