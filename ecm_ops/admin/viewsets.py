"""Model viewsets for what site admins configure: style guides, templates, risk policies."""

from wagtail.admin.panels import FieldPanel, InlinePanel

from .certification import programmes as certification_programmes
from .choosers import group_chooser, user_chooser
from .evaluation import evaluation_cases  # evaluation suites (cases) of prompt templates
from .policies import risk_policies  # the risk policy editor (tiers and rules inline)
from .prompts import prompt_templates, style_guides  # the prompt library lives in prompts.py
from .style import style_rule_packs  # Vale-style rule packs for the style check

ALL = [style_guides, prompt_templates, evaluation_cases, risk_policies]
ALL.append(style_rule_packs)
# Choosers for the authority screens (registered for their URLs, not as menu items).
CHOOSERS = [user_chooser, group_chooser]
ALL.append(certification_programmes)

__all__ = ["ALL", "FieldPanel", "InlinePanel"]
