"""Model viewsets for what site admins configure: style guides, templates, risk policies."""

from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import PromptTemplate, RiskPolicy, StyleGuide


class StyleGuideViewSet(ModelViewSet):
    model = StyleGuide
    icon = "doc-full"
    menu_label = "Style guides"
    form_fields = ["name", "voice", "terminology"]
    list_display = ["name"]
    add_to_admin_menu = False


class PromptTemplateViewSet(ModelViewSet):
    model = PromptTemplate
    icon = "code"
    menu_label = "Prompt templates"
    form_fields = ["name", "slug", "use_case", "page_types", "risk_level", "status", "style_guide"]
    list_display = ["name", "slug", "status", "risk_level"]
    list_filter = ["status"]
    add_to_admin_menu = False


class RiskPolicyViewSet(ModelViewSet):
    model = RiskPolicy
    icon = "warning"
    menu_label = "Risk policies"
    form_fields = ["name", "section", "minimum_level", "unpublish_on_blocker", "max_send_backs"]
    list_display = ["name", "section", "minimum_level"]
    add_to_admin_menu = False


style_guides = StyleGuideViewSet("ecm_ops_style_guides")
prompt_templates = PromptTemplateViewSet("ecm_ops_prompt_templates")
risk_policies = RiskPolicyViewSet("ecm_ops_risk_policies")
ALL = [style_guides, prompt_templates, risk_policies]

__all__ = ["ALL", "FieldPanel", "InlinePanel"]
