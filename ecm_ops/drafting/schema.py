"""Prompt template schemas: typed variable definitions, the output mapping, variable values.

A template version stores two JSON documents that site admins write:

``variables``
    A list of definitions, each ``{"name": "tone", "type": "choice", "label": "Tone",
    "required": true, "choices": ["neutral", "warm"], "help": "..."}``. Types:

    - ``text``: one line (or ``"multiline": true``), at most 2,000 characters;
    - ``choice``: one of ``choices`` (required, a non-empty list of strings);
    - ``page``: the id of an existing page (sent to the model as id and title);
    - ``list``: one item per line (given as a list or a newline-separated string).

``output_fields``
    Either one flat mapping ``{"<output field>": "<page field>"}`` used for every page type,
    or a mapping per page type ``{"content.newsarticle": {...}, "*": {...}}`` ("*" is the
    fallback for page types not listed, e.g. off-label use).

Every error message names the variable or field and says what to change.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

VARIABLE_TYPES = ("text", "choice", "page", "list")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_TEXT = 2_000
MAX_LIST_ITEMS = 50
#: Page fields the model may write: text-like fields only (never slug, dates, foreign keys).
WRITABLE_FIELD_TYPES = (models.CharField, models.TextField)
NEVER_WRITABLE = {"slug", "url_path", "draft_title", "content_type", "locale"}


class SchemaError(ValueError):
    """A template definition is invalid. ``str(exc)`` is shown to the site admin."""


# -- variable definitions ----------------------------------------------------------------------


def validate_variables(definitions) -> list[dict]:
    """Return the normalised variable definitions or raise :class:`SchemaError`."""
    if definitions in (None, ""):
        return []
    if not isinstance(definitions, list):
        raise SchemaError('Variables must be a list of objects, e.g. [{"name": "tone", ...}].')
    seen: set[str] = set()
    clean = []
    for i, item in enumerate(definitions, start=1):
        if not isinstance(item, dict):
            raise SchemaError(f"Variable {i} must be an object with a name and a type.")
        name = str(item.get("name") or "")
        if not NAME_RE.match(name):
            raise SchemaError(
                f"Variable {i}: “{name}” is not a valid name (lower-case letters, digits and "
                "underscores, starting with a letter)."
            )
        if name in seen:
            raise SchemaError(f"Variable “{name}” is defined twice.")
        seen.add(name)
        vtype = item.get("type")
        if vtype not in VARIABLE_TYPES:
            raise SchemaError(
                f"Variable “{name}” has an unknown type “{vtype}”; "
                f"use one of: {', '.join(VARIABLE_TYPES)}."
            )
        unknown = set(item) - {"name", "type", "label", "required", "choices", "help", "multiline"}
        if unknown:
            raise SchemaError(
                f"Variable “{name}” has unknown key(s): {', '.join(sorted(unknown))}."
            )
        entry = {
            "name": name,
            "type": vtype,
            "label": str(item.get("label") or name.replace("_", " ").capitalize()),
            "required": bool(item.get("required", False)),
        }
        if item.get("help"):
            entry["help"] = str(item["help"])
        if vtype == "choice":
            choices = item.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c.strip() for c in choices)
            ):
                raise SchemaError(
                    f"Variable “{name}” is a choice: give “choices” as a non-empty list of words."
                )
            entry["choices"] = [c.strip() for c in choices]
        elif "choices" in item:
            raise SchemaError(f"Variable “{name}” has choices but its type is “{vtype}”.")
        if vtype == "text" and item.get("multiline"):
            entry["multiline"] = True
        clean.append(entry)
    return clean


def clean_variable_values(definitions: list[dict], values) -> dict:
    """Validate an editor's variable values against ``definitions``.

    Returns:
        ``{name: value}`` ready for the brief (a page becomes ``{"id", "title"}``).
    Raises:
        SchemaError: with an editor-readable message naming the variable.
    """
    from wagtail.models import Page

    definitions = validate_variables(definitions)
    values = values or {}
    if not isinstance(values, dict):
        raise SchemaError("Template variables must be given as name/value pairs.")
    known = {d["name"] for d in definitions}
    unknown = set(values) - known
    if unknown:
        raise SchemaError(
            f"Unknown template variable(s): {', '.join(sorted(unknown))}."
            + (f" This template takes: {', '.join(sorted(known))}." if known else "")
        )
    clean: dict = {}
    for d in definitions:
        name, label, raw = d["name"], d["label"], values.get(d["name"])
        empty = raw in (None, "", []) or (isinstance(raw, str) and not raw.strip())
        if empty:
            if d.get("required"):
                raise SchemaError(f"“{label}” is required by this template.")
            continue
        if d["type"] == "text":
            text = str(raw).strip()
            if len(text) > MAX_TEXT:
                raise SchemaError(f"“{label}” is too long (at most {MAX_TEXT:,} characters).")
            clean[name] = text
        elif d["type"] == "choice":
            if str(raw) not in d["choices"]:
                raise SchemaError(
                    f"“{label}” must be one of: {', '.join(d['choices'])} (got “{raw}”)."
                )
            clean[name] = str(raw)
        elif d["type"] == "page":
            try:
                page_id = int(raw["id"] if isinstance(raw, dict) else raw)
            except (TypeError, ValueError, KeyError):
                raise SchemaError(f"“{label}” must be the id of a page.") from None
            page = Page.objects.filter(pk=page_id).only("id", "title").first()
            if page is None:
                raise SchemaError(f"“{label}”: there is no page with id {page_id}.")
            clean[name] = {"id": page.pk, "title": page.title}
        else:  # list
            items = raw.splitlines() if isinstance(raw, str) else raw
            if not isinstance(items, list):
                raise SchemaError(f"“{label}” must be a list, one item per line.")
            items = [str(i).strip() for i in items if str(i).strip()]
            if len(items) > MAX_LIST_ITEMS:
                raise SchemaError(f"“{label}” has too many items (at most {MAX_LIST_ITEMS}).")
            if not items and d.get("required"):
                raise SchemaError(f"“{label}” is required by this template.")
            if items:
                clean[name] = items
    return clean


# -- output mapping ----------------------------------------------------------------------------


def page_type_key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def is_per_page_type(mapping: dict) -> bool:
    return bool(mapping) and all(isinstance(v, dict) for v in mapping.values())


def mapping_for(output_fields: dict, model) -> dict[str, str]:
    """The flat output -> page field mapping to use for pages of ``model``."""
    if not is_per_page_type(output_fields):
        return dict(output_fields or {})
    return dict(output_fields.get(page_type_key(model)) or output_fields.get("*") or {})


def _check_field(model, output_name: str, field_name: str, where: str) -> None:
    label = model._meta.verbose_name
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise SchemaError(
            f"{where}output field “{output_name}” is mapped to “{field_name}”, but the page type "
            f"“{label}” has no such field."
        ) from None
    from wagtail.fields import RichTextField, StreamField

    if field_name in NEVER_WRITABLE or not isinstance(
        field, WRITABLE_FIELD_TYPES + (RichTextField, StreamField)
    ):
        raise SchemaError(
            f"{where}output field “{output_name}” is mapped to “{field_name}” on “{label}”, "
            "which the model may not write (only text, rich text and StreamField fields)."
        )


def _check_flat(mapping, models_to_check, where: str) -> dict[str, str]:
    if not isinstance(mapping, dict) or not mapping:
        raise SchemaError(
            f"{where}the output schema must map output fields to page fields, e.g. "
            '{"title": "title", "body": "body"}.'
        )
    for output_name, field_name in mapping.items():
        if not NAME_RE.match(str(output_name)):
            raise SchemaError(f"{where}“{output_name}” is not a valid output field name.")
        if not isinstance(field_name, str) or not field_name:
            raise SchemaError(f"{where}output field “{output_name}” must name a page field.")
        for model in models_to_check:
            _check_field(model, output_name, field_name, where)
    return dict(mapping)


def validate_output_fields(output_fields, page_models) -> dict:
    """Validate the output schema against the page types the template is designed for.

    Args:
        output_fields: a flat mapping or a mapping per page type (see the module docstring).
        page_models: the designed-for page model classes.
    Raises:
        SchemaError: an unknown page type, or a field that does not exist on a page type.
    """
    if is_per_page_type(output_fields):
        clean = {}
        for key, mapping in output_fields.items():
            if key == "*":
                clean[key] = _check_flat(mapping, [], "Fallback (*): ")
                continue
            try:
                model = apps.get_model(key)
            except (LookupError, ValueError):
                raise SchemaError(
                    f"“{key}” is not a page type; use “app_label.modelname”, e.g. "
                    "“content.newsarticle”, or “*” for any other page type."
                ) from None
            clean[key] = _check_flat(mapping, [model], f"{model._meta.verbose_name}: ")
        missing = [
            m._meta.verbose_name
            for m in page_models
            if page_type_key(m) not in clean and "*" not in clean
        ]
        if missing:
            raise SchemaError(
                f"The output schema has no mapping for: {', '.join(map(str, missing))}."
            )
        return clean
    return _check_flat(output_fields, list(page_models), "")
