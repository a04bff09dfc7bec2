"""Style guides and prompt templates with immutable versions."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..states import RiskLevel, TemplateStatus


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
    status = models.CharField(
        _("status"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    style_guide = models.ForeignKey(
        StyleGuide,
        verbose_name=_("style guide"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="templates",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("prompt template")
        verbose_name_plural = _("prompt templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> "PromptTemplateVersion | None":
        return self.versions.order_by("-number").first()

    def is_designed_for(self, content_type: ContentType) -> bool:
        return self.page_types.filter(pk=content_type.pk).exists()


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
