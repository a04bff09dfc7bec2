"""Widgets for the JSON list fields of risk policies and rules, so people pick from what the
site has instead of typing JSON: page types from the site's page models, checks from the check
registry (by their labels), tags with Wagtail's tag widget.

The model fields stay ``JSONField`` lists; each widget turns the form field's JSON text into
choices on the way out and the submitted choices back into JSON text on the way in, so the
form field's own validation (and the model's ``clean``) still applies. A stored value that is
no longer offered (a removed page type, a check a site turned off) stays selected and visible,
marked as such, rather than being dropped silently on the next save.
"""

from __future__ import annotations

import json
import re
import sys

from django import forms
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from taggit.utils import edit_string_for_tags, parse_tags
from wagtail.admin.widgets import AdminTagWidget


def _as_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


class JSONListChoices(forms.CheckboxSelectMultiple):
    """Checkboxes for a JSON list of strings. ``choices`` is a callable (read at render time,
    so new page models or checks show without a restart)."""

    def __init__(self, choices_fn, attrs=None):
        super().__init__(attrs={"class": "ecm-choices", **(attrs or {})})
        self.choices_fn = choices_fn

    def format_value(self, value):
        return _as_list(value)

    def get_context(self, name, value, attrs):
        offered = list(self.choices_fn())
        known = {key for key, _label in offered}
        stale = [v for v in _as_list(value) if v not in known]
        self.choices = offered + [
            (v, _("%(value)s (no longer available)") % {"value": v}) for v in stale
        ]
        return super().get_context(name, value, attrs)

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            if len(values) == 1 and values[0].strip().startswith("["):
                return values[0]  # a JSON list (API clients, scripts): validated as before
        else:
            values = data.get(name) or []
            values = _as_list(values) if isinstance(values, str) else list(values)
        return json.dumps([str(v) for v in values if str(v).strip()])

    def value_omitted_from_data(self, data, files, name):
        return False  # no box ticked is an empty list, not "leave as it was"


class JSONListTags(AdminTagWidget):
    """Wagtail's tag widget for a JSON list of free-text tags."""

    def format_value(self, value):
        return edit_string_for_tags(_TagList(_as_list(value)))

    def value_from_datadict(self, data, files, name):
        raw = data.get(name, "")
        if raw.strip().startswith("["):  # a JSON list (API clients, old forms)
            return raw
        return json.dumps(parse_tags(raw))


class _TagList(list):
    """``edit_string_for_tags`` wants objects with a ``name``."""

    def __init__(self, names):
        super().__init__(type("T", (), {"name": n})() for n in names)


def page_type_choices() -> list[tuple[str, str]]:
    """The site's page models as ``("app_label.model", "Verbose name (app)")``."""
    from wagtail.models import Page, get_page_models

    out = []
    for model in get_page_models():
        if model is Page:
            continue
        meta = model._meta
        out.append(
            (
                meta.label_lower,
                f"{str(meta.verbose_name).capitalize()} ({meta.app_config.verbose_name})",
            )
        )
    return sorted(out, key=lambda c: c[1].lower())


_KIND_LINE = re.compile(r"^\s*-\s+((?:``[\w.]+``\s*/?\s*)+)\((blocker|warning|info)\)", re.M)


def finding_kinds(check_cls) -> dict[str, str]:
    """``{finding check id: severity}`` a check can produce: its ``finding_kinds`` attribute
    if it declares one, else the "What it finds" list of its module's docstring
    (``- ``pii.email`` (blocker): ...``)."""
    declared = getattr(check_cls, "finding_kinds", None)
    if declared:
        return dict(declared)
    doc = sys.modules[check_cls.__module__].__doc__ or ""
    kinds = {}
    for ids, severity in _KIND_LINE.findall(doc):
        for check_id in re.findall(r"``([\w.]+)``", ids):
            if check_id.startswith(f"{check_cls.check_id}."):
                kinds.setdefault(check_id, severity)
    return kinds


SEVERITY_WORDS = {"blocker": _lazy("blocker"), "warning": _lazy("warning"), "info": _lazy("note")}


def check_choices(*, any_check: bool = True) -> list[tuple[str, str]]:
    """The registry's checks by label, each followed by the findings it can produce with
    their severity ("Personal data (email) — blocker"); a check's own id covers all of its
    findings. "Any check" first when ``any_check``."""
    from .. import conf
    from ..services.findings_summary import BUILT_IN_CHECKS, check_label, check_labels

    labels = check_labels()
    out = [("*", str(_lazy("Any check")))] if any_check else []
    for path in dict.fromkeys([*BUILT_IN_CHECKS, *conf.get("CHECKS")]):
        try:
            cls = import_string(path)
        except ImportError:
            continue
        if not getattr(cls, "check_id", ""):
            continue
        kinds = finding_kinds(cls)
        everything = _("%(label)s — all of its findings") if kinds else "%(label)s"
        out.append((cls.check_id, everything % {"label": labels.get(cls.check_id, cls.check_id)}))
        for check_id, severity in sorted(kinds.items()):
            out.append(
                (
                    check_id,
                    f" {check_label(check_id, labels)} — {SEVERITY_WORDS[severity]}",
                )
            )
    return out
