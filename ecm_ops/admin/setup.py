"""Content ops → Setup (the site admin's checklist) and the readiness scorecard components.

Thin: :mod:`ecm_ops.services.readiness` computes every item. The scorecard is one template
(``ecm_ops/readiness/scorecard.html``, context ``card``) shown here, as a panel on each risk
policy (:class:`ReadinessPanel`), and by any dashboard through :class:`ReadinessSummary`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.panels import Panel
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..services import readiness

#: Who sees the setup screen: site admins (superusers, or whoever may edit risk policies).
SETUP_PERMISSION = "ecm_ops.change_riskpolicy"


def can_view_setup(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(SETUP_PERMISSION))
    )


class SetupView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "ecm_ops/readiness/setup.html"
    page_title = _("Setup")
    header_icon = "cog"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_setup(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        checklist = readiness.setup_checklist()
        context.update(
            checklist=checklist,
            enforcement=readiness.conf.get("READINESS_ENFORCEMENT"),
            add_policy_url=reverse("ecm_ops_risk_policies:add"),
        )
        return context


def readiness_summary(request):
    """The readiness of every section as an HTML fragment, which the Operations dashboard
    loads after it renders (so the dashboard's own cost does not include the readiness
    queries)."""
    if not can_view_setup(request.user):
        raise PermissionDenied
    return HttpResponse(ReadinessSummary().render_html())


class ReadinessPanel(Panel):
    """The section's scorecard on the risk policy edit form (nothing on the create form)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Readiness"))
        kwargs.setdefault("icon", "tasks")
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "ecm_ops/readiness/panel.html"

        def is_shown(self):
            return self.instance is not None and self.instance.pk is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["card"] = readiness.readiness_for_policy(self.instance)
            return context


class ReadinessSummary(Component):
    """Every governed section in one table (ready or not per prerequisite), for dashboards:
    ``{% component summary %}`` with ``summary = ReadinessSummary()``. A fixed number of
    queries whatever the number of sections."""

    template_name = "ecm_ops/readiness/summary.html"

    def __init__(self, cards=None):
        self.cards = cards

    def get_context_data(self, parent_context=None):
        cards = self.cards if self.cards is not None else readiness.readiness_for()
        return {"cards": cards, "setup_url": reverse("ecm_ops:setup")}
