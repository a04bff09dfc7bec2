"""Admin for style rule packs (Vale-style rules in YAML or JSON)."""

from wagtail.admin.viewsets.model import ModelViewSet

from ..models import StyleRulePack


class StyleRulePackViewSet(ModelViewSet):
    model = StyleRulePack
    icon = "doc-full-inverse"
    menu_label = "Style rule packs"
    form_fields = ["name", "description", "enabled", "source"]
    list_display = ["name", "enabled", "updated_at"]
    list_filter = ["enabled"]
    add_to_admin_menu = False


style_rule_packs = StyleRulePackViewSet("ecm_ops_style_rule_packs")
