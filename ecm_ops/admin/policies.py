"""The risk policy editor: a policy with its tiers and ordered rules, edited inline.

Cross-row validation lives in :class:`RiskPolicyForm` (a rule pointing at another policy's
tier, duplicate tier levels, a minimum level no tier reaches, a rule without conditions);
configuration that saves but will stall reviews (a required group with no members, a tier
nobody may approve) is reported as a warning after saving.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PageChooserPanel,
)
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from ..governance.authority import policy_warnings
from ..models import RiskPolicy
from .setup import ReadinessPanel
from .widgets import (
    JSONListChoices,
    JSONListTags,
    check_choices,
    page_type_choices,
)

RULE_CONDITIONS = (
    "page_types",
    "section",
    "tags",
    "finding_checks",
    "finding_min_severity",
    "min_score",
    "min_ai_share",
    "min_template_risk",
)


def _live_forms(formset):
    """Child forms that validated and are not being deleted."""
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        yield form, data


def _submitted(formset):
    """Child forms as submitted (not deleted, not blank extras), validated or not: the
    formset's own unique check strips duplicates from ``cleaned_data``, so read raw data."""
    for form in formset.forms:
        if form.data.get(form.add_prefix("DELETE")):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        yield form


def _raw_int(form, name) -> int | None:
    try:
        return int(form.data.get(form.add_prefix(name), ""))
    except (TypeError, ValueError):
        return None


class RiskPolicyForm(WagtailAdminModelForm):
    def is_valid(self):
        valid = super().is_valid()
        return self._check_tiers_and_rules() and valid

    def _check_tiers_and_rules(self) -> bool:
        ok = True
        tiers = list(_submitted(self.formsets["tiers"]))
        by_level = defaultdict(list)
        for form in tiers:
            level = _raw_int(form, "level")
            if level is not None:
                by_level[level].append(form)
        for level, same in by_level.items():
            if len(same) > 1:
                ok = False
                labels = ", ".join(f"“{f.data.get(f.add_prefix('label'), '')}”" for f in same)
                message = _(
                    "Level %(level)s is used by more than one tier (%(labels)s). "
                    "Give each tier its own level."
                ) % {"level": level, "labels": labels}
                self.add_error(None, message)
                for form in same:
                    form.add_error(None, message)
        minimum = (getattr(self, "cleaned_data", None) or {}).get("minimum_level")
        if tiers and minimum and not any(lvl >= minimum for lvl in by_level):
            ok = False
            self.add_error(
                "minimum_level",
                _("No tier has level %(minimum)s or higher. Lower the minimum or add a tier.")
                % {"minimum": minimum},
            )
        deleted = {
            f.instance.pk
            for f in self.formsets["tiers"].forms
            if f.instance.pk and (getattr(f, "cleaned_data", None) or {}).get("DELETE")
        }
        for form, data in _live_forms(self.formsets["rules"]):
            tier = data.get("tier")
            name = data.get("name") or _("this rule")
            if tier is not None and (
                self.instance.pk is None or tier.policy_id != self.instance.pk
            ):
                ok = False
                form.add_error(
                    "tier",
                    _(
                        "Rule “%(rule)s” points at tier “%(tier)s”, which belongs to another "
                        "policy. Choose one of this policy's tiers (save new tiers first)."
                    )
                    % {"rule": name, "tier": tier},
                )
            elif tier is not None and tier.pk in deleted:
                ok = False
                form.add_error(
                    "tier", _("Tier “%(tier)s” is being deleted; choose another.") % {"tier": tier}
                )
            if not any(data.get(c) not in (None, "", []) for c in RULE_CONDITIONS):
                ok = False
                form.add_error(
                    None,
                    _(
                        "Rule “%(rule)s” has no condition, so it would never match. Set at least "
                        "one condition."
                    )
                    % {"rule": name},
                )
        if not ok and not self.non_field_errors():
            self.add_error(None, _("Some tiers or rules need attention (see below)."))
        return ok


PAGE_TYPES = JSONListChoices(page_type_choices)
CHECKS = JSONListChoices(check_choices)
CHECKS_NOT_ANY = JSONListChoices(lambda: check_choices(any_check=False))
TAGS = JSONListTags()

TIER_PANELS = [
    FieldRowPanel([FieldPanel("label"), FieldPanel("level"), FieldPanel("approvals_required")]),
    FieldRowPanel([FieldPanel("required_group"), FieldPanel("sla_hours")]),
    FieldRowPanel([FieldPanel("auto_skip_allowed"), FieldPanel("monitoring_cadence_hours")]),
]

RULE_PANELS = [
    FieldRowPanel([FieldPanel("name"), FieldPanel("tier")]),
    FieldPanel(
        "page_types",
        widget=PAGE_TYPES,
        help_text=_("The rule applies to pages of the ticked types (none ticked: any type)."),
    ),
    PageChooserPanel("section"),
    FieldPanel(
        "tags",
        widget=TAGS,
        help_text=_("The rule applies to pages tagged with any of these topics."),
    ),
    FieldRowPanel(
        [
            FieldPanel(
                "finding_checks",
                widget=CHECKS,
                help_text=_("The rule applies when the pre-screen has findings of these checks."),
            ),
            FieldPanel("finding_min_severity"),
        ]
    ),
    FieldRowPanel(
        [FieldPanel("min_score"), FieldPanel("min_ai_share"), FieldPanel("min_template_risk")]
    ),
]


class WarningsMixin:
    """After a successful save, say what will stall reviews."""

    def form_valid(self, form):
        response = super().form_valid(form)
        for warning in policy_warnings(self.object):
            messages.warning(self.request, warning)
        return response


class PolicyCreateView(WarningsMixin, generic.CreateView):
    pass


class PolicyEditView(WarningsMixin, generic.EditView):
    pass


class AuthorityLinkColumn(Column):
    """A link to the policy's approval authority screen."""

    cell_template_name = "ecm_ops/policies/authority_cell.html"

    def get_value(self, instance):
        return instance.pk


class RiskPolicyViewSet(ModelViewSet):
    model = RiskPolicy
    icon = "warning"
    menu_label = _("Risk policies")
    add_to_admin_menu = False
    add_view_class = PolicyCreateView
    edit_view_class = PolicyEditView
    list_display = [
        "name",
        "section",
        "minimum_level",
        AuthorityLinkColumn("authority", label=_("Approval authority")),
    ]
    edit_handler = ObjectList(
        [
            ReadinessPanel(),
            FieldPanel("name"),
            PageChooserPanel("section"),
            MultiFieldPanel(
                [
                    FieldPanel("minimum_level"),
                    FieldPanel("max_send_backs"),
                    FieldPanel("escalation_group"),
                    FieldPanel("unpublish_checks", widget=CHECKS_NOT_ANY),
                    FieldPanel("strict_advice_checks", widget=CHECKS_NOT_ANY),
                ],
                heading=_("Section rules"),
            ),
            InlinePanel("tiers", heading=_("Tiers"), label=_("Tier"), panels=TIER_PANELS),
            InlinePanel(
                "rules",
                heading=_("Classification rules (in order)"),
                label=_("Rule"),
                panels=RULE_PANELS,
                help_text=_(
                    "A rule raises the tier when all of its conditions match; nothing lowers "
                    "it below the minimum. Save new tiers before pointing rules at them."
                ),
            ),
        ],
        base_form_class=RiskPolicyForm,
    )


risk_policies = RiskPolicyViewSet("ecm_ops_risk_policies")
