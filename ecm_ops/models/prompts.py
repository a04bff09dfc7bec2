"""Style guides and prompt templates with immutable versions.

A template's status is a django-fsm-2 state machine (draft -> evaluating -> active -> retired).
Transition bodies only set fields; :mod:`ecm_ops.services.prompts` and
:mod:`ecm_ops.services.promotion` are the only callers (permission, conditions, atomic save,
audit entry). Only active templates are offered to editors, and editors always draft with the
template's *promoted* version: editing a template creates a newer *candidate* version, which
reaches editors only when an evaluation run lets :func:`ecm_ops.services.promotion.promote`
promote it.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ..states import RiskLevel, TemplateStatus

T = TemplateStatus


class StyleGuide(models.Model):
    """Brand voice and terminology, sent to the model as a cacheable system block."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    voice = models.TextField(
        _("brand voice"), help_text=_("How the brand writes: tone, person, spelling.")
    )
    terminology = models.JSONField(
        _("terminology"),
        default=list,
        blank=True,
        help_text=_('A list of {"preferred": "term", "deprecated": ["old term", ...]} entries.'),
    )

    class Meta:
        verbose_name = _("style guide")
        verbose_name_plural = _("style guides")

    def __str__(self) -> str:
        return self.name

    def system_block_text(self) -> str:
        """The exact text sent as the cached system block (stable for identical content)."""
        lines = [f"Style guide: {self.name}", "", self.voice.strip()]
        if self.terminology:
            lines += ["", "Terminology (use the preferred term):"]
            for entry in self.terminology:
                deprecated = ", ".join(entry.get("deprecated", []))
                lines.append(f"- {entry.get('preferred', '')} (not: {deprecated})")
        return "\n".join(lines)


class PromptTemplate(models.Model):
    """A prompt designed for a use case and the page types it was evaluated on."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255)
    use_case = models.TextField(_("use case"))
    page_types = models.ManyToManyField(
        ContentType,
        verbose_name=_("designed for page types"),
        blank=True,
        related_name="+",
        help_text=_("Use on other page types is allowed but recorded as off-label use."),
    )
    risk_level = models.PositiveSmallIntegerField(
        _("risk level"), choices=RiskLevel.choices, default=RiskLevel.STANDARD
    )
    status = FSMField(_("status"), default=T.DRAFT, choices=T.choices, protected=False)
    style_guide = models.ForeignKey(
        StyleGuide,
        verbose_name=_("style guide"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="templates",
    )
    promoted_version = models.ForeignKey(
        "ecm_ops.PromptTemplateVersion",
        verbose_name=_("promoted version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The version editors draft with. Changed only by promotion."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("prompt template")
        verbose_name_plural = _("prompt templates")
        ordering = ["name"]
        permissions = [
            ("promote_template", "Can promote a prompt template version (after evaluation)"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> "PromptTemplateVersion | None":
        return self.versions.order_by("-number").first()

    @property
    def candidate_version(self) -> "PromptTemplateVersion | None":
        """The newest version when it is newer than the promoted one (None otherwise)."""
        latest = self.latest_version
        if latest is None or latest.pk == self.promoted_version_id:
            return None
        promoted = self.promoted_version
        if promoted is not None and latest.number < promoted.number:
            return None
        return latest

    def is_designed_for(self, content_type: ContentType) -> bool:
        return self.page_types.filter(pk=content_type.pk).exists()

    # -- transitions: bodies only set fields (services.prompts calls them) --------------------

    def _has_version(self) -> bool:
        return self.versions.exists()

    @transition(field=status, source=T.DRAFT, target=T.EVALUATING, conditions=[_has_version])
    def start_evaluation(self):
        """Try the template out (editors are not offered it yet)."""

    @transition(field=status, source=[T.DRAFT, T.EVALUATING], target=T.ACTIVE)
    def activate(self):
        """Offer the template to editors (called by promotion, which sets the version)."""

    @transition(field=status, source=T.EVALUATING, target=T.DRAFT)
    def return_to_draft(self):
        """Evaluation showed it needs more work."""

    @transition(field=status, source=[T.DRAFT, T.EVALUATING, T.ACTIVE], target=T.RETIRED)
    def retire(self):
        """Withdraw the template; drafts made with it keep pointing at their version."""

    @transition(field=status, source=T.RETIRED, target=T.DRAFT)
    def reopen(self):
        """Bring a retired template back as a draft (it must be evaluated again)."""


class PromptTemplateVersion(models.Model):
    """An immutable snapshot of a template: drafts point at the exact version they used."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    instructions = models.TextField(_("instructions"))
    variables = models.JSONField(
        _("variables"),
        default=list,
        blank=True,
        help_text=_('Typed variables: [{"name": "tone", "type": "choice", "choices": [...]}].'),
    )
    output_fields = models.JSONField(
        _("output fields"),
        default=dict,
        help_text=_('Output field -> page field mapping, e.g. {"title": "title", "body": "body"}.'),
    )
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    max_tokens = models.PositiveIntegerField(_("max tokens"), default=2048)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("prompt template version")
        unique_together = [("template", "number")]
        ordering = ["template", "-number"]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("_allow_update", False):
            raise ValueError("Prompt template versions are immutable; create a new version.")
        super().save(*args, **kwargs)

    def mapping_for(self, page_class) -> dict[str, str]:
        """The flat output field -> page field mapping for pages of ``page_class``."""
        from ..drafting.schema import mapping_for

        return mapping_for(self.output_fields, page_class)
