"""Model viewsets for what site admins configure: style guides, templates, risk policies."""

from wagtail.admin.panels import FieldPanel, InlinePanel

from .certification import programmes as certification_programmes
from .policies import risk_policies  # the risk policy editor (tiers and rules inline)
from .prompts import prompt_templates, style_guides  # the prompt library lives in prompts.py
from .style import style_rule_packs  # Vale-style rule packs for the style check

ALL = [style_guides, prompt_templates, risk_policies]
ALL.append(style_rule_packs)
ALL.append(certification_programmes)

__all__ = ["ALL", "FieldPanel", "InlinePanel"]
