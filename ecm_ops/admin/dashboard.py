"""The dashboard's "awaiting your review" for risk-tiered reviews, at a constant cost.

Wagtail's own "Awaiting your review" panel renders every task state a user may moderate and
does per-row work (the task, its workflow, the actions, the previous revision) for each, so its
cost grows with the queue. Risk-tiered cases are shown instead by :class:`AwaitingReviewPanel`:
only the cases the viewer may actually decide (tier authority or delegation, not conflicted
under four-eyes, not already approved by them; :func:`ecm_ops.services.awaiting.decidable_by`),
overdue ones marked, at a constant number of queries, linking to the review queue filtered
to "awaiting my decision"; and Wagtail's panel
is swapped for :class:`ModerationPanel`, which is Wagtail's panel minus this task's states.
Other workflow tasks (e.g. group approval) still show in Wagtail's panel as before.
"""

from __future__ import annotations

import contextvars

from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel

from ..services.awaiting import decidable_by, is_overdue

LIMIT = 10
_in_wagtail_panel = contextvars.ContextVar("ecm_ops_in_wagtail_panel", default=False)


def rendering_wagtail_moderation_panel() -> bool:
    """True while Wagtail's moderation panel is building its rows (see the module docstring)."""
    return _in_wagtail_panel.get()


class ModerationPanel(WorkflowObjectsToModeratePanel):
    def get_context_data(self, parent_context):
        token = _in_wagtail_panel.set(True)
        try:
            return super().get_context_data(parent_context)
        finally:
            _in_wagtail_panel.reset(token)


class AwaitingReviewPanel(Component):
    name = "ecm_ops_awaiting_review"
    order = 210
    template_name = "ecm_ops/review/awaiting_panel.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        cases = decidable_by(request.user)
        rows = list(
            cases.select_related("page", "tier", "requester").order_by(
                F("due_at").asc(nulls_last=True), "pk"
            )[:LIMIT]
        )
        now = timezone.now()
        for case in rows:
            case.overdue = is_overdue(case, now)
        total = len(rows) if len(rows) < LIMIT else cases.count()
        return {"cases": rows, "total": total, "request": request}

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context or {})
        if not context["cases"]:
            return ""
        return render_to_string(self.template_name, context)


def replace_panels(panels: list) -> None:
    """Hook body for ``construct_homepage_panels``."""
    for i, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[i] = ModerationPanel()
    panels.append(AwaitingReviewPanel())
