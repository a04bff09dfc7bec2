"""Model viewsets for what site admins configure: style guides, templates, risk policies."""

from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import PromptTemplate, StyleGuide
from .policies import risk_policies  # the risk policy editor (tiers and rules inline)


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


style_guides = StyleGuideViewSet("ecm_ops_style_guides")
prompt_templates = PromptTemplateViewSet("ecm_ops_prompt_templates")
ALL = [style_guides, prompt_templates, risk_policies]

__all__ = ["ALL", "FieldPanel", "InlinePanel"]
