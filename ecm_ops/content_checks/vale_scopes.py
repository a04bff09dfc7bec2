"""Vale scopes mapped onto the canonical text's structure.

A Vale rule's ``scope`` says which blocks of a document it reads. ecm_ops maps each scope onto
parts of :class:`~.canonical.CanonicalText`:

=================  =========================================================================
``text``           the whole text except code (also ``paragraph`` and ``sentence``, which
                   only change the unit an ``occurrence`` rule counts in)
``raw``            the whole text, code included
``heading``        the page title and every rich-text heading, each on its own
``heading.hN``     headings of level N (the page title counts as ``heading.h1``)
``title``          the page title
``summary``        the page's search description
``blockquote``     rich-text quotes; ``list``: list items; ``table``: table cells and captions
``table.header``   ``<th>`` cells; ``table.cell``: ``<td>`` cells; ``table.caption``
``figure.caption`` ``<figcaption>``
any field name     that field (an ecm_ops extension, e.g. ``scope: body``)
=================  =========================================================================

As in Vale, ``~scope`` negates (``~heading`` = everything but headings), ``a & b`` needs both,
and a list of scopes is any of them. Code (``<code>``, ``<pre>`` and Markdown backtick spans
or fences left in the text) is never linted, except under ``raw``. ``alt`` (image alt text)
has no text in ecm_ops: a rule scoped to it never fires, and importing it warns.
"""

from __future__ import annotations

import re

Span = tuple[int, int]

WHOLE = {"text", "paragraph", "sentence", "raw"}
ELEMENT_SCOPES = {
    "blockquote": ("blockquote",),
    "list": ("li",),
    "table": ("td", "th", "caption"),
    "table.header": ("th",),
    "table.cell": ("td",),
    "table.caption": ("caption",),
    "figure.caption": ("figcaption",),
}
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
KNOWN = (
    WHOLE
    | set(ELEMENT_SCOPES)
    | {"heading", "title", "summary", "alt"}
    | {f"heading.{h}" for h in HEADING_TAGS}
)
UNSUPPORTED = {"alt"}
MARKDOWN_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)


def parse(value) -> list[list[tuple[bool, str]]]:
    """A rule's ``scope`` as a list (any of) of lists (all of) of ``(negated, name)``."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    parsed = []
    for item in items:
        parts = []
        for part in str(item).split("&"):
            part = part.strip().lower()
            negated = part.startswith("~")
            parts.append((negated, part.lstrip("~").strip()))
        parsed.append(parts)
    return parsed


def problems(value) -> list[str]:
    """Scope names that ecm_ops cannot honour (unknown, or with no text here)."""
    out = []
    for parts in parse(value):
        for _neg, name in parts:
            if name in UNSUPPORTED:
                out.append(f"scope '{name}' has no text in ecm_ops, so the rule never fires")
            elif name not in KNOWN and not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                out.append(f"scope '{name}' is not a Vale scope or a field name")
    return out


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for lo, hi in sorted(spans):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _complement(spans: list[Span], total: int) -> list[Span]:
    out, pos = [], 0
    for lo, hi in _merge(spans):
        if lo > pos:
            out.append((pos, lo))
        pos = max(pos, hi)
    if pos < total:
        out.append((pos, total))
    return out


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out = []
    for lo, hi in a:
        for blo, bhi in b:
            s, e = max(lo, blo), min(hi, bhi)
            if s < e:
                out.append((s, e))
    return _merge(out)


def code_spans(doc) -> list[Span]:
    spans = [(e.start, e.end) for e in doc.elements if e.tag in ("code", "pre")]
    spans += [m.span() for m in MARKDOWN_CODE.finditer(doc.text)]
    return _merge(spans)


def _headings(doc, levels: tuple[str, ...]) -> list[Span]:
    spans = []
    if "h1" in levels:
        title = doc.span_of("title")
        if title:
            spans.append((title.start, title.end))
    spans += [(e.start, e.end) for e in doc.elements if e.tag in levels]
    return spans


def _atom(doc, name: str) -> list[Span]:
    if name in WHOLE:
        return [(0, len(doc.text))]
    if name == "heading":
        return _headings(doc, HEADING_TAGS)
    if name.startswith("heading."):
        return _headings(doc, (name.split(".", 1)[1],))
    if name in ELEMENT_SCOPES:
        tags = ELEMENT_SCOPES[name]
        return [(e.start, e.end) for e in doc.elements if e.tag in tags]
    field = {"title": "title", "summary": "search_description"}.get(name, name)
    span = doc.span_of(field)
    return [(span.start, span.end)] if span else []


def select(doc, scope, default: str = "text", cache: dict | None = None) -> list[Span]:
    """The parts of ``doc.text`` a rule with this ``scope`` reads, as sorted, non-overlapping
    ``(start, end)`` spans; blocks (e.g. two headings) stay separate spans."""
    parsed = parse(scope) or parse(default)
    key = ("scope", repr(parsed))
    if cache is not None and key in cache:
        return cache[key]
    total = len(doc.text)
    chosen: list[Span] = []
    raw = False
    for parts in parsed:
        spans: list[Span] | None = None
        for negated, name in parts:
            atom = _atom(doc, name)
            if negated:
                atom = _complement(atom, total)
            else:
                raw = raw or name == "raw"
                atom = sorted(atom)
            spans = atom if spans is None else _intersect(spans, atom)
        chosen.extend(spans or [])
    # Blocks stay apart unless they overlap (two headings are two units).
    result = _merge(chosen)
    if not raw:
        result = _intersect(result, _complement(code_spans(doc), total)) if result else []
        # keep separate blocks separate after cutting out code
    if cache is not None:
        cache[key] = result
    return result
