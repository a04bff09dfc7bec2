"""Admin forms: the editor's brief (with the template's typed variables) and the style guide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Page

from ..drafting.schema import validate_variables
from ..models import StyleGuide

VAR_PREFIX = "var"


def variable_field(definition: dict) -> forms.Field:
    """A form field for one typed template variable (always optional here: only the chosen
    template's variables apply, and the service validates them against the definitions)."""
    kwargs = {"label": definition["label"], "required": False, "help_text": definition.get("help")}
    vtype = definition["type"]
    if vtype == "choice":
        choices = [("", "---------")] + [(c, c) for c in definition["choices"]]
        return forms.ChoiceField(choices=choices, **kwargs)
    if vtype == "page":
        return forms.ModelChoiceField(
            queryset=Page.objects.all(), widget=AdminPageChooser(), **kwargs
        )
    if vtype == "list":
        kwargs["help_text"] = kwargs["help_text"] or _("One item per line.")
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **kwargs)
    widget = forms.Textarea(attrs={"rows": 3}) if definition.get("multiline") else None
    return forms.CharField(widget=widget, max_length=2000, **kwargs)


class BriefForm(forms.Form):
    template = forms.ChoiceField(label=_("Prompt template"))
    topic = forms.CharField(label=_("Topic"), max_length=500)
    audience = forms.CharField(label=_("Audience"), max_length=500, required=False)
    key_points = forms.CharField(
        label=_("Key points"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line."),
    )
    sources = forms.CharField(
        label=_("Sources"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Pasted text or URLs (given as text; nothing is fetched)."),
    )
    target_words = forms.IntegerField(
        label=_("Target length (words)"), required=False, min_value=50, max_value=5000
    )

    def __init__(self, *args, templates=(), designed_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (t.slug, t.name if t.pk in designed_ids else f"{t.name} ⚠ off-label for this page type")
            for t in templates
        ]
        #: [(template, version variable definitions, [field names])] for the template
        self.variable_groups = []
        for template in templates:
            version = template.promoted_version
            definitions = validate_variables(version.variables) if version else []
            names = []
            for definition in definitions:
                name = f"{VAR_PREFIX}-{template.slug}-{definition['name']}"
                self.fields[name] = variable_field(definition)
                names.append(name)
            if names:
                self.variable_groups.append((template, definitions, names))

    def variable_fieldsets(self):
        """``[(template slug, template name, [bound fields])]`` for the template to render."""
        return [(t.slug, t.name, [self[n] for n in names]) for t, _d, names in self.variable_groups]

    def variables(self) -> dict:
        """The chosen template's variable values, as the brief's ``variables`` dict."""
        slug = self.cleaned_data["template"]
        values = {}
        for template, definitions, names in self.variable_groups:
            if template.slug != slug:
                continue
            for definition, name in zip(definitions, names, strict=True):
                value = self.cleaned_data.get(name)
                if isinstance(value, Page):
                    value = value.pk
                if value not in (None, ""):
                    values[definition["name"]] = value
        return values

    def brief(self) -> dict:
        data = self.cleaned_data
        brief = {
            "topic": data["topic"],
            "audience": data.get("audience", ""),
            "key_points": (data.get("key_points") or "").splitlines(),
            "sources": data.get("sources", ""),
            "target_words": data.get("target_words"),
        }
        variables = self.variables()
        if variables:
            brief["variables"] = variables
        return brief


class TerminologyField(forms.CharField):
    """Terminology as lines ``preferred term | deprecated, other deprecated`` instead of JSON."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                f"{e.get('preferred', '')} | {', '.join(e.get('deprecated', []))}".rstrip(" |")
                for e in value
            )
        return value

    def to_python(self, value):
        entries = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            preferred, _sep, deprecated = line.partition("|")
            preferred = preferred.strip()
            if not preferred:
                raise forms.ValidationError(
                    _(
                        "Line %(n)s: start with the preferred term, then “|” and the terms to avoid."
                    ),
                    params={"n": number},
                )
            avoid = [d.strip() for d in deprecated.split(",") if d.strip()]
            entries.append({"preferred": preferred, "deprecated": avoid})
        return entries


class StyleGuideForm(WagtailAdminModelForm):
    terminology = TerminologyField(
        label=_("Terminology"),
        required=False,
        help_text=_(
            "One entry per line: the preferred term, a “|”, then the terms to avoid separated by "
            "commas. Example: email | e-mail, E-Mail"
        ),
    )

    class Meta:
        model = StyleGuide
        fields = ["name", "voice", "terminology"]
