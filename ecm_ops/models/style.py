"""Style rule packs: Vale-style declarative rules managed in the admin.

The rules are kept as the admin wrote them (``source``, YAML or JSON: a mapping of rule name
to rule) and, validated, as data (``rules``). See :mod:`ecm_ops.content_checks.vale` for the
rule types and keys that are supported.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class StyleRulePack(models.Model):
    name = models.SlugField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_("Short name used in finding ids: style.<name>.<rule>."),
    )
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    source = models.TextField(
        _("rules (YAML or JSON)"),
        help_text=_(
            "A mapping of rule name to a Vale-style rule, e.g.\n"
            "Hedging:\n  extends: existence\n  message: \"Avoid '%s'.\"\n"
            "  level: suggestion\n  tokens: [I think, arguably]"
        ),
    )
    rules = models.JSONField(_("parsed rules"), default=dict, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("style rule pack")
        verbose_name_plural = _("style rule packs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """Parses ``source`` into ``rules``. Raises ValidationError for unusable rules."""
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from ..content_checks.vale import RuleError, parse_pack

        try:
            self.rules = parse_pack(self.source)
        except RuleError as exc:
            raise ValidationError({"source": str(exc)}) from exc
