"""One canonical text per page revision.

The editor panel, the submit gate, the CLI and monitoring all score the text this module
produces, so a score never depends on where it was computed. Fields are joined with a blank
line; each field's span (start/end offsets into the text) is kept so findings can point back
at the field they came from, and ``parts`` holds finer spans for StreamField blocks
(``body.2.callout.heading``).

Which fields are read, in this order: ``title``, ``search_description``, then

1. the page class's ``ecm_ops_text_fields`` (a list of attribute names), else
2. ``ECM_OPS["TEXT_FIELDS"]["app_label.model"]`` (for page classes a site cannot edit), else
3. every RichTextField, StreamField, TextField and plain CharField declared on the specific
   page class (not on ``Page`` itself).

How values become text: rich text HTML loses its tags, block elements become line breaks and
runs of whitespace one space; StreamField blocks are walked depth first (struct children in
declaration order, list items, nested streams), one line per leaf text; page and document
choosers and ``<a linktype="page|document">`` / ``<a href>`` become :class:`Link` entries
with the offsets of their anchor text (``(start, end)`` in :attr:`CanonicalText.link_spans`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from typing import NamedTuple

from django.db import models
from wagtail.fields import RichTextField, StreamField

BLOCK_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "div", "br", "tr", "td", "th",
    "ul", "ol", "table", "pre", "hr", "figure", "figcaption", "section", "article",
}  # fmt: skip
SKIP_TAGS = {"script", "style", "template"}
#: Rich-text elements whose extent is kept (:attr:`CanonicalText.elements`), so rules can be
#: scoped to headings by level, quotes, list items, table cells, captions and code.
STRUCTURE_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "td", "th", "caption",
    "figcaption", "code", "pre",
}  # fmt: skip
FIELD_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class FieldSpan:
    field: str
    start: int
    end: int


class Element(NamedTuple):
    """A rich-text element (``tag`` in :data:`STRUCTURE_TAGS`) spanning ``text[start:end]``."""

    tag: str
    start: int
    end: int


class Link(NamedTuple):
    field: str
    kind: str  # "page", "document" or "url"
    target: str


@dataclass
class CanonicalText:
    text: str = ""
    spans: list[FieldSpan] = field(default_factory=list)
    #: Finer spans inside StreamFields: ``FieldSpan("body.0.callout.heading", start, end)``.
    parts: list[FieldSpan] = field(default_factory=list)
    #: Links found in rich text and chooser blocks, in text order.
    links: list[Link] = field(default_factory=list)
    #: ``(start, end)`` of each link's anchor text in :attr:`text` (``(start, start)`` for a
    #: chooser block without text), parallel to :attr:`links`.
    link_spans: list[tuple[int, int]] = field(default_factory=list)
    #: Headings, quotes, list items, table cells, captions and code of rich text, in order.
    elements: list[Element] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @cached_property
    def lower(self) -> str:
        """``text.lower()``, computed once (for case-insensitive matching)."""
        return self.text.lower()

    def field_at(self, offset: int) -> str:
        for span in self.spans:
            if span.start <= offset <= span.end:
                return span.field
        return ""

    def span_of(self, name: str) -> FieldSpan | None:
        for span in self.spans:
            if span.field == name:
                return span
        return None

    def field_text(self, name: str) -> str:
        span = self.span_of(name)
        return self.text[span.start : span.end] if span else ""

    def part_at(self, offset: int) -> str:
        """The innermost block path at ``offset`` (the field name outside StreamFields)."""
        found = ""
        for part in self.parts:
            if part.start <= offset <= part.end:
                found = part.field
        return found or self.field_at(offset)

    @classmethod
    def from_fields(
        cls, fields: list[tuple[str, str]], html_fields: tuple[str, ...] = ()
    ) -> CanonicalText:
        """Join fields (e.g. from the CLI) into a canonical text; the values of the fields
        named in ``html_fields`` are rich text HTML, the others plain text."""
        return _Builder().add_many(
            (name, _html_field(value) if name in html_fields else _FieldText.plain(value))
            for name, value in fields
        )


class _FieldText:
    """Text of one field with offsets (local to the field) of its links and block parts."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.length = 0
        self.links: list[tuple[str, str, int, int]] = []
        self.parts: list[tuple[str, int, int]] = []
        self.elements: list[tuple[str, int, int]] = []

    @classmethod
    def plain(cls, value: str) -> _FieldText:
        ft = cls()
        ft.append(str(value or "").strip())
        return ft

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def append(self, text: str) -> None:
        self.chunks.append(text)
        self.length += len(text)

    def add_line(self, other: _FieldText, path: str) -> None:
        """Append another field text as a new line (block path ``path``)."""
        if not other.length:
            for kind, target, _s, _e in other.links:
                self.links.append((kind, target, self.length, self.length))
            return
        if self.length:
            self.append("\n")
        base = self.length
        self.append(other.text)
        self.links.extend((k, t, s + base, e + base) for k, t, s, e in other.links)
        self.parts.append((path, base, base + other.length))
        self.elements.extend((t, s + base, e + base) for t, s, e in other.elements)
        self.parts.extend((p, s + base, e + base) for p, s, e in other.parts)


class _HTMLText(HTMLParser):
    """Rich text HTML -> text with single spaces, one line per block, link anchor offsets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _FieldText()
        self.pending = ""  # whitespace owed before the next word: "", " " or "\n"
        self.open_links: list[list] = []
        self.open_elements: list[list] = []  # [tag, start or None]
        self.skip = 0

    def _break(self) -> None:
        if self.out.length:
            self.pending = "\n"

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
            return
        if tag in BLOCK_TAGS:
            self._break()
        if tag in STRUCTURE_TAGS:
            self.open_elements.append([tag, None])
        if tag == "a":
            attrs = dict(attrs)
            kind, target = "", ""
            if attrs.get("linktype") in ("page", "document") and attrs.get("id"):
                kind, target = attrs["linktype"], attrs["id"]
            elif attrs.get("href") is not None:
                kind, target = "url", attrs["href"].strip()
            # start is fixed when the first word of the anchor text is written
            self.open_links.append([kind, target, None, None])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag in BLOCK_TAGS:
            self._break()
        if tag in STRUCTURE_TAGS:
            self._close_element(tag)
        if tag == "a" and self.open_links:
            kind, target, start, _ = self.open_links.pop()
            if kind:
                start = self.out.length if start is None else start
                self.out.links.append((kind, target, start, self.out.length))

    def _close_element(self, tag: str) -> None:
        for i in range(len(self.open_elements) - 1, -1, -1):
            if self.open_elements[i][0] == tag:
                _tag, start = self.open_elements.pop(i)
                if start is not None:
                    self.out.elements.append((tag, start, self.out.length))
                return

    def handle_data(self, data):
        if self.skip or not data:
            return
        if data[0].isspace() and self.pending != "\n":
            self.pending = " "
        words = data.split()
        for i, word in enumerate(words):
            if i:
                self.pending = " "
            if self.out.length and self.pending:
                self.out.append(self.pending)
            self.pending = ""
            for link in self.open_links:
                if link[2] is None:
                    link[2] = self.out.length
            for element in self.open_elements:
                if element[1] is None:
                    element[1] = self.out.length
            self.out.append(word)
        if words and data[-1].isspace():
            self.pending = " "

    def feed_text(self, html: str) -> _FieldText:
        self.feed(html or "")
        self.close()
        for kind, target, start, _ in self.open_links:  # unclosed <a>
            if kind:
                start = self.out.length if start is None else start
                self.out.links.append((kind, target, start, self.out.length))
        while self.open_elements:  # unclosed elements end with the field
            self._close_element(self.open_elements[-1][0])
        return self.out


def _html_field(html: str) -> _FieldText:
    return _HTMLText().feed_text(html)


def html_to_text(html: str) -> tuple[str, list[tuple[str, str]]]:
    """Plain text of rich text HTML and its links as ``(kind, target)``."""
    ft = _html_field(html)
    return ft.text, [(k, t) for k, t, _s, _e in ft.links]


def _stream_field(value) -> _FieldText:
    """Walk a StreamValue (or any block value) depth first and collect its text."""
    from wagtail.blocks import StreamValue, StructValue
    from wagtail.blocks.list_block import ListValue
    from wagtail.models import Page
    from wagtail.rich_text import RichText

    out = _FieldText()

    def walk(val, path: str) -> None:
        if val is None:
            return
        if isinstance(val, RichText):
            out.add_line(_html_field(val.source), path)
        elif isinstance(val, str):
            out.add_line(_FieldText.plain(val), path)
        elif isinstance(val, StreamValue):
            for i, child in enumerate(val):
                walk(child.value, f"{path}.{i}.{child.block_type}")
        elif isinstance(val, ListValue | list | tuple):
            for i, child in enumerate(val):
                walk(child, f"{path}.{i}")
        elif isinstance(val, StructValue | dict):
            for key, child in val.items():
                walk(child, f"{path}.{key}")
        elif isinstance(val, Page):
            out.links.append(("page", str(val.pk), out.length, out.length))
        elif _is_document(val):
            out.links.append(("document", str(val.pk), out.length, out.length))

    walk(value, "")
    # paths were built from "" so they start with "."; the builder prefixes the field name
    return out


def _is_document(value) -> bool:
    from wagtail.documents.models import AbstractDocument

    return isinstance(value, AbstractDocument)


class _Builder:
    def __init__(self) -> None:
        self.doc = CanonicalText()
        self.parts: list[str] = []
        self.offset = 0

    def add(self, name: str, ft: _FieldText) -> None:
        raw = ft.text
        lead = len(raw) - len(raw.lstrip())
        value = raw.strip()
        if not value:
            for kind, target, _s, _e in ft.links:  # a chooser with no text still links
                self.doc.links.append(Link(name, kind, target))
                self.doc.link_spans.append((self.offset, self.offset))
            return
        if self.parts:
            self.parts.append(FIELD_SEPARATOR)
            self.offset += len(FIELD_SEPARATOR)
        base = self.offset - lead
        end = self.offset + len(value)

        def clamp(x: int) -> int:
            return min(max(x + base, self.offset), end)

        self.parts.append(value)
        self.doc.spans.append(FieldSpan(name, self.offset, end))
        for path, s, e in ft.parts:
            self.doc.parts.append(FieldSpan(name + path, clamp(s), clamp(e)))
        for kind, target, s, e in ft.links:
            self.doc.links.append(Link(name, kind, target))
            self.doc.link_spans.append((clamp(s), clamp(e)))
        for tag, s, e in sorted(ft.elements, key=lambda el: el[1]):
            self.doc.elements.append(Element(tag, clamp(s), clamp(e)))
        self.offset = end

    def add_many(self, items) -> CanonicalText:
        for name, ft in items:
            self.add(name, ft)
        self.doc.text = "".join(self.parts)
        return self.doc


def page_type_label(page_or_class) -> str:
    meta = page_or_class._meta
    return f"{meta.app_label}.{meta.model_name}"


def text_field_names(page_class: type) -> list[str]:
    declared = getattr(page_class, "ecm_ops_text_fields", None)
    if declared is not None:
        return [n for n in declared if n not in ("title", "search_description")]
    from .. import conf

    configured = conf.get("TEXT_FIELDS").get(page_type_label(page_class))
    if configured is not None:
        return [n for n in configured if n not in ("title", "search_description")]
    from wagtail.models import Page

    base_fields = {f.name for f in Page._meta.get_fields()}
    names = []
    for f in page_class._meta.get_fields():
        if f.name in base_fields or not getattr(f, "concrete", False):
            continue
        if isinstance(f, RichTextField | StreamField | models.TextField) or type(f) is (
            models.CharField
        ):
            names.append(f.name)
    return names


def _field_text(page, name: str) -> _FieldText:
    try:
        model_field = type(page)._meta.get_field(name)
    except Exception:  # a property or plain attribute the site registered
        model_field = None
    value = getattr(page, name, "")
    if callable(value):
        value = value()
    if isinstance(model_field, RichTextField):
        return _html_field(value or "")
    if isinstance(model_field, StreamField) or hasattr(value, "stream_block"):
        return _stream_field(value)
    return _FieldText.plain(value)


def canonical_text(page) -> CanonicalText:
    """The canonical text of a (specific) page instance, e.g. ``revision.as_object()``.

    Deterministic: the same revision always gives the same text, spans and links.
    """
    items = [
        ("title", _FieldText.plain(page.title or "")),
        ("search_description", _FieldText.plain(getattr(page, "search_description", "") or "")),
    ]
    items += [(name, _field_text(page, name)) for name in text_field_names(type(page))]
    return _Builder().add_many(items)
