"""The "AI provenance" panel for page editors.

Add it to a page model's panels (first, so editors see it before the fields)::

    from ecm_ops.admin.panels import AIProvenancePanel

    content_panels = [AIProvenancePanel()] + Page.content_panels + [...]

On the edit view it shows, per field, whether the text is AI-written, human or mixed and how much
of the AI text survives, and for each draft behind it: requester, template and version, model,
tokens, cost and an off-label warning. It costs ONE query (``provenance.for_page``), whatever the
number of revisions or drafts. On the create view it offers "Generate this page with AI" instead.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from ..drafting import provenance


class AIProvenancePanel(Panel):
    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("AI provenance"))
        kwargs.setdefault("icon", "info-circle")
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "ecm_ops/drafts/provenance_panel.html"

        def is_shown(self):
            return self.request is not None and self.instance is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            if page.pk is None:
                context["generate_url"] = self._create_generate_url()
                return context
            from ..drafting.service import locked_for

            rows = provenance.for_page(page)
            for row in rows:
                row.label = _field_label(type(page), row.field_name)
            drafts = {}
            for row in rows:
                if row.draft_id and row.draft_id not in drafts:
                    drafts[row.draft_id] = row.draft
            context.update(
                rows=rows,
                drafts=list(drafts.values()),
                stale=bool(rows) and rows[0].revision_id != page.latest_revision_id,
                generate_url=None
                if locked_for(page, self.request.user)
                else reverse("ecm_ops:generate", args=[page.pk]),
            )
            return context

        def _create_generate_url(self) -> str | None:
            match = getattr(self.request, "resolver_match", None)
            kwargs = match.kwargs if match else {}
            meta = self.instance._meta
            try:
                return reverse(
                    "ecm_ops:generate_new",
                    args=[meta.app_label, meta.model_name, kwargs["parent_page_id"]],
                )
            except (KeyError, NoReverseMatch):
                return None


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:  # a field removed since the draft: show its name
        return name
