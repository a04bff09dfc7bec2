"""Map model output onto page fields, sanitised to what each field allows."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from bs4 import BeautifulSoup
from django.db import models
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.fields import RichTextField, StreamField

from ..content_checks.canonical import html_to_text

#: Elements removed together with their content (the whitelister would keep their text).
DROP_WITH_CONTENT = ["script", "style", "iframe", "object", "embed", "noscript", "template"]
TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")


def sanitise_rich_text(value: str, model_field) -> str:
    """Keep only the rich-text features the field (or RichTextBlock) allows, using Wagtail's
    own whitelister: disallowed elements are unwrapped to their text, scripts and styles are
    dropped with their content, ``javascript:`` links lose their href."""
    features = getattr(model_field, "features", None)
    soup = BeautifulSoup(value, "html.parser")
    for element in soup.find_all(DROP_WITH_CONTENT):
        element.decompose()
    value = str(soup)
    return _converter(tuple(features) if features is not None else None).to_database_format(value)


@lru_cache(maxsize=64)
def _converter(features: tuple[str, ...] | None) -> EditorHTMLConverter:
    """One converter per feature set: building its whitelist rules costs more than cleaning a
    draft (an evaluation run sanitises one output per case)."""
    return EditorHTMLConverter(features=list(features) if features is not None else None)


def plain(value: str, max_length: int | None = None) -> str:
    text, _links = html_to_text(value)
    text = " ".join(text.split())
    return text[:max_length] if max_length else text


def apply_fields(page, mapping: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Set ``page`` fields from output ``values`` by ``mapping`` (output name -> field name).

    Returns the canonical (plain) text written to each page field, for provenance.
    """
    written: dict[str, str] = {}
    for output_name, field_name in mapping.items():
        if output_name not in values:
            continue
        value = values[output_name] or ""
        model_field = page._meta.get_field(field_name)
        if isinstance(model_field, RichTextField):
            value = sanitise_rich_text(_as_html(value), model_field)
            written[field_name] = html_to_text(value)[0]
        elif isinstance(model_field, StreamField):
            block_name, block = _first_rich_text_block(model_field)
            if block_name is None:
                continue
            clean = sanitise_rich_text(_as_html(value), block)
            value = [{"type": block_name, "value": clean}]
            written[field_name] = html_to_text(clean)[0]
        elif isinstance(model_field, models.CharField | models.TextField):
            value = plain(value, getattr(model_field, "max_length", None))
            written[field_name] = value
        else:
            continue
        setattr(page, field_name, value)
    return written


def _as_html(value: str) -> str:
    """Model output without markup becomes paragraphs (one per blank-line-separated block)."""
    if TAG_RE.search(value):
        return value
    paragraphs = [p.strip() for p in value.split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def _first_rich_text_block(model_field: StreamField):
    """``(name, block)`` of the first rich-text child block, or ``(None, None)``."""
    from wagtail.blocks import RichTextBlock

    for name, block in model_field.stream_block.child_blocks.items():
        if isinstance(block, RichTextBlock):
            return name, block
    return None, None
