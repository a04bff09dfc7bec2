from django import forms
from django.utils.translation import gettext_lazy as _


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
            (t.slug, t.name if t.pk in designed_ids else f"{t.name} (off-label for this page type)")
            for t in templates
        ]

    def brief(self) -> dict:
        data = self.cleaned_data
        return {
            "topic": data["topic"],
            "audience": data.get("audience", ""),
            "key_points": (data.get("key_points") or "").splitlines(),
            "sources": data.get("sources", ""),
            "target_words": data.get("target_words"),
        }
