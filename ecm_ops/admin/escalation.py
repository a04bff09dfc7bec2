"""The "Overdue reviews" dashboard panel: open cases the user may act on that are past their
SLA or escalated. One query, whatever the number of cases."""

from __future__ import annotations

from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..governance.escalation import overdue_cases_for

LIMIT = 20


class OverdueReviewsPanel(Component):
    name = "ecm_ops_overdue_reviews"
    order = 90
    template_name = "ecm_ops/escalation/overdue_panel.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        now = timezone.now()
        cases = list(overdue_cases_for(request.user, now)[: LIMIT + 1])
        for case in cases:
            case.overdue_by = now - case.due_at if case.due_at and case.due_at < now else None
        return {"cases": cases[:LIMIT], "more": len(cases) > LIMIT, "request": request}

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context or {})
        if not context["cases"]:
            return ""
        from django.template.loader import render_to_string

        return render_to_string(self.template_name, context)
