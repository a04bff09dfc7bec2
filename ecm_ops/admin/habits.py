"""The dashboard's rubber-stamp panel (site admins): flags, each linking to its cases
(:mod:`ecm_ops.services.habits` decides what is flagged)."""

from __future__ import annotations

from django.template.loader import render_to_string
from wagtail.admin.ui.components import Component

from ..governance.authority import can_manage_authority
from ..services import habits

CASES_SHOWN = 10


class RubberStampPanel(Component):
    name = "ecm_ops_rubber_stamp"
    order = 215
    template_name = "ecm_ops/certification/habits_panel.html"

    def render_html(self, parent_context=None):
        request = (parent_context or {}).get("request")
        if request is None or not can_manage_authority(request.user):
            return ""
        flags = habits.flags()
        if not flags:
            return ""
        for flag in flags:
            flag.shown = flag.case_ids[:CASES_SHOWN]
            flag.more = len(flag.case_ids) - len(flag.shown)
        return render_to_string(self.template_name, {"flags": flags})
