"""One canonical text per page revision.

The editor panel, the submit gate, the CLI and monitoring all score the text this module
produces, so a score never depends on where it was computed. Fields are joined with a blank
line; each field's span (start/end offsets into the text) is kept so findings can point back
at the field they came from.

Which fields are read: ``title``, ``search_description``, then the page class's
``ecm_ops_text_fields`` if it declares them (a list of field names), else every RichTextField,
StreamField and TextField declared on the specific page class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db import models
from wagtail.fields import RichTextField, StreamField

BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "div", "br", "tr"}
FIELD_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class FieldSpan:
    field: str
    start: int
    end: int


@dataclass
class CanonicalText:
    text: str = ""
    spans: list[FieldSpan] = field(default_factory=list)
    #: Links found in rich text: (field, kind, target) with kind "page", "document" or "url".
    links: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def field_at(self, offset: int) -> str:
        for span in self.spans:
            if span.start <= offset <= span.end:
                return span.field
        return ""

    def field_text(self, name: str) -> str:
        for span in self.spans:
            if span.field == name:
                return self.text[span.start : span.end]
        return ""

    @classmethod
    def from_fields(cls, fields: list[tuple[str, str]]) -> CanonicalText:
        doc = cls()
        parts: list[str] = []
        offset = 0
        for name, value in fields:
            value = value.strip()
            if not value:
                continue
            if parts:
                parts.append(FIELD_SEPARATOR)
                offset += len(FIELD_SEPARATOR)
            parts.append(value)
            doc.spans.append(FieldSpan(name, offset, offset + len(value)))
            offset += len(value)
        doc.text = "".join(parts)
        return doc


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")
        if tag == "a":
            if attrs.get("linktype") == "page" and attrs.get("id"):
                self.links.append(("page", attrs["id"]))
            elif attrs.get("linktype") == "document" and attrs.get("id"):
                self.links.append(("document", attrs["id"]))
            elif attrs.get("href"):
                self.links.append(("url", attrs["href"]))

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data):
        self.chunks.append(data)


def html_to_text(html: str) -> tuple[str, list[tuple[str, str]]]:
    parser = _HTMLText()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.chunks)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{2,}", "\n", text).strip()
    return text, parser.links


def _stream_text(value) -> tuple[str, list[tuple[str, str]]]:
    """Walk a StreamValue (or any block value) and collect its text in order."""
    chunks: list[str] = []
    links: list[tuple[str, str]] = []

    def walk(val):
        if val is None:
            return
        if hasattr(val, "source") and isinstance(getattr(val, "source", None), str):  # RichText
            text, found = html_to_text(val.source)
            chunks.append(text)
            links.extend(found)
        elif isinstance(val, str):
            chunks.append(val)
        elif hasattr(val, "raw_data") or isinstance(val, list | tuple):  # StreamValue / ListValue
            for child in val:
                walk(getattr(child, "value", child))
        elif isinstance(val, dict):  # StructValue
            for child in val.values():
                walk(child)

    walk(value)
    return "\n".join(c.strip() for c in chunks if c and c.strip()), links


def text_field_names(page_class: type) -> list[str]:
    declared = getattr(page_class, "ecm_ops_text_fields", None)
    if declared is not None:
        return list(declared)
    from wagtail.models import Page

    base_fields = {f.name for f in Page._meta.get_fields()}
    names = []
    for f in page_class._meta.get_fields():
        if f.name in base_fields or not getattr(f, "concrete", False):
            continue
        if isinstance(f, RichTextField | StreamField | models.TextField):
            names.append(f.name)
    return names


def canonical_text(page) -> CanonicalText:
    """The canonical text of a (specific) page instance, e.g. ``revision.as_object()``."""
    fields: list[tuple[str, str]] = [("title", page.title or "")]
    fields.append(("search_description", getattr(page, "search_description", "") or ""))
    all_links: list[tuple[str, str, str]] = []
    for name in text_field_names(type(page)):
        model_field = type(page)._meta.get_field(name)
        value = getattr(page, name, "")
        if isinstance(model_field, RichTextField):
            text, links = html_to_text(value or "")
        elif isinstance(model_field, StreamField):
            text, links = _stream_text(value)
        else:
            text, links = str(value or ""), []
        fields.append((name, text))
        all_links.extend((name, kind, target) for kind, target in links)
    doc = CanonicalText.from_fields(fields)
    doc.links = all_links
    return doc
