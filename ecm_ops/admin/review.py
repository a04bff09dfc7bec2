"""The review queue: open cases the user holds authority for."""

from django.template.response import TemplateResponse

from ..governance.authority import cases_reviewable_by


def queue(request):
    cases = (
        cases_reviewable_by(request.user)
        .select_related("page", "tier", "policy", "requester")
        .order_by("due_at", "pk")[:200]
    )
    return TemplateResponse(request, "ecm_ops/review_queue.html", {"cases": cases})
