"""Admin for style rule packs (Vale rules in YAML or JSON).

Saving validates the pack in the model's ``clean`` (safe YAML, every pattern compiled with
RE2, a timed run on a 2,000-word text): a hostile pack is a form error, never a 500 or a
hang. What the pack asks for that ecm_ops ignores is shown as warnings after saving.
"""

from django.contrib import messages
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import StyleRulePack


class _WarnAfterSave:
    def form_valid(self, form):
        response = super().form_valid(form)
        for warning in self.object.warnings:
            messages.warning(self.request, warning)
        return response


class RulePackCreateView(_WarnAfterSave, generic.CreateView):
    pass


class RulePackEditView(_WarnAfterSave, generic.EditView):
    pass


class StyleRulePackViewSet(ModelViewSet):
    model = StyleRulePack
    icon = "doc-full-inverse"
    menu_label = "Style rule packs"
    form_fields = ["name", "description", "enabled", "source", "vocabulary"]
    list_display = ["name", "enabled", "updated_at"]
    list_filter = ["enabled"]
    add_to_admin_menu = False
    add_view_class = RulePackCreateView
    edit_view_class = RulePackEditView


style_rule_packs = StyleRulePackViewSet("ecm_ops_style_rule_packs")
