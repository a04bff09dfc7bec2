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
    vocabulary = models.TextField(
        _("accepted words"),
        blank=True,
        help_text=_(
            "Words and names the pack's rules accept as written, one per line (Vale's "
            "accept.txt; a line may be a pattern such as '[Oo]nboarding'). A rule with "
            "'vocab: false' ignores them."
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
        if getattr(self, "_cleaned_for", None) != (self.source, self.vocabulary):
            self.clean()  # not yet validated (a form's full_clean already did it)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Parse and compile the rules (RE2), then time them on a 2,000-word text.

        Raises:
            ValidationError: on ``source`` (unsafe YAML, bad rule, too slow) or
                ``vocabulary`` (a pattern RE2 refuses).
        """
        from ..content_checks.vale import RuleError, parse_pack, vocabulary_words
        from ..content_checks.vale_budget import check_pack_time

        try:
            words = vocabulary_words(self.vocabulary)
        except RuleError as exc:
            raise ValidationError({"vocabulary": str(exc)}) from exc
        try:
            rules = parse_pack(self.source, self.vocabulary)
            check_pack_time(rules, words)
        except RuleError as exc:
            raise ValidationError({"source": str(exc)}) from exc
        self.rules = rules
        self._cleaned_for = (self.source, self.vocabulary)

    @property
    def warnings(self) -> list[str]:
        """What the pack asks for that ecm_ops ignores (unknown keys, scopes with no text)."""
        from ..content_checks.vale import pack_warnings

        return pack_warnings(self.rules or {})
